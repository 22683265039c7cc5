import { In } from "typeorm";
import { Connection, Domain } from "../../entities/index.js";
import { Database } from "../db/database.js";
import { ConnectionRecord, recordOf } from "./connections.js";
import { domainAndParents, emailDomain } from "./domains.js";

/**
 * Where a person signs in, from their email: the organization that verified its domain (or the closest parent
 * domain), and that organization's enabled connections for it. Used by `/login` and by the OIDC provider's
 * `login_hint`. A domain nobody verified routes nowhere: claiming is not owning.
 */

export interface LoginRoute {
  /** The verified domain that matched (the email's, or a parent of it). */
  domain: string;
  organizationId: string;
  /**
   * The connections to offer, in order: the domain's own connection when it is enabled, else the organization's
   * enabled default, else every enabled connection (the person picks). Empty: SSO is switched off there.
   */
  connections: ConnectionRecord[];
}

export async function routeByEmail(db: Database, key: Buffer, email: string): Promise<LoginRoute | null> {
  const domain = emailDomain(email);
  if (!domain) return null;
  const candidates = domainAndParents(domain);
  const verified = await db.dataSource.getRepository(Domain).find({ where: { verifiedName: In(candidates) } });
  // The most specific verified domain wins: eu.acme.example's owner over acme.example's.
  const match = verified.sort((a, b) => b.name.length - a.name.length)[0];
  if (!match) return null;
  const enabled = (await db.dataSource.getRepository(Connection).find({
    where: { organizationId: match.organizationId, enabled: true }, order: { createdAt: "ASC" },
  })).map((row) => recordOf(key, row));
  const own = enabled.find((c) => c.id === match.connectionId);
  const fallback = enabled.find((c) => c.isDefault);
  return { domain: match.name, organizationId: match.organizationId, connections: own ? [own] : fallback ? [fallback] : enabled };
}
