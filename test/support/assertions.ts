import assert from "node:assert/strict";
import { ScimError, ScimType } from "../../src/scim/errors.js";

/** fn throws a ScimError with this status and scimType (and a detail matching `detail`, when given). */
export function assertScimError(fn: () => unknown, status: number, scimType: ScimType | null, detail?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ScimError, `expected a ScimError, got ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.scimType, scimType, err.message);
    if (detail) assert.match(err.message, detail);
    return true;
  });
}
