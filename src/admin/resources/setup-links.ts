import { z } from "zod";
import {
  createSetupLink, DEFAULT_SETUP_LINK_HOURS, listSetupLinks, MAX_SETUP_LINK_HOURS, revokeSetupLink, SETUP_CAPABILITIES, setupLinkUrl,
} from "../../identity/setup-links.js";
import { openSetupSession, setupContext } from "../auth.js";
import { ApiProblem } from "../problems.js";
import { at, ids, label, listOf, secretFields } from "../schemas.js";
import { AdminDeps, orgRoute, publicRoute, Route } from "../routing.js";
import { meOf, meSchema } from "./session.js";

/**
 * Self-serve setup links: an admin creates one for a customer's IT admin, who opens it (the console's /setup/<token>
 * page, or POST /setup-links/redeem) and may then configure what the link's capabilities allow of that organization.
 */

const capability = z.enum(SETUP_CAPABILITIES);

const linkSchema = z.object({
  ...secretFields, createdBy: z.string().nullable(), expiresAt: at,
  capabilities: z.array(capability).meta({ description: "What the link may configure: sso (connections), scim (tokens), domains, mappings (group → team)" }),
  completedAt: at.nullable().meta({ description: "When the IT admin finished the setup portal (which revokes the link)" }),
}).meta({ id: "SetupLink" });

const TAG = "Setup links";

export function setupLinkRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  return [
    orgRoute("admin", {
      method: "get", path: "/setup-links", tag: TAG, summary: "The organization's setup links (never their values)", response: listOf(linkSchema),
      handle: async ({ caller }) => ({ items: await listSetupLinks(db, caller.organizationId) }),
    }, db),
    orgRoute("admin", {
      method: "post", path: "/setup-links", tag: TAG, status: 201,
      summary: "Create a setup link for a customer's IT admin: the answer is the only time its URL is shown",
      body: z.strictObject({
        name: label.meta({ description: "Who it is for, e.g. Acme IT" }),
        validHours: z.number().int().min(1).max(MAX_SETUP_LINK_HOURS).default(DEFAULT_SETUP_LINK_HOURS),
        capabilities: z.array(capability).min(1).default([...SETUP_CAPABILITIES])
          .meta({ description: "What the link may configure; all of them when left out" }),
      }),
      response: linkSchema.extend({ token: z.string(), url: z.string().meta({ description: "Shown once: send it to the IT admin" }) }),
      async handle({ body, caller }) {
        const { token, info } = await createSetupLink(db, caller.organizationId, body, caller.actor);
        return { ...info, token, url: setupLinkUrl(deps.baseUrl, token) };
      },
    }, db),
    orgRoute("admin", {
      method: "delete", path: "/setup-links/:linkId", tag: TAG, summary: "Revoke a setup link and end the sessions opened with it",
      params: ids("linkId"), response: null,
      handle: ({ params, caller }) => revokeSetupLink(db, caller.organizationId, params.linkId, caller.actor),
    }, db),
    publicRoute({
      method: "post", path: "/setup-links/redeem", tag: TAG, summary: "Open a setup session with a setup link's token (session cookie)",
      body: z.strictObject({ token: z.string().min(1).max(200) }),
      response: meSchema,
      async handle({ body, req }) {
        const link = await openSetupSession(req, db, body.token);
        if (!link) throw new ApiProblem("unauthenticated", "This setup link does not work: it expired, was revoked or is incomplete. Ask for a new one.");
        return meOf(deps, setupContext(link));
      },
    }),
  ];
}
