import { mkdtempSync } from "node:fs"; import { tmpdir } from "node:os"; import { join } from "node:path";
import { openDatabase } from "../src/db/database.js";
import { seed } from "../bench/seed.js";
import { readListRequest } from "../src/scim/list-request.js";
import { userType } from "../src/scim/schemas.js";
import { userColumns } from "../src/identity/attribute-columns.js";
import { listUsers } from "../src/identity/users.js";
const url = process.argv[2] ?? `sqlite:${join(mkdtempSync(join(tmpdir(), "c-")), "c.sqlite")}`;
const db = await openDatabase({ url });
const s = await seed(db, { users: 30000, bigGroupSize: 10, smallGroups: 1, smallGroupSize: 5, progress: () => {} });
for (const n of [1, 4, 8, 16, 164]) {
  const filter = Array.from({ length: n }, (_, i) => `displayName co "zq${i}x"`).join(" or ");
  const req = readListRequest({ filter }, userType, userColumns, { db, secretKey: Buffer.alloc(32) }, s.organizationId);
  const t = performance.now();
  const page = await listUsers(db, s.organizationId, req.query);
  console.log(n, "clauses", (performance.now() - t).toFixed(1), "ms", page.total);
}
for (const f of ['userName eq "x@y"', 'emails.value co "zz"', 'name.familyName sw "Lov"', 'title pr', 'userName co "a"']) {
  const req = readListRequest({ filter: f }, userType, userColumns, { db, secretKey: Buffer.alloc(32) }, s.organizationId);
  const t = performance.now();
  const page = await listUsers(db, s.organizationId, req.query);
  console.log(f, (performance.now() - t).toFixed(1), "ms", page.total);
}
await db.close();
