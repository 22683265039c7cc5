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

describe("BRAND_* configuration", () => {
  const base = { DATABASE_URL: "sqlite::memory:" };

  it("defaults to Rollcall's brand and takes the operator's name, https logo and #rrggbb colour", () => {
    assert.deepEqual(loadConfig(base).config.brand, { name: "Rollcall", logoUrl: undefined, color: "#1d4ed8" });
    const { brand } = loadConfig({ ...base, BRAND_NAME: "Northwind Cloud", BRAND_LOGO_URL: "https://cdn.northwind.example/logo.svg", BRAND_COLOR: "#0B5FFF" }).config;
    assert.deepEqual(brand, { name: "Northwind Cloud", logoUrl: "https://cdn.northwind.example/logo.svg", color: "#0b5fff" });
  });

  it("refuses a logo over plain http and a colour that is not #rrggbb", () => {
    assert.throws(() => loadConfig({ ...base, BRAND_LOGO_URL: "http://cdn.northwind.example/logo.svg" }), /BRAND_LOGO_URL must be an absolute https:\/\/ URL/);
    assert.throws(() => loadConfig({ ...base, BRAND_COLOR: "red" }), /BRAND_COLOR must be a colour as #rrggbb/);
    assert.throws(() => loadConfig({ ...base, BRAND_COLOR: "#0b5fff;}" }), /BRAND_COLOR/);
  });
});
