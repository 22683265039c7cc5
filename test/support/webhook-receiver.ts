import { once } from "node:events";
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/**
 * A real HTTP webhook receiver for tests. `mode` says how it answers: `ok` (204), `fail` (500), `gone` (410), `hang`
 * (holds the request until `release()`, as a receiver that times out does). Each request is kept with its raw body
 * and headers; `verified(secret)` checks them as a receiver would, with the standardwebhooks package.
 */
export interface ReceivedWebhook {
  body: string;
  headers: IncomingHttpHeaders;
  answered: number | null;
}

export interface WebhookReceiver {
  url: string;
  mode: "ok" | "fail" | "gone" | "hang";
  received: ReceivedWebhook[];
  /** The parsed bodies that carry a valid signature for `secret`, in arrival order; throws on any that does not. */
  verified(secret: string): Array<{ id: string; type: string; data: Record<string, unknown> }>;
  /** Resolves when `count` requests have arrived. */
  arrivals(count: number): Promise<void>;
  /** Answers held requests (mode `hang`) with 500; the worker has given up on them by then. */
  release(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const held: ServerResponse[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const receiver: WebhookReceiver = {
    url: "", mode: "ok", received: [],
    verified: (secret) => receiver.received.map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as never),
    arrivals: (count) => new Promise((resolve) => {
      if (receiver.received.length >= count) resolve();
      else waiters.push({ count, resolve });
    }),
    release: () => held.splice(0).forEach((res) => res.writeHead(500).end()),
    close: async () => {
      receiver.release();
      server.closeAllConnections();
      server.close();
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry: ReceivedWebhook = { body: Buffer.concat(chunks).toString("utf8"), headers: req.headers, answered: null };
      receiver.received.push(entry);
      for (const w of waiters.filter((w) => receiver.received.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (receiver.mode === "hang") return void held.push(res);
      entry.answered = { ok: 204, fail: 500, gone: 410 }[receiver.mode];
      res.writeHead(entry.answered).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
