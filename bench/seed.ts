/**
 * Seeds a benchmark database fast. The organization and its SCIM token go through the identity layer (so the token
 * is hashed and looked up exactly as in production); the bulk — users, their emails, groups, memberships and one
 * audit event per user and group — is written as multi-row INSERTs straight into the tables, in the shape
 * src/identity/users.ts and groups.ts write them (folded userName, one `user_values` row per email, membership
 * rows). Going through createUser would cost one transaction and a read-back per user: minutes, not seconds, and
 * not a figure of anything the benchmark measures.
 */
import { randomBytes } from "node:crypto";
import { EntityManager } from "typeorm";
import { Database } from "../src/db/database.js";
import { createOrganization } from "../src/identity/organizations.js";
import { createScimToken } from "../src/identity/scim-tokens.js";
import { recountResources } from "../src/identity/resource-counts.js";
import { newRowId } from "../src/identity/ids.js";
import { foldCase, foldedPrefix } from "../src/identity/text.js";

export interface SeedOptions {
  users: number;
  /** Members of the one big group: users 0 … bigGroupSize-1. */
  bigGroupSize: number;
  /** Small groups of smallGroupSize consecutive users each, so that a run of member adds leaves each near its size. */
  smallGroups: number;
  smallGroupSize: number;
  progress(line: string): void;
  /** The organization's slug: "bench" unless several are seeded into one database. */
  slug?: string;
}

export interface SeededUser { id: string; userName: string; externalId: string }

export interface Seeded {
  organizationId: string;
  token: string;
  users: SeededUser[];
  bigGroupId: string;
  smallGroupIds: string[];
}

const FIRST = ["Ada", "Alan", "Barbara", "Claude", "Dana", "Edsger", "Frances", "Grace", "Hedy", "Ivan", "Joan", "Ken",
  "Leslie", "Margaret", "Niklaus", "Olga", "Peter", "Radia", "Sophie", "Tim", "Ursula", "Vint", "Whitfield", "Yukihiro"];
const LAST = ["Lovelace", "Turing", "Liskov", "Shannon", "Scott", "Dijkstra", "Allen", "Hopper", "Lamarr", "Sutherland",
  "Clarke", "Thompson", "Lamport", "Hamilton", "Wirth", "Taussky", "Naur", "Perlman", "Wilson", "Berners-Lee", "Franklin",
  "Cerf", "Diffie", "Matsumoto"];
const DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Marketing", "Operations", "Legal", "People"];
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** An Okta-style user id (`00u` + 17 base62 characters), used as externalId. */
export function oktaId(): string {
  const bytes = randomBytes(17);
  let out = "00u";
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

export function personName(i: number): { given: string; family: string } {
  return { given: FIRST[i % FIRST.length], family: LAST[Math.floor(i / FIRST.length) % LAST.length] };
}

/** The body Okta's SCIM 2.0 connector POSTs for a new user (groups is always sent, empty). */
export function oktaUserBody(i: number, userName: string, password?: string): string {
  const { given, family } = personName(i);
  return JSON.stringify({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName, name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: userName, type: "work" }], displayName: `${given} ${family}`, locale: "en-US",
    externalId: oktaId(), groups: [], ...(password ? { password } : {}), active: true,
  });
}

/** The organization and its SCIM token, through the identity layer. */
export async function seedOrganization(db: Database, slug = "bench"): Promise<{ organizationId: string; token: string; tokenId: string }> {
  const system = { type: "system" as const, id: null };
  const org = await createOrganization(db, { slug, name: `Benchmark organization ${slug}` }, system);
  const { token, info } = await createScimToken(db, org.id, { name: "bench" }, system);
  return { organizationId: org.id, token, tokenId: info.id };
}

/** Multi-row INSERT in chunks, with `?` (SQLite) or `$n` (PostgreSQL) placeholders. */
async function bulkInsert(em: EntityManager, db: Database, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const perChunk = Math.max(1, Math.floor(10_000 / columns.length));
  const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES `;
  for (let start = 0; start < rows.length; start += perChunk) {
    const chunk = rows.slice(start, start + perChunk);
    let n = 0;
    const tuples = chunk.map(() => `(${columns.map(() => (db.dialect === "postgres" ? `$${++n}` : "?")).join(", ")})`);
    await em.query(head + tuples.join(", "), chunk.flat());
  }
}

export async function seed(db: Database, options: SeedOptions): Promise<Seeded> {
  const { organizationId, token, tokenId } = await seedOrganization(db, options.slug);
  const bool = (b: boolean) => (db.dialect === "sqlite" ? (b ? 1 : 0) : b);
  const actor = ["scim_token", tokenId];
  // Creation times one second apart, ending now, like an org provisioned over a day or so.
  const t0 = Date.now() - options.users * 1000;
  const at = (i: number) => new Date(t0 + i * 1000).toISOString();

  const users: SeededUser[] = [];
  const batch = Math.max(1_000, Math.ceil(options.users / 10));
  let nextReport = 0.1;
  // One transaction per tenth of the users.
  const runInTransaction = (fn: (em: EntityManager) => Promise<void>) => db.transaction(fn);
  for (let start = 0; start < options.users; start += batch) {
    const end = Math.min(options.users, start + batch);
    const userRows: unknown[][] = [];
    const emailRows: unknown[][] = [];
    const auditRows: unknown[][] = [];
    for (let i = start; i < end; i++) {
      const { given, family } = personName(i);
      const userName = `${given}.${family}.${i}@example.com`.toLowerCase();
      const id = newRowId();
      const now = at(i);
      const externalId = oktaId();
      users.push({ id, userName, externalId });
      userRows.push([id, organizationId, userName, foldCase(userName), externalId, bool(true), "scim", `${given} ${family}`,
        `${given} ${family}`, family, foldedPrefix(family), given, "en-US", "Engineer", DEPARTMENTS[i % DEPARTMENTS.length], 1, now, now]);
      emailRows.push([organizationId, id, "emails", 0, userName, foldCase(userName), "work", bool(true)]);
      auditRows.push([organizationId, now, ...actor, "user.created", "user", id,
        JSON.stringify({ userName, externalId, active: true, source: "scim" })]);
    }
    await runInTransaction(async (em) => {
      await bulkInsert(em, db, "users", ["id", "organization_id", "user_name", "user_name_norm", "external_id", "active", "source",
        "display_name", "name_formatted", "name_family_name", "name_family_name_norm", "name_given_name", "locale", "title", "department", "version",
        "created_at", "updated_at"], userRows);
      await bulkInsert(em, db, "user_values", ["organization_id", "user_id", "attribute", "position", "value", "value_norm", "type", "primary"], emailRows);
      await bulkInsert(em, db, "audit_events", ["organization_id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "summary"], auditRows);
    });
    while (end / options.users >= nextReport - 1e-9) {
      options.progress(`users ${end.toLocaleString("en-US")}/${options.users.toLocaleString("en-US")} (${Math.round(nextReport * 100)}%)`);
      nextReport += 0.1;
    }
  }

  const groupRows: unknown[][] = [];
  const memberRows: unknown[][] = [];
  const groupAudit: unknown[][] = [];
  const now = new Date().toISOString();
  const addGroup = (displayName: string, members: SeededUser[]) => {
    const id = newRowId();
    groupRows.push([id, organizationId, displayName, foldCase(displayName), oktaId().replace(/^00u/, "00g"), 1, now, now]);
    for (const m of members) memberRows.push([id, m.id, organizationId, now]);
    groupAudit.push([organizationId, now, ...actor, "group.created", "group", id, JSON.stringify({ displayName, added: { count: members.length } })]);
    return id;
  };
  const bigGroupId = addGroup(`All staff (${options.bigGroupSize.toLocaleString("en-US")})`, users.slice(0, options.bigGroupSize));
  const smallGroupIds: string[] = [];
  for (let g = 0; g < options.smallGroups; g++) {
    const from = (g * options.smallGroupSize) % Math.max(1, users.length - options.smallGroupSize + 1);
    smallGroupIds.push(addGroup(`Team ${g + 1}`, users.slice(from, from + options.smallGroupSize)));
  }
  await runInTransaction(async (em) => {
    await bulkInsert(em, db, "groups", ["id", "organization_id", "display_name", "display_name_norm", "external_id", "version", "created_at", "updated_at"], groupRows);
    await bulkInsert(em, db, "group_members", ["group_id", "user_id", "organization_id", "created_at"], memberRows);
    await bulkInsert(em, db, "audit_events", ["organization_id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "summary"], groupAudit);
    // The rows went in around the identity layer, so the counts it keeps are set from them.
    await recountResources(em, organizationId);
  });
  options.progress(`groups: 1 × ${options.bigGroupSize.toLocaleString("en-US")} members, ${options.smallGroups.toLocaleString("en-US")} × ${options.smallGroupSize} members`);
  // PostgreSQL's autovacuum would analyse freshly loaded tables within a minute; do it now so that plans are the
  // ones a settled database gets. On SQLite the app gathers its own when it opens the file (PRAGMA optimize).
  if (db.dialect === "postgres") await db.dataSource.query("ANALYZE");
  return { organizationId, token, users, bigGroupId, smallGroupIds };
}
