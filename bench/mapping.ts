/**
 * Team-mapping benchmark: `npm run bench:mapping [-- --members 10000 --db sqlite|postgres://user@host:5432/admin-db]`
 *
 * Creates an organization with one SCIM group of N members and a team, then times mapping the group to the team
 * (every member joins the team: N derived memberships and N audit events, in one transaction) and unmapping it.
 * Users and the group are created through the identity core, so seeding takes a while; only the two mapping
 * changes are timed.
 */
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/db/database.js";
import { createGroup } from "../src/identity/groups.js";
import { createOrganization } from "../src/identity/organizations.js";
import { createTeam, replaceTeamMappings } from "../src/identity/teams.js";
import { createUser } from "../src/identity/users.js";
import { fmt, log, machineLine, onFreshDatabase, positive, printHelp } from "./common.js";

const args = process.argv.slice(2);
if (args.includes("--help")) {
  printHelp(import.meta.url);
  process.exit(0);
}
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const members = positive("members", flag("members"), 10_000);
const system = { type: "system" as const, id: null };

await onFreshDatabase(flag("db") ?? "sqlite", async (target) => {
  const db = await openDatabase({ url: target.url });
  const org = await createOrganization(db, { slug: "bench", name: "bench" }, system);
  const ids: string[] = [];
  for (let i = 0; i < members; i++) {
    ids.push((await createUser(db, org.id, { userName: `user${i}@bench.test` }, system)).id);
    if ((i + 1) % 5000 === 0) log(`users: ${fmt(i + 1)}/${fmt(members)}`);
  }
  await createGroup(db, org.id, { displayName: "everyone", memberIds: ids }, system);
  const team = await createTeam(db, org.id, { name: "Everyone", roles: ["member"] }, system);
  const timed = async (what: string, change: () => Promise<unknown>) => {
    const started = performance.now();
    await change();
    console.log(`${what}: ${fmt(performance.now() - started)} ms`);
  };
  console.log(`\n${machineLine()}; ${db.dialect}; a group of ${fmt(members)} members`);
  await timed("map the group to a team (every member joins)", () => replaceTeamMappings(db, org.id, team.id, [{ idpGroup: "everyone" }], system));
  await timed("unmap it (every member leaves)", () => replaceTeamMappings(db, org.id, team.id, [], system));
  await db.close();
});
