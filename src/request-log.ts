import { randomUUID } from "node:crypto";
import { NextFunction, Request, Response } from "express";
import { Logger } from "pino";
import { runInRequest } from "./request-context.js";

declare module "node:http" {
  interface IncomingMessage {
    /** The request's logger, bound to its request id; created on first use. */
    log: Logger;
  }
}

/**
 * Gives every request an id (X-Request-Id, taken from the caller when sent) and a `req.log` bound to it, and logs the
 * outcome: 5xx at error, the rest at debug. The id is also the context of what the request runs (request-context.ts).
 * pino-http did this too, but built and serialised a child logger for
 * every request even when nothing was logged: about 60 µs a request (docs/benchmarks.md).
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const id = (req.headers["x-request-id"] as string | undefined)?.slice(0, 128) || randomUUID();
    res.setHeader("X-Request-Id", id);
    const started = Date.now();
    const bound = () => ({ reqId: id, req: { method: req.method, url: req.originalUrl } });
    Object.defineProperty(req, "log", {
      configurable: true,
      get() {
        const log = logger.child(bound());
        Object.defineProperty(req, "log", { value: log, configurable: true });
        return log;
      },
    });
    res.once("finish", () => {
      const level = res.statusCode >= 500 ? "error" : "debug";
      if (logger.isLevelEnabled(level)) {
        logger[level]({ ...bound(), res: { statusCode: res.statusCode }, responseTime: Date.now() - started }, "request completed");
      }
    });
    runInRequest(id, next);
  };
}
