import { randomUUID } from "node:crypto";
import { IncomingMessage } from "node:http";
import { NextFunction, Request, Response } from "express";
import { Logger } from "pino";
import { runInRequest } from "./request-context.js";

declare module "node:http" {
  interface IncomingMessage {
    /** The request's logger, bound to its request id; created on first use. */
    log: Logger;
  }
}

/** What `req.log` is built from, set on each request by requestLog. */
const LOG_CONTEXT = Symbol("rollcall.requestLog");
interface LogContext { logger: Logger; id: string }
type Logged = IncomingMessage & { [LOG_CONTEXT]?: LogContext };

const bindings = (req: IncomingMessage, id: string) => ({ reqId: id, req: { method: req.method, url: (req as Request).originalUrl ?? req.url } });

/**
 * `req.log`, defined once on the prototype rather than on each request: an accessor defined per object costs a closure
 * and turns the request into a slow dictionary-mode object for every later property read. The child logger is built
 * on first use and kept on the request.
 */
Object.defineProperty(IncomingMessage.prototype, "log", {
  configurable: true,
  get(this: Logged): Logger {
    const context = this[LOG_CONTEXT];
    if (!context) throw new Error("req.log is only available under requestLog");
    const log = context.logger.child(bindings(this, context.id));
    Object.defineProperty(this, "log", { value: log, configurable: true, writable: true });
    return log;
  },
  set(this: Logged, value: Logger) {
    Object.defineProperty(this, "log", { value, configurable: true, writable: true });
  },
});

/**
 * Gives every request an id (X-Request-Id, taken from the caller when sent) and a `req.log` bound to it, and logs the
 * outcome: 5xx at error, the rest at debug. The id is also the context of what the request runs (request-context.ts).
 * pino-http did this too, but built and serialised a child logger for every request even when nothing was logged:
 * about 60 µs a request (docs/benchmarks.md).
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const id = (req.headers["x-request-id"] as string | undefined)?.slice(0, 128) || randomUUID();
    res.setHeader("X-Request-Id", id);
    const started = Date.now();
    (req as Logged)[LOG_CONTEXT] = { logger, id };
    res.once("finish", () => {
      const level = res.statusCode >= 500 ? "error" : "debug";
      if (logger.isLevelEnabled(level)) {
        logger[level]({ ...bindings(req, id), res: { statusCode: res.statusCode }, responseTime: Date.now() - started }, "request completed");
      }
    });
    runInRequest(id, next);
  };
}
