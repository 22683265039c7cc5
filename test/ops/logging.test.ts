import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../../src/logger.js";
import { PATCH_OP_URN, USER_URN } from "../../src/scim/schemas.js";
import { bearer, startOpsApp } from "./app.js";

/** A debug-level logger built like the server's, writing into memory. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger("debug", { write: (line: string) => void lines.push(line) });
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("logs never hold secrets", () => {
  it("bearer tokens, cookies, passwords and credentials in URLs sent to the server stay out of the log; every request line has its request id", async () => {
    const { logger, lines, entries } = capturedLogger();
    const app = await startOpsApp({ logger });
    const [token] = app.tokens;
    const secrets = {
      token, cookie: "sid-cookie-secret-value", userPassword: "Correct-Horse-Battery-9", newPassword: "Tr0ub4dor-and-3",
      adminPassword: "admin-password-secret", code: "oidc-authorization-code-secret", samlResponse: "PHNhbWxwOlJlc3BvbnNlIHNlY3JldA",
    };
    const scimHeaders = { ...bearer(token), "Content-Type": "application/scim+json", Cookie: `sid=${secrets.cookie}`, "User-Agent": "Okta SCIM Client 1.0.0" };
    try {
      const responses: Response[] = [];
      const created = await fetch(`${app.url}/scim/v2/Users`, {
        method: "POST", headers: scimHeaders,
        body: JSON.stringify({ schemas: [USER_URN], userName: "logged@example.test", password: secrets.userPassword }),
      });
      assert.equal(created.status, 201);
      responses.push(created);
      const { id } = await created.json();
      responses.push(await fetch(`${app.url}/scim/v2/Users/${id}`, {
        method: "PATCH", headers: { ...scimHeaders, "X-Request-Id": "caller-chosen-id" },
        body: JSON.stringify({ schemas: [PATCH_OP_URN], Operations: [{ op: "Replace", path: "password", value: secrets.newPassword }] }),
      }));
      responses.push(await fetch(`${app.url}/sso/c1/oidc/callback?code=${secrets.code}&state=abc`, { headers: { Cookie: `sid=${secrets.cookie}` } }));
      responses.push(await fetch(`${app.url}/sso/c1/saml/acs?SAMLResponse=${secrets.samlResponse}`));
      responses.push(await fetch(`${app.url}/console/login`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: "a@example.test", password: secrets.adminPassword }),
      }));
      // A database failure during authentication: the error is logged with the failed statement, whose bound
      // parameter is the presented token's prefix.
      await app.db.dataSource.query("ALTER TABLE scim_tokens RENAME TO scim_tokens_away");
      const failed = await fetch(`${app.url}/scim/v2/Users`, { headers: scimHeaders });
      assert.equal(failed.status, 500);
      responses.push(failed);

      const log = lines.join("");
      for (const [name, value] of Object.entries(secrets)) assert.ok(!log.includes(value), `${name} is in the log`);
      assert.ok(!log.includes(token.slice(0, 12)), "not even the token's prefix");

      const failure = entries().find((e) => e.msg === "SCIM request failed");
      assert.ok(failure, "the failure is logged");
      assert.equal((failure.err as { parameters: unknown }).parameters, "[redacted]");
      assert.match((failure.err as { message: string }).message, /scim_tokens/, "the rest of the error is kept");

      const completed = entries().filter((e) => e.msg === "request completed");
      assert.equal(completed.length, responses.length);
      for (const res of responses) {
        const id = res.headers.get("x-request-id");
        assert.ok(id, "every response names its request id");
        assert.equal(completed.filter((e) => e.reqId === id).length, 1, `one completion line for ${id}`);
      }
      assert.ok(completed.some((e) => e.reqId === "caller-chosen-id"), "the caller's X-Request-Id is kept");
      for (const line of entries().filter((e) => e.req)) assert.ok(line.reqId, `request line without its id: ${JSON.stringify(line)}`);
      assert.ok(entries().some((e) => e.msg === "SCIM dialect" && e.reqId === "caller-chosen-id"), "req.log lines carry it too");
      const urls = completed.map((e) => (e.req as { url: string }).url);
      assert.ok(urls.includes("/sso/c1/oidc/callback?code=%5Bredacted%5D&state=abc"), urls.join(" "));
    } finally {
      await app.close();
    }
  });

  it("the logger redacts secrets in anything it is handed, up to three levels deep", () => {
    const { logger, lines } = capturedLogger();
    const secret = (n: number) => `secret-value-${n}`;
    logger.info({ req: { headers: { authorization: `Bearer ${secret(1)}`, cookie: secret(2) } }, res: { headers: { "set-cookie": secret(3) } } }, "headers");
    logger.info({ password: secret(4), body: { user: { password: secret(5) } }, connection: { client_secret: secret(6), clientSecret: secret(7) } }, "bodies");
    logger.warn({ form: { SAMLResponse: secret(8) }, tokens: { access_token: secret(9), id_token: secret(10), refresh_token: secret(11), code_verifier: secret(12) } }, "sso");
    logger.error({ err: Object.assign(new Error("insert failed"), { parameters: [secret(13)] }) }, "query");
    logger.child({ req: { method: "GET", url: `/x?token=${secret(14)}&page=2` } }).info("child bindings");
    const log = lines.join("");
    for (let n = 1; n <= 14; n++) assert.ok(!log.includes(secret(n)), `secret ${n} is in the log`);
    assert.equal(lines.length, 5);
    assert.equal(log.match(/\[redacted\]/g)?.length, 13);
    assert.match(log, /"url":"\/x\?token=%5Bredacted%5D&page=2"/);
  });
});
