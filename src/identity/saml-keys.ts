import { Database } from "../db/database.js";
import { Connection } from "../../entities/index.js";
import { recordAudit } from "./audit.js";
import { ConnectionRecord, listConnectionsOfType, lockedConnection, recordOf, sealedSettings, spKeyName } from "./connections.js";
import { conflict, invalid } from "./errors.js";
import { Actor } from "./records.js";
import { newSpKey, SpKey } from "./saml-key-material.js";
import { timestamp } from "./text.js";

/**
 * Rotation of a SAML connection's SP key without downtime: `publishNextSpKey` adds a next key beside the current one
 * (the SP metadata lists both, both decrypt, so the IdP may switch whenever its admin does), then `promoteNextSpKey`
 * makes it the current one and drops the old key. Each step is audited in its own transaction; private keys and
 * certificates never reach the audit log, only fingerprints.
 */

type KeyChange = (keys: SpKey[]) => SpKey[];

async function changeSpKeys(
  db: Database, secretKey: Buffer, organizationId: string, connectionId: string, actor: Actor,
  action: string, change: KeyChange, summarise: (before: SpKey[], after: SpKey[]) => Record<string, unknown>,
): Promise<ConnectionRecord> {
  return db.transaction(async (em) => {
    const before = recordOf(secretKey, await lockedConnection(em, organizationId, connectionId));
    if (!before.saml) throw invalid("only a SAML connection has SP keys");
    const keys = change(before.saml.spKeys ?? []);
    const saml = { ...before.saml, spKeys: keys };
    await em.update(Connection, { id: connectionId, organizationId }, {
      settings: sealedSettings(secretKey, connectionId, { saml }), version: before.version + 1, updatedAt: timestamp(),
    });
    await recordAudit(em, {
      organizationId, actor, action, targetType: "connection", targetId: connectionId,
      summary: summarise(before.saml.spKeys ?? [], keys),
    });
    return recordOf(secretKey, (await em.findOneBy(Connection, { id: connectionId }))!);
  });
}

const described = (key: SpKey | undefined) => key && { keyId: key.id, notAfter: key.notAfter };

/** Publishes a fresh next key beside the current one; refused while one is already published. */
export async function publishNextSpKey(
  db: Database, secretKey: Buffer, organizationId: string, connectionId: string, actor: Actor,
): Promise<ConnectionRecord> {
  // Generated outside the transaction: ≈0.1–0.5 s of key search must not hold the connection's row lock.
  const next = await newSpKey(spKeyName(connectionId), "next");
  return changeSpKeys(db, secretKey, organizationId, connectionId, actor, "connection.sp_key_published", (keys) => {
    if (keys.some((k) => k.state === "next")) throw conflict("a next SP key is already published: promote it or discard it first");
    // A connection that has no key yet (created before SP keys existed) gets it as its current key.
    return [...keys, { ...next, state: keys.length ? "next" : "current" }];
  }, (_, after) => ({ published: described(after.at(-1)) }));
}

/** Makes the next key the current one; the old current key stops decrypting and leaves the metadata. */
export async function promoteNextSpKey(
  db: Database, secretKey: Buffer, organizationId: string, connectionId: string, actor: Actor,
): Promise<ConnectionRecord> {
  return changeSpKeys(db, secretKey, organizationId, connectionId, actor, "connection.sp_key_promoted", (keys) => {
    const next = keys.find((k) => k.state === "next");
    if (!next) throw conflict("there is no next SP key to promote: publish one first");
    return [{ ...next, state: "current" }];
  }, (before) => ({ promoted: described(before.find((k) => k.state === "next")), retired: described(before.find((k) => k.state === "current")) }));
}

/** Withdraws a published next key (an IdP that was never switched to it). */
export async function discardNextSpKey(
  db: Database, secretKey: Buffer, organizationId: string, connectionId: string, actor: Actor,
): Promise<ConnectionRecord> {
  return changeSpKeys(db, secretKey, organizationId, connectionId, actor, "connection.sp_key_discarded", (keys) => {
    if (!keys.some((k) => k.state === "next")) throw conflict("there is no next SP key to discard");
    return keys.filter((k) => k.state !== "next");
  }, (before) => ({ discarded: described(before.find((k) => k.state === "next")) }));
}

/**
 * Gives every SAML connection that has no SP key (created before SP keys existed) its first one: run at start-up.
 * Returns how many were given one.
 */
export async function ensureSpKeys(db: Database, secretKey: Buffer): Promise<number> {
  let given = 0;
  for (const connection of await listConnectionsOfType(db, secretKey, "saml")) {
    if (connection.saml?.spKeys?.length) continue;
    const first = await newSpKey(spKeyName(connection.id), "current");
    await changeSpKeys(db, secretKey, connection.organizationId, connection.id, { type: "system", id: null }, "connection.sp_key_created", (keys) => {
      // Another replica starting at the same time got there first.
      if (keys.length) throw new AlreadyKeyed();
      return [first];
    }, () => ({ created: described(first) })).then(() => given++, (err) => {
      if (!(err instanceof AlreadyKeyed)) throw err;
    });
  }
  return given;
}

class AlreadyKeyed extends Error {}

/** Days until each SP certificate of each SAML connection expires (negative once expired), for /metrics. */
export async function spCertificateExpiries(db: Database, secretKey: Buffer, now = Date.now()) {
  const connections = await listConnectionsOfType(db, secretKey, "saml");
  return connections.flatMap((c) => (c.saml?.spKeys ?? []).map((k) => ({
    connectionId: c.id, state: k.state, days: (Date.parse(k.notAfter) - now) / 86_400_000,
  })));
}
