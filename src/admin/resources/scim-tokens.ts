import { z } from "zod";
import { createScimToken, listScimTokens, revokeScimToken } from "../../identity/scim-tokens.js";
import { SCIM_PREFIX } from "../../scim/context.js";
import { at, ids, label, listOf, secretFields } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";

/** The organization's SCIM bearer tokens, for its IdP's provisioning. Setup links may use every route here. */

const tokenSchema = z.object({ ...secretFields, lastUsedAt: at.nullable() }).meta({ id: "ScimToken" });

const TAG = "SCIM tokens";

export function scimTokenRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  return [
    orgRoute("scim", {
      method: "get", path: "/scim-tokens", tag: TAG, summary: "The organization's SCIM tokens (never their values), with their last use",
      response: listOf(tokenSchema),
      handle: async ({ caller }) => ({ items: await listScimTokens(db, caller.organizationId) }),
    }, db),
    orgRoute("scim", {
      method: "post", path: "/scim-tokens", tag: TAG, status: 201,
      summary: "Create a SCIM token: the answer is the only time its value is shown",
      body: z.strictObject({ name: label }),
      response: tokenSchema.extend({
        token: z.string().meta({ description: "Shown once: store it in the IdP's provisioning settings" }),
        scimBaseUrl: z.string(),
        entraTenantUrl: z.string().meta({ description: "The base URL for Microsoft Entra ID (its RFC-compliant mode)" }),
      }),
      async handle({ body, caller }) {
        const { token, info } = await createScimToken(db, caller.organizationId, { name: body.name }, caller.actor);
        const scimBaseUrl = deps.baseUrl + SCIM_PREFIX;
        return { ...info, token, scimBaseUrl, entraTenantUrl: `${scimBaseUrl}?aadOptscim062020` };
      },
    }, db),
    orgRoute("scim", {
      method: "delete", path: "/scim-tokens/:tokenId", tag: TAG, summary: "Revoke a SCIM token: refused from the next request on",
      params: ids("tokenId"), response: null,
      handle: ({ params, caller }) => revokeScimToken(db, caller.organizationId, params.tokenId, caller.actor),
    }, db),
  ];
}
