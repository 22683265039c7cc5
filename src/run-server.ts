import { once } from "node:events";
import { AddressInfo } from "node:net";
import { createApp, listen } from "./app.js";
import type { LoadedConfig } from "./config.js";
import { openDatabase } from "./db/database.js";
import { bootstrapOperator } from "./identity/admins.js";
import { bootstrapDefaultOrganization } from "./identity/organizations.js";
import { recheckDomains } from "./identity/domains.js";
import { ensureSpKeys } from "./identity/saml-keys.js";
import { purgeExpiredSessions } from "./identity/sessions.js";
import { createLogger } from "./logger.js";
import { SCIM_PREFIX } from "./scim/context.js";
import { startBackchannelLogout } from "./apps/op/backchannel-logout.js";
import { SigningKeys } from "./apps/op/keys.js";
import { refreshSamlMetadata } from "./sso/saml/refresh.js";
import { WebhookWorker } from "./apps/webhooks/worker.js";

/** Starts the server on a checked configuration (src/server.ts): migrations, first-start bootstrap, jobs, listening. */
export async function runServer({ config, notes }: LoadedConfig) {
  const logger = createLogger(config.logLevel);
  for (const note of notes) logger.warn(note);

  const db = await openDatabase({ url: config.databaseUrl, statementTimeoutMs: config.statementTimeoutMs });
  logger.info({ dialect: db.dialect }, "database ready, migrations applied");
  const { organization, token } = await bootstrapDefaultOrganization(db, config.bootstrapScimToken);
  const operator = await bootstrapOperator(db);
  // SAML connections made before SP keys existed get their first key pair, so that their metadata offers one.
  const keyed = await ensureSpKeys(db, config.secretKey);
  if (keyed) logger.info({ connections: keyed }, "SAML connections given their first SP key");

  // ioredis is loaded only when REDIS_URL is set.
  const redis = config.redis && (await import("./redis.js")).connectRedis(config.redis.url, logger, config.redis.keyPrefix);
  // So that the first requests are counted in Redis when it is up; when it is not, the server starts all the same
  // (limits count locally until it answers).
  await redis?.firstAttempt;
  const app = createApp({
    db, baseUrl: config.baseUrl, logger, secretKey: config.secretKey,
    rateLimits: config.rateLimits, redis, metricsToken: config.metricsToken, trustProxy: config.trustProxy,
    allowInsecureIdp: config.allowInsecureIdp, sessionLimits: config.sessionLimits, dns: config.dns,
    brand: config.brand,
  });
  // Expired sessions and SSO transactions are refused when read; this only keeps the tables small.
  const purge = setInterval(() => purgeExpiredSessions(db).catch((err) => logger.warn({ err }, "session purge failed")), 15 * 60_000);
  purge.unref();
  // Hourly look for SAML metadata older than a day: certificate rollovers reach us through the metadata URL.
  const metadataRefresh = setInterval(() => refreshSamlMetadata({ db, secretKey: config.secretKey, logger, allowInsecureIdp: config.allowInsecureIdp })
    .catch((err) => logger.warn({ err }, "SAML metadata refresh failed")), 3_600_000);
  metadataRefresh.unref();
  // Hourly look for domains last checked over a day ago: a TXT record removed (the domain changed hands) withdraws
  // the verification; a claimed domain whose record appeared gets verified without anyone pressing Verify.
  const domainCheck = setInterval(() => recheckDomains({ db, dns: config.dns, logger })
    .catch((err) => logger.warn({ err }, "domain re-check failed")), 3_600_000);
  domainCheck.unref();
  // Logout tokens to apps (OIDC back-channel logout) for users deactivated, deleted or signed out by an admin.
  const stopLogouts = startBackchannelLogout({
    db, baseUrl: config.baseUrl, keys: new SigningKeys(db, config.secretKey), logger, allowInsecureIdp: config.allowInsecureIdp,
  });
  // Every replica sends webhooks; events and delivery logs past retention are pruned hourly.
  const webhooks = new WebhookWorker({
    db, secretKey: config.secretKey, logger, timeoutMs: config.events.webhookTimeoutMs, allowPrivateUrls: config.allowInsecureIdp,
  });
  webhooks.start();
  const eventPrune = setInterval(() => webhooks.prune(config.events.retentionDays).catch((err) => logger.warn({ err }, "event prune failed")), 3_600_000);
  eventPrune.unref();
  const server = listen(app, config.port, config.host);
  await once(server, "listening");
  if (token) {
    // Printed once, on the first start of an empty database: the token is stored only as a hash.
    const shown = config.bootstrapScimToken ? "(the value of ROLLCALL_BOOTSTRAP_SCIM_TOKEN)" : token;
    process.stdout.write([
      "",
      `Rollcall created the organization "${organization.slug}".`,
      `  SCIM base URL: ${config.baseUrl}${SCIM_PREFIX}`,
      `  Entra ID tenant URL: ${config.baseUrl}${SCIM_PREFIX}?aadOptscim062020`,
      `  SCIM bearer token: ${shown}`,
      "This token is shown only now; store it in your IdP's provisioning settings.",
      "",
    ].join("\n") + "\n");
  }
  if (operator) {
    // Likewise once, when the database has no admin account yet: the password is stored only as a digest.
    process.stdout.write([
      "",
      `Rollcall created the operator account ${operator.account.email}.`,
      `  Password: ${operator.password}`,
      `  Sign in at ${config.baseUrl}/console/login (or POST ${config.baseUrl}/api/v1/auth/login), then change the password.`,
      "This password is shown only now.",
      "",
    ].join("\n") + "\n");
  }

  const port = (server.address() as AddressInfo).port;
  logger.info({ port, baseUrl: config.baseUrl }, "Rollcall listening");

  // Graceful shutdown: stop accepting, let in-flight requests finish, then close the database.
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    clearInterval(purge);
    clearInterval(metadataRefresh);
    clearInterval(domainCheck);
    stopLogouts();
    clearInterval(eventPrune);
    server.close(async () => {
      redis?.close();
      await webhooks.stop();
      await db.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    // Kept-alive connections would otherwise carry new requests, or hold the exit back until their keep-alive timeout
    // once their in-flight request is answered: requests arriving now close their connection, idle ones are closed.
    server.prependListener("request", (_req, res) => res.setHeader("Connection", "close"));
    setInterval(() => server.closeIdleConnections(), 100).unref();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}
