import { z } from "zod";
import { createApiToken, listApiTokens, revokeApiToken } from "../../identity/api-tokens.js";
import { at, ids, label, listOf, secretFields } from "../schemas.js";
import { AdminDeps, Route, route } from "../routing.js";

/** The caller's own personal API tokens (admin accounts only): for scripts, sent as Authorization: Bearer. */

const tokenSchema = z.object({ ...secretFields, lastUsedAt: at.nullable() }).meta({ id: "ApiToken" });

const TAG = "Personal API tokens";

export function apiTokenRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  return [
    route("account", {
      method: "get", path: "/api-tokens", tag: TAG, summary: "The caller's API tokens (never their values)", response: listOf(tokenSchema),
      handle: async ({ caller }) => ({ items: await listApiTokens(db, caller.adminId!) }),
    }),
    route("account", {
      method: "post", path: "/api-tokens", tag: TAG, status: 201, summary: "Create an API token: the answer is the only time its value is shown",
      body: z.strictObject({ name: label }),
      response: tokenSchema.extend({ token: z.string().meta({ description: "Shown once" }) }),
      async handle({ body, caller }) {
        const { token, info } = await createApiToken(db, caller.adminId!, { name: body.name }, caller.actor);
        return { ...info, token };
      },
    }),
    route("account", {
      method: "delete", path: "/api-tokens/:tokenId", tag: TAG, summary: "Revoke one of the caller's API tokens, at once",
      params: ids("tokenId"), response: null,
      handle: ({ params, caller }) => revokeApiToken(db, caller.adminId!, params.tokenId, caller.actor),
    }),
  ];
}
