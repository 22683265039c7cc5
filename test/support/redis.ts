import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { AddressInfo, createServer, Server, Socket, connect } from "node:net";
import { Redis } from "ioredis";

/**
 * The real Redis at ROLLCALL_TEST_REDIS_URL (default 127.0.0.1:6379). Suites share it (and other runs may too), so
 * each test keys under a prefix of its own. Unreachable, the suites skip with a message; CI sets
 * ROLLCALL_REQUIRE_REDIS=1 so that they fail instead.
 */
export const TEST_REDIS_URL = process.env.ROLLCALL_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Null when Redis answers, else why the suites skip (or, in CI, fail). */
export async function redisUnreachable(): Promise<string | null> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, commandTimeout: 2000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on("error", () => undefined);
  let reason: string | null = null;
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    reason = `Redis not reachable at ${TEST_REDIS_URL} (${(err as Error).message}); set ROLLCALL_TEST_REDIS_URL to run these tests on it`;
  } finally {
    client.disconnect();
  }
  if (reason && process.env.ROLLCALL_REQUIRE_REDIS === "1") throw new Error(reason);
  return reason;
}

/** A key prefix no other test uses. */
export const uniquePrefix = () => `rollcall-test:${randomBytes(6).toString("hex")}:`;

/** The keys under a prefix (the test's own), for assertions and clean-up. */
export async function keysUnder(prefix: string): Promise<string[]> {
  const client = new Redis(TEST_REDIS_URL, { commandTimeout: 2000, maxRetriesPerRequest: 0 });
  try {
    return await client.keys(`${prefix}*`);
  } finally {
    client.disconnect();
  }
}

/**
 * A TCP proxy in front of Redis, for a network that fails: `stopForwarding()` keeps every connection open and accepts
 * new ones but passes no byte either way (a partition: nothing is refused, nothing answers); `close()` resets every
 * connection and refuses new ones (Redis stopped).
 */
export class RedisProxy {
  private forwarding = true;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, private readonly target: URL) {
    server.on("connection", (client) => this.relay(client));
  }

  static async start(): Promise<RedisProxy> {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return new RedisProxy(server, new URL(TEST_REDIS_URL));
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stopForwarding(): void {
    this.forwarding = false;
  }

  resumeForwarding(): void {
    this.forwarding = true;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket) {
    const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]]) {
      this.sockets.add(from);
      from.on("data", (chunk) => this.forwarding && to.write(chunk));
      from.on("error", () => to.destroy());
      from.on("close", () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }
}
