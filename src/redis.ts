import { Redis } from "ioredis";
import { Logger } from "pino";

/**
 * The Redis that replicas share (REDIS_URL): counts that must hold across replicas (the rate limits) live there.
 *
 * Redis is a help, never a dependency: a request never waits on it for longer than COMMAND_TIMEOUT_MS, and while it
 * is away (refused, unreachable, or silent) callers fall back to their own per-replica state. The client reconnects
 * in the background; `available()` turns true again once it answers. One warning is logged when it goes away and
 * one line when it is back, however many requests there are in between.
 */
export interface SharedRedis {
  client: Redis;
  /** Prepended to every key (REDIS_KEY_PREFIX), so that deployments, or test suites, sharing a Redis never meet. */
  prefix: string;
  /** Settles (never rejects) once the first connection has succeeded or failed: within CONNECT_TIMEOUT_MS or so. */
  firstAttempt: Promise<void>;
  /** Connected and answering: worth sending a command to. */
  available(): boolean;
  /** A command failed or timed out: counts go local until the client has reconnected. */
  failed(err: unknown): void;
  close(): void;
}

/** Redis answers a local network in well under a millisecond; a request should not wait long for one that does not. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
/** Redial after 0.2 s, 0.4 s, … and then every 2 s for as long as Redis is away. */
const redialDelay = (attempt: number) => Math.min(attempt * 200, 2_000);

export function connectRedis(url: string, logger: Logger, prefix = "rollcall:"): SharedRedis {
  const client = new Redis(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Every command, the connection's own handshake included: a handshake that times out makes the client redial.
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: redialDelay,
    // A command sent while disconnected fails at once instead of queueing; one in flight when the connection drops
    // fails rather than being replayed later (a counted request would be counted again).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  const log = logger.child({ redis: redacted(url) });
  // Undefined until the first connection attempt ends either way, so that its outcome is always logged.
  let up: boolean | undefined;
  let closing = false;
  /**
   * Nothing more goes to Redis until the client has reconnected (the next "ready"). A connection that timed out may
   * be silently dead (a network partition): it is dropped and redialled now, rather than left to time out request
   * after request.
   */
  const wentAway = (err: unknown) => {
    if (closing) return;
    if (up !== false) log.warn({ err }, "Redis is unreachable: rate limits are counted per replica until it answers again");
    up = false;
    if (client.status === "ready") client.disconnect(true);
  };
  client.on("ready", () => {
    log.info(up === false ? "Redis answers again: rate limits are shared across replicas again" : "Redis connected: rate limits are shared across replicas");
    up = true;
  });
  // ioredis reports each failed redial here; without a listener it would print them to the console.
  client.on("error", wentAway);
  client.on("close", () => wentAway(new Error("connection closed")));
  const firstAttempt = new Promise<void>((resolve) => {
    client.once("ready", resolve);
    client.once("error", resolve);
    client.once("close", resolve);
  });

  return {
    client,
    prefix,
    firstAttempt,
    available: () => up === true,
    failed: wentAway,
    close() {
      closing = true;
      client.disconnect();
    },
  };
}

/** The URL without its password, for the log. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "redacted";
    return parsed.toString();
  } catch {
    return "(unparsable REDIS_URL)";
  }
}
