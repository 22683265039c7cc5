import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HTTPS_WITHOUT_TRUSTED_PROXY, loadConfig } from "../../src/config.js";

describe("configuration notes logged at start-up", () => {
  const notes = (env: Record<string, string>) => loadConfig({ DATABASE_URL: "sqlite::memory:", ...env }).notes;

  it("warns when BASE_URL is https and TRUST_PROXY is unset: session cookies would lack Secure", () => {
    assert.deepEqual(notes({ BASE_URL: "https://id.example.test" }), [HTTPS_WITHOUT_TRUSTED_PROXY]);
    assert.deepEqual(notes({ BASE_URL: "https://id.example.test", TRUST_PROXY: "0" }), [HTTPS_WITHOUT_TRUSTED_PROXY]);
    assert.match(HTTPS_WITHOUT_TRUSTED_PROXY, /BASE_URL is https but TRUST_PROXY is unset.*without Secure; set TRUST_PROXY/);
  });

  it("stays quiet behind a trusted proxy, and over plain http", () => {
    assert.deepEqual(notes({ BASE_URL: "https://id.example.test", TRUST_PROXY: "1" }), []);
    assert.deepEqual(notes({ BASE_URL: "https://id.example.test", TRUST_PROXY: "10.0.0.0/8" }), []);
    assert.deepEqual(notes({ BASE_URL: "http://id.example.test" }), []);
    assert.deepEqual(notes({}), []);
  });
});
