import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname } from "node:path";
import { z } from "zod";
import type { SessionLimits } from "./web-session.js";
import type { RateLimits } from "./rate-limit.js";
import type { DnsOptions } from "./identity/dns-txt.js";

/** Express's `trust proxy`: off, the number of proxies in front, or their addresses (proxy-addr syntax). */
export type TrustProxy = false | number | string;
const PROXY_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);
const isProxyAddress = (s: string) => PROXY_NAMES.has(s) || isIP(s.replace(/\/\d+$/, "")) !== 0;
const perMinute = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
/** How long one SQL statement may run (DATABASE_STATEMENT_TIMEOUT_MS), when nothing says otherwise. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
/** Generous for an IdP's sync (20 requests a second per token), tight for guessing passwords. */
const DEFAULT_RATE_LIMITS: RateLimits = { scimPerMinute: 1200, loginPerMinute: 30 };

/**
 * Configuration comes from the environment only, validated at start-up: a bad value stops the server with a
 * message that names the variable and says what to set, rather than failing on first use.
 */
/** How the setup portal presents the vendor that runs this Rollcall to a customer's IT admin. */
export interface Brand {
  name: string;
  /** https only: shown on the portal's pages, so it may not downgrade them. */
  logoUrl?: string;
  /** #rrggbb */
  color: string;
}

export const DEFAULT_BRAND: Brand = { name: "Rollcall", color: "#1d4ed8" };

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  BASE_URL: z.url({ protocol: /^https?$/, error: "BASE_URL must be an absolute http(s) URL such as https://id.example.com" }).optional(),
  DATABASE_URL: z.string()
    .regex(/^(sqlite:|postgres(ql)?:\/\/)/, "DATABASE_URL must be sqlite:<path> or postgres://user@host:port/db")
    .default("sqlite:data/rollcall.sqlite"),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int()
    .min(100, "DATABASE_STATEMENT_TIMEOUT_MS must be a number of milliseconds, at least 100").default(DEFAULT_STATEMENT_TIMEOUT_MS),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ROLLCALL_SECRET_KEY: z.string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "ROLLCALL_SECRET_KEY must be 32 bytes, base64-encoded: generate one with `openssl rand -base64 32`")
    .optional(),
  ROLLCALL_BOOTSTRAP_SCIM_TOKEN: z.string()
    .min(24, "ROLLCALL_BOOTSTRAP_SCIM_TOKEN must be at least 24 characters: generate one with `openssl rand -base64 32`")
    .optional(),
  METRICS_TOKEN: z.string()
    .min(16, "METRICS_TOKEN must be at least 16 characters: generate one with `openssl rand -base64 32`")
    .optional(),
  RATE_LIMIT_SCIM_PER_MINUTE: perMinute(DEFAULT_RATE_LIMITS.scimPerMinute),
  RATE_LIMIT_LOGIN_PER_MINUTE: perMinute(DEFAULT_RATE_LIMITS.loginPerMinute),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "REDIS_URL must be a redis:// or rediss:// URL such as redis://redis.internal:6379/0" }).optional(),
  REDIS_KEY_PREFIX: z.string().min(1, "REDIS_KEY_PREFIX must not be empty").default("rollcall:"),
  ROLLCALL_ALLOW_INSECURE_IDP: z.enum(["0", "1"], { error: "ROLLCALL_ALLOW_INSECURE_IDP must be 0 or 1" }).default("0"),
  DNS_SERVERS: z.string().trim().default("")
    .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .refine((servers) => servers.every((s) => isIP(s) !== 0 || /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):\d{1,5}$/.test(s)),
      "DNS_SERVERS must be comma-separated IP addresses, each optionally with a port (10.0.0.2, 127.0.0.1:5353, [::1]:53)"),
  DNS_TIMEOUT_MS: z.coerce.number().int().min(100, "DNS_TIMEOUT_MS must be a number of milliseconds, at least 100").default(5000),
  SESSION_IDLE_MINUTES: z.coerce.number().positive("SESSION_IDLE_MINUTES must be a positive number of minutes").default(60),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().positive("SESSION_ABSOLUTE_HOURS must be a positive number of hours").default(12),
  EVENT_RETENTION_DAYS: z.coerce.number().positive("EVENT_RETENTION_DAYS must be a positive number of days").default(30),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(1).max(60, "WEBHOOK_TIMEOUT_SECONDS must be at most 60").default(15),
  BRAND_NAME: z.string().trim().min(1, "BRAND_NAME must not be empty").max(100, "BRAND_NAME must be at most 100 characters").default(DEFAULT_BRAND.name),
  BRAND_LOGO_URL: z.url({ protocol: /^https$/, error: "BRAND_LOGO_URL must be an absolute https:// URL of an image" }).optional(),
  BRAND_COLOR: z.string().regex(/^#[0-9a-fA-F]{6}$/, "BRAND_COLOR must be a colour as #rrggbb, e.g. #0b5fff").default(DEFAULT_BRAND.color),
  TRUST_PROXY: z.string().trim().default("false")
    .refine((v) => v === "false" || /^\d+$/.test(v) || v.split(",").every((s) => isProxyAddress(s.trim())),
      "TRUST_PROXY must be false, the number of proxies in front (e.g. 1) or their addresses (e.g. loopback, 10.0.0.0/8); " +
      "not true, which would let any client choose its IP address through X-Forwarded-For")
    .transform((v): TrustProxy => (v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v)),
});

export interface Config {
  port: number;
  host: string;
  baseUrl: string;
  databaseUrl: string;
  /** PostgreSQL: the longest a statement may run before it is cancelled (and the request answered 503). */
  statementTimeoutMs: number;
  logLevel: string;
  /** 32-byte key for encrypting secrets at rest and signing values we hand out. */
  secretKey: Buffer;
  bootstrapScimToken?: string;
  /** Bearer token for /metrics; unset, it answers loopback clients only. */
  metricsToken?: string;
  rateLimits: RateLimits;
  /** Where replicas share their rate-limit counts; unset, each counts in its own memory. */
  redis?: { url: string; keyPrefix: string };
  trustProxy: TrustProxy;
  /** SSO connections may use http:// and private-network IdP URLs (tests, local development only). */
  allowInsecureIdp: boolean;
  sessionLimits: SessionLimits;
  /** Where domain verification looks up TXT records (the system's resolvers when no server is set). */
  dns: DnsOptions;
  /** How long lifecycle events are kept, and how long a webhook receiver may take to answer. */
  events: { retentionDays: number; webhookTimeoutMs: number };
  /** The vendor's brand on the setup portal (BRAND_NAME, BRAND_LOGO_URL, BRAND_COLOR). */
  brand: Brand;
}

export class ConfigError extends Error {}

export const HTTPS_WITHOUT_TRUSTED_PROXY = "BASE_URL is https but TRUST_PROXY is unset: behind the TLS-terminating proxy every request " +
  "looks like plain http, so session cookies go out without Secure; set TRUST_PROXY to the number of proxies in front (e.g. 1) or their addresses";

/**
 * On SQLite (a single-machine install) a missing key is generated once and kept beside the database, so that
 * `npm start` works on a fresh machine. Replicas on PostgreSQL must share one key, so there it is required.
 */
function secretKey(env: z.infer<typeof schema>): { key: Buffer; generatedAt?: string } {
  if (env.ROLLCALL_SECRET_KEY) return { key: Buffer.from(env.ROLLCALL_SECRET_KEY, "base64") };
  if (env.DATABASE_URL === "sqlite::memory:") return { key: randomBytes(32) };
  if (!env.DATABASE_URL.startsWith("sqlite:")) {
    throw new ConfigError("ROLLCALL_SECRET_KEY is required with PostgreSQL (every replica needs the same key): generate one with `openssl rand -base64 32`");
  }
  const path = `${env.DATABASE_URL.slice("sqlite:".length)}.key`;
  if (existsSync(path)) return { key: Buffer.from(readFileSync(path, "utf8").trim(), "base64") };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, randomBytes(32).toString("base64") + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
  return { key: Buffer.from(readFileSync(path, "utf8").trim(), "base64"), generatedAt: path };
}

/** The checked configuration, and what to log about it once a logger exists. */
export interface LoadedConfig {
  config: Config;
  notes: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const { key, generatedAt } = secretKey(e);
  const notes = generatedAt ? [`generated a secret key at ${generatedAt}; keep it with the database (set ROLLCALL_SECRET_KEY to manage it yourself)`] : [];
  // Rollcall itself speaks plain http, so an https BASE_URL means TLS ends at a proxy; unless that proxy is trusted,
  // every request looks like http and express-session's `secure: "auto"` leaves `Secure` off the session cookie.
  if (e.BASE_URL?.startsWith("https:") && !e.TRUST_PROXY) notes.push(HTTPS_WITHOUT_TRUSTED_PROXY);
  return {
    config: {
      port: e.PORT,
      host: e.HOST,
      baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
      databaseUrl: e.DATABASE_URL,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      logLevel: e.LOG_LEVEL,
      secretKey: key,
      bootstrapScimToken: e.ROLLCALL_BOOTSTRAP_SCIM_TOKEN,
      metricsToken: e.METRICS_TOKEN,
      rateLimits: { scimPerMinute: e.RATE_LIMIT_SCIM_PER_MINUTE, loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE },
      redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : undefined,
      trustProxy: e.TRUST_PROXY,
      allowInsecureIdp: e.ROLLCALL_ALLOW_INSECURE_IDP === "1",
      sessionLimits: { idleMinutes: e.SESSION_IDLE_MINUTES, absoluteHours: e.SESSION_ABSOLUTE_HOURS },
      dns: { servers: e.DNS_SERVERS, timeoutMs: e.DNS_TIMEOUT_MS },
      events: { retentionDays: e.EVENT_RETENTION_DAYS, webhookTimeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000 },
      brand: { name: e.BRAND_NAME, logoUrl: e.BRAND_LOGO_URL, color: e.BRAND_COLOR.toLowerCase() },
    },
    notes,
  };
}
