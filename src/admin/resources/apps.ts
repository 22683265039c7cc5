import { z } from "zod";
import { listSigningKeys, rotateSigningKeys } from "../../identity/op-keys.js";
import {
  CLIENT_AUTH_METHODS, createOpClient, deleteOpClient, getOpClient, listOpClients, rotateOpClientSecret, updateOpClient,
} from "../../identity/op-clients.js";
import { notFound } from "../../identity/errors.js";
import { at, id, label, listOf } from "../schemas.js";
import { AdminDeps, Route, route } from "../routing.js";

/**
 * Apps that sign people in through Rollcall's OpenID Provider (issuer: BASE_URL), and the provider's signing keys.
 * Instance-level, for operators: an app may serve several organizations.
 */

const TAG = "Apps (OpenID Connect clients)";
const url = z.string().max(2000);
const jwks = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).min(1).max(10) });

const appSchema = z.object({
  clientId: z.string(),
  name: z.string(),
  authMethod: z.enum(CLIENT_AUTH_METHODS).meta({ description: "How the app authenticates at the token endpoint" }),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable().meta({ description: "The app's public keys (private_key_jwt)" }),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  organizationIds: z.array(z.string()).nullable().meta({ description: "Organizations whose users may sign in; null: all" }),
  connectionId: z.string().nullable().meta({ description: "Sign-ins always go through this connection" }),
  backchannelLogoutUri: z.string().nullable(),
  refreshTokens: z.boolean(),
  createdAt: at,
  updatedAt: at,
}).meta({ id: "App" });

const appInput = {
  name: label,
  jwks: jwks.nullable(),
  redirectUris: z.array(url).min(1).max(20),
  postLogoutRedirectUris: z.array(url).max(20),
  organizationIds: z.array(id).min(1).max(1000).nullable(),
  connectionId: id.nullable(),
  backchannelLogoutUri: url.nullable(),
  refreshTokens: z.boolean(),
};

const clientIdParam = z.object({ clientId: z.string().regex(/^app_[A-Za-z0-9_-]{16}$/) });

const keySchema = z.object({
  kid: z.string(), alg: z.enum(["ES256", "RS256"]), createdAt: at,
  activatesAt: at.meta({ description: "Signs from then on; published from its creation" }),
  retiredAt: at.nullable().meta({ description: "Signs no more from then on; stays published a day longer" }),
}).meta({ id: "SigningKey" });

export function appRoutes(deps: AdminDeps): Route[] {
  const { db } = deps;
  const existing = async (clientId: string) => (await getOpClient(db, clientId)) ?? Promise.reject(notFound("app", clientId));
  return [
    route("operator", {
      method: "get", path: "/apps", tag: TAG, summary: "Registered apps (never their secrets)", response: listOf(appSchema),
      handle: async () => ({ items: await listOpClients(db) }),
    }),
    route("operator", {
      method: "post", path: "/apps", tag: TAG, status: 201,
      summary: "Register an app: the answer is the only time its client secret is shown",
      body: z.strictObject({ ...appInput, authMethod: z.enum(CLIENT_AUTH_METHODS) }).partial().required({ name: true, redirectUris: true }),
      response: appSchema.extend({ clientSecret: z.string().nullable().meta({ description: "Shown once; null for private_key_jwt" }) }),
      async handle({ body, caller }) {
        const { client, secret } = await createOpClient(db, body, caller.actor);
        return { ...client, clientSecret: secret };
      },
    }),
    route("operator", {
      method: "get", path: "/apps/:clientId", tag: TAG, summary: "One app", params: clientIdParam, response: appSchema,
      handle: ({ params }) => existing(params.clientId),
    }),
    route("operator", {
      method: "patch", path: "/apps/:clientId", tag: TAG, summary: "Change an app's settings", params: clientIdParam,
      body: z.strictObject(appInput).partial(), response: appSchema,
      handle: ({ params, body, caller }) => updateOpClient(db, params.clientId, body, caller.actor),
    }),
    route("operator", {
      method: "post", path: "/apps/:clientId/secret", tag: TAG, summary: "Replace the app's client secret at once; shown in the answer only",
      params: clientIdParam, response: z.object({ clientSecret: z.string() }),
      handle: async ({ params, caller }) => ({ clientSecret: await rotateOpClientSecret(db, params.clientId, caller.actor) }),
    }),
    route("operator", {
      method: "delete", path: "/apps/:clientId", tag: TAG, summary: "Remove an app: its sign-ins and token requests are refused at once",
      params: clientIdParam, response: null,
      handle: ({ params, caller }) => deleteOpClient(db, params.clientId, caller.actor),
    }),
    route("operator", {
      method: "get", path: "/signing-keys", tag: TAG, summary: "The OpenID Provider's signing keys (public metadata only)",
      response: listOf(keySchema), handle: async () => ({ items: await listSigningKeys(db) }),
    }),
    route("operator", {
      method: "post", path: "/signing-keys/rotate", tag: TAG,
      summary: "Publish a new ES256 and RS256 pair now; it signs a minute later and the old pair stays published a day",
      response: listOf(keySchema),
      handle: async ({ caller }) => ({ items: await rotateSigningKeys(db, deps.secretKey, caller.actor) }),
    }),
  ];
}
