import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

/**
 * The SAML stack's security advisories (note §4), checked offline: every copy of these packages in
 * package-lock.json, nested ones included, must be at or above the first fixed version.
 */
const FLOORS: Record<string, string> = {
  "@node-saml/node-saml": "5.1.0", // CVE-2025-54369, CVE-2025-54419: assertion read from unsigned content
  "@node-saml/passport-saml": "5.1.0", // CVE-2022-39299 (multiple roots), CVE-2021-39171 (transform DoS)
  "xml-crypto": "6.0.1", // CVE-2025-29774, CVE-2025-29775, CVE-2024-32962 (trusted KeyInfo certificate)
  "@xmldom/xmldom": "0.8.13", // CVE-2022-39353, CVE-2026-34601
};

type Lock = { packages: Record<string, { version?: string }> };

/** -1, 0 or 1; a pre-release sorts before its release. */
function compareVersions(a: string, b: string): number {
  const [coreA, preA] = a.split("-", 2);
  const [coreB, preB] = b.split("-", 2);
  const partsA = coreA.split(".").map(Number);
  const partsB = coreB.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (partsA[i] !== partsB[i]) return Math.sign(partsA[i] - partsB[i]);
  return preA === preB ? 0 : preA === undefined ? 1 : preB === undefined ? -1 : preA < preB ? -1 : 1;
}

/** Every copy of each floored package below its floor, as "path@version"; throws when a package is missing. */
function belowFloors(lock: Lock): string[] {
  const found: string[] = [];
  for (const [name, floor] of Object.entries(FLOORS)) {
    const copies = Object.entries(lock.packages).filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`));
    if (!copies.length) throw new Error(`${name} is not in the lock file`);
    for (const [path, { version }] of copies) {
      if (!version || compareVersions(version, floor) < 0) found.push(`${path}@${version}`);
    }
  }
  return found;
}

describe("SAML dependency version floors", () => {
  it("holds for every copy in package-lock.json", () => {
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as Lock;
    assert.deepEqual(belowFloors(lock), []);
  });

  it("catches a nested copy below its floor, and pre-releases of the floor", () => {
    const ok = Object.fromEntries(Object.entries(FLOORS).map(([name, floor]) => [`node_modules/${name}`, { version: floor }]));
    assert.deepEqual(belowFloors({ packages: ok }), []);
    assert.deepEqual(belowFloors({ packages: { ...ok, "node_modules/x/node_modules/xml-crypto": { version: "6.0.0" } } }),
      ["node_modules/x/node_modules/xml-crypto@6.0.0"]);
    assert.deepEqual(belowFloors({ packages: { ...ok, "node_modules/@xmldom/xmldom": { version: "0.8.13-rc.1" } } }),
      ["node_modules/@xmldom/xmldom@0.8.13-rc.1"]);
    assert.throws(() => belowFloors({ packages: {} }), /not in the lock file/);
  });
});
