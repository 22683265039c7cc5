import { DestinationStream, pino, Logger } from "pino";

/** Keys whose values are secrets wherever they appear in a logged object, up to three levels deep. */
const SECRET_KEYS = [
  "password", "token", "secret", "clientSecret", "client_secret", "SAMLResponse",
  "access_token", "refresh_token", "id_token", "accessToken", "refreshToken", "idToken", "code_verifier", "codeVerifier",
];
const REDACTED_PATHS = [
  "*.headers.authorization", "*.headers.cookie", '*.headers["set-cookie"]',
  // TypeORM's QueryFailedError carries the statement's bound values: password hashes, token digests, user data.
  "err.parameters",
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];
/** Query parameters that carry credentials (an OIDC callback's `code`, a SAML redirect's response…), in logged URLs. */
const SECRET_PARAMS = new Set([...SECRET_KEYS, "code"].map((k) => k.toLowerCase()));
const CENSOR = "[redacted]";

/** The URL with the values of credential-bearing query parameters replaced; unchanged (byte for byte) otherwise. */
function withoutSecretParams(url: string): string {
  const query = url.indexOf("?");
  if (query < 0) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  const secret = [...new Set(params.keys())].filter((k) => SECRET_PARAMS.has(k.toLowerCase()));
  if (!secret.length) return url;
  for (const key of secret) params.set(key, CENSOR);
  return `${url.slice(0, query)}?${params}`;
}

/**
 * Structured JSON logs, to stdout unless `destination` is given. Authorization and cookie headers, anything named
 * like a secret, and credentials in request URLs (`req.url`) are redacted wherever they appear.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    serializers: {
      req: (req: { url?: unknown }) => (typeof req?.url === "string" ? { ...req, url: withoutSecretParams(req.url) } : req),
    },
  }, destination);
}
