/**
 * Child of bench/events.ts: the identity core's write cost, in one process, for the source tree at `--root` (this
 * checkout, with the outbox, or the base commit without it). Prints one JSON line: µs per user creation and per update.
 * Flags: --root DIR --db URL (a fresh database that bench/events.ts made) --writes N
 */
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { root: { type: "string" }, db: { type: "string" }, writes: { type: "string", default: "2000" } } });
const root = values.root!;
const writes = Number(values.writes);
const [{ openDatabase }, { createOrganization }, { createUser, updateUser }] = await Promise.all([
  import(join(root, "src/db/database.ts")), import(join(root, "src/identity/organizations.ts")), import(join(root, "src/identity/users.ts")),
]);
const url = values.db!;
const db = await openDatabase({ url });
const actor = { type: "scim_token", id: "bench" };
const org = (await createOrganization(db, { slug: "bench", name: "Bench" }, actor)).id;
const email = (i: number) => [{ value: `user${i}@bench.test`, type: "work", primary: true }];
// Warm-up: statement caches, JIT.
for (let i = 0; i < 200; i++) await createUser(db, org, { userName: `warm${i}@bench.test`, emails: email(i) }, actor);
let started = process.hrtime.bigint();
const ids: string[] = [];
for (let i = 0; i < writes; i++) ids.push((await createUser(db, org, { userName: `user${i}@bench.test`, emails: email(i), name: { givenName: "U", familyName: `${i}` } }, actor)).id);
const createUs = Number(process.hrtime.bigint() - started) / 1000 / writes;
started = process.hrtime.bigint();
for (let i = 0; i < writes; i++) await updateUser(db, org, ids[i], (u: object) => ({ ...u, displayName: `User ${i}` }), actor);
const updateUs = Number(process.hrtime.bigint() - started) / 1000 / writes;
await db.close();
console.log(JSON.stringify({ createUs, updateUs }));
