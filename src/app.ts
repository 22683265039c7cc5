import express, { Express } from "express";
import helmet from "helmet";
import { randomUUID } from "node:crypto";
import { Logger } from "pino";
import { Database, migrationsApplied } from "./db/database.js";
import { SCIM_PREFIX } from "./scim/context.js";
import { scimRouter } from "./scim/router.js";

declare module "node:http" {
  interface IncomingMessage {
    /** The request's logger (bound to its request id), created on first use. */
    log: Logger;
  }
}

export interface AppDeps {
  db: Database;
  baseUrl: string;
  logger: Logger;
  secretKey: Buffer;
}

/** Wires the doors onto one Express app. Start-up, config and the database live in server.ts. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  // Express's body-hash ETags would clash with the resource versions the SCIM door sends as ETags.
  app.set("etag", false);
  app.set("query parser", "extended");
  app.use(helmet());
  // What pino-http did, minus the per-request child logger it builds (and serialises) even when nothing is logged.
  app.use((req, res, next) => {
    const id = (req.headers["x-request-id"] as string | undefined)?.slice(0, 128) || randomUUID();
    res.setHeader("X-Request-Id", id);
    const started = Date.now();
    // req.log as pino-http offered it, made only when a handler asks for it.
    Object.defineProperty(req, "log", {
      configurable: true,
      get() {
        const log = deps.logger.child({ reqId: id, req: { method: req.method, url: req.originalUrl } });
        Object.defineProperty(req, "log", { value: log, configurable: true });
        return log;
      },
    });
    res.once("finish", () => {
      const level = res.statusCode >= 500 ? "error" : "debug";
      if (!deps.logger.isLevelEnabled(level)) return;
      deps.logger[level]({ reqId: id, req: { method: req.method, url: req.originalUrl }, res: { statusCode: res.statusCode }, responseTime: Date.now() - started }, "request completed");
    });
    next();
  });

  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/readyz", async (_req, res) => {
    try {
      await deps.db.dataSource.query("SELECT 1");
      const migrated = await migrationsApplied(deps.db);
      res.status(migrated ? 200 : 503).json({ status: migrated ? "ready" : "migrations pending" });
    } catch (err) {
      deps.logger.warn({ err }, "readiness check failed");
      res.status(503).json({ status: "database unreachable" });
    }
  });

  app.use(SCIM_PREFIX, scimRouter(deps));
  return app;
}
