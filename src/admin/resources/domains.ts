import { z } from "zod";
import { SYSTEM_DNS } from "../../identity/dns-txt.js";
import {
  checkDomain, claimDomain, deleteDomain, DomainRecord, getDomain, listDomains, markDomainVerified, setDomainConnection,
} from "../../identity/domains.js";
import { notFound } from "../../identity/errors.js";
import { requireAdmin } from "../auth.js";
import { at, id, ids, listOf } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";

/**
 * An organization's domains: claimed, then verified by a DNS TXT record (or by an operator). Verified domains route
 * `/login` to the organization's connections and bound whom its IdPs may sign in. Setup links may use every route
 * but the operator's.
 */

const TAG = "Domains";
const one = ids("domainId");

export const domainSchema = z.object({
  id: z.string(), name: z.string(),
  verified: z.boolean(),
  verifiedBy: z.enum(["dns", "operator"]).nullable(),
  verifiedAt: at.nullable(),
  challengeName: z.string().meta({ description: "The TXT record's name to publish: _rollcall-challenge.<domain>" }),
  token: z.string().meta({ description: "The TXT record's value" }),
  connectionId: z.string().nullable().meta({ description: "The connection this domain's people sign in with; null: the organization's default" }),
  checkedAt: at.nullable(),
  checkError: z.string().nullable().meta({ description: "Why the last DNS check did not verify the domain" }),
  createdAt: at,
}).meta({ id: "Domain" });

export function domainRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  const dns = deps.dns ?? SYSTEM_DNS;
  const existing = async (organizationId: string, domainId: string): Promise<DomainRecord> => {
    const domain = await getDomain(db, organizationId, domainId);
    if (!domain) throw notFound("Domain", domainId);
    return domain;
  };
  return [
    orgRoute("domains", {
      method: "get", path: "/domains", tag: TAG, summary: "The organization's domains, verified or not", response: listOf(domainSchema),
      handle: async ({ caller }) => ({ items: await listDomains(db, caller.organizationId) }),
    }, db),
    orgRoute("domains", {
      method: "post", path: "/domains", tag: TAG, status: 201,
      summary: "Claim a domain: publish the TXT record it names, then verify it",
      body: z.strictObject({ name: z.string().trim().min(1).max(253) }), response: domainSchema,
      handle: ({ body, caller }) => claimDomain(db, caller.organizationId, body.name, caller.actor),
    }, db),
    orgRoute("domains", {
      method: "get", path: "/domains/:domainId", tag: TAG, summary: "One domain, with its TXT record", params: one, response: domainSchema,
      handle: ({ params, caller }) => existing(caller.organizationId, params.domainId),
    }, db),
    orgRoute("domains", {
      method: "post", path: "/domains/:domainId/verify", tag: TAG, params: one, response: domainSchema,
      summary: "Look the TXT record up now: verified when it holds the token (409 when another organization holds the domain verified)",
      handle: ({ params, caller }) => checkDomain(db, caller.organizationId, params.domainId, dns, caller.actor),
    }, db),
    orgRoute("admin", {
      method: "post", path: "/domains/:domainId/mark-verified", tag: TAG, params: one, response: domainSchema,
      summary: "Operators only: mark the domain verified without DNS (ownership checked another way); audited",
      handle: ({ params, caller, res }) => {
        requireAdmin(res, "operator");
        return markDomainVerified(db, caller.organizationId, params.domainId, caller.actor);
      },
    }, db),
    orgRoute("domains", {
      method: "put", path: "/domains/:domainId/connection", tag: TAG, params: one, response: domainSchema,
      summary: "Send this domain's people to one connection (null: the organization's default)",
      body: z.strictObject({ connectionId: id.nullable() }),
      handle: ({ params, body, caller }) => setDomainConnection(db, caller.organizationId, params.domainId, body.connectionId, caller.actor),
    }, db),
    orgRoute("domains", {
      method: "delete", path: "/domains/:domainId", tag: TAG, summary: "Give up a domain", params: one, response: null,
      handle: async ({ params, caller }) => deleteDomain(db, caller.organizationId, params.domainId, caller.actor),
    }, db),
  ];
}
