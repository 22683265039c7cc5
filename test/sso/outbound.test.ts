import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertPublicUrl } from "../../src/sso/outbound.js";

describe("admin-entered IdP URLs", () => {
  it("must be https and public unless insecure IdPs are allowed", async () => {
    for (const url of ["http://idp.example.com/", "https://127.0.0.1/", "https://10.1.2.3/x", "https://[::1]/", "https://169.254.169.254/latest", "ftp://x/"]) {
      await assert.rejects(assertPublicUrl(url, false), url);
    }
    await assertPublicUrl("http://127.0.0.1:8080/", true);
    await assertPublicUrl("https://93.184.215.14/", false);
  });
});
