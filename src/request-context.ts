import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The request a piece of work runs for, carried through its async calls, so that the identity core can name the
 * request id in the lifecycle events it writes without every door passing it down.
 */
const requests = new AsyncLocalStorage<{ requestId: string }>();

export const runInRequest = <T>(requestId: string, fn: () => T): T => requests.run({ requestId }, fn);

/** The id of the request being served (X-Request-Id), or null outside one (CLI, background jobs). */
export const currentRequestId = (): string | null => requests.getStore()?.requestId ?? null;
