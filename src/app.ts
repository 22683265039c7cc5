import express, { Express } from "express";
import helmet from "helmet";
import { Logger } from "pino";
import { Database, migrationsApplied } from "./db/database.js";
import { SCIM_PREFIX } from "./scim/context.js";
import { scimRouter } from "./scim/router.js";
import { requestLog } from "./request-log.js";

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
  app.use(requestLog(deps.logger));

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
