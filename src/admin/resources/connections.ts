import { z } from "zod";
import {
  createConnection, deleteConnection, getConnection, listConnections, setConnectionEnabled, updateConnection,
} from "../../identity/connections.js";
import { discardNextSpKey, promoteNextSpKey, publishNextSpKey } from "../../identity/saml-keys.js";
import { notFound } from "../../identity/errors.js";
import {
  connectionChangeFrom, connectionFormSchema, connectionChangeSchema, connectionInputFrom, publicConnection, publicConnectionSchema, testLoginUrl,
} from "../../sso/connection-setup.js";
import { ids, listOf } from "../schemas.js";
import { AdminDeps, orgRoute, Route } from "../routing.js";

/** An organization's SSO connections (OIDC or SAML). Setup links may use every route here. */

const TAG = "SSO connections";
const one = ids("connectionId");

export function connectionRoutes(deps: AdminDeps): Route[] {
  const { db, secretKey: key, baseUrl } = deps;
  const options = { allowInsecureIdp: deps.allowInsecureIdp };
  const existing = async (organizationId: string, id: string) => {
    const connection = await getConnection(db, key, organizationId, id);
    if (!connection) throw notFound("Connection", id);
    return connection;
  };
  const shown = (c: Parameters<typeof publicConnection>[0]) => publicConnection(c, baseUrl);
  return [
    orgRoute("sso", {
      method: "get", path: "/connections", tag: TAG, summary: "The organization's SSO connections", response: listOf(publicConnectionSchema),
      handle: async ({ caller }) => ({ items: (await listConnections(db, key, caller.organizationId)).map(shown) }),
    }, db),
    orgRoute("sso", {
      method: "post", path: "/connections", tag: TAG, status: 201,
      summary: "Create a connection (disabled): the preset fills what is left out; SAML metadata is fetched from its URL or read from the XML",
      body: connectionFormSchema, response: publicConnectionSchema,
      async handle({ body, caller }) {
        const input = await connectionInputFrom(body, options);
        return shown(await createConnection(db, key, caller.organizationId, input, caller.actor));
      },
    }, db),
    orgRoute("sso", {
      method: "get", path: "/connections/:connectionId", tag: TAG, summary: "One connection, with the URLs to give the IdP",
      params: one, response: publicConnectionSchema,
      handle: async ({ params, caller }) => shown(await existing(caller.organizationId, params.connectionId)),
    }, db),
    orgRoute("sso", {
      method: "patch", path: "/connections/:connectionId", tag: TAG, summary: "Change a connection; a left-out clientSecret is kept",
      params: one, body: connectionChangeSchema, response: publicConnectionSchema,
      async handle({ params, body, caller }) {
        const current = await existing(caller.organizationId, params.connectionId);
        const change = await connectionChangeFrom(body, current, options);
        return shown(await updateConnection(db, key, caller.organizationId, current.id, change, caller.actor));
      },
    }, db),
    orgRoute("sso", {
      method: "delete", path: "/connections/:connectionId", tag: TAG, summary: "Delete a connection and the IdP identities linked through it",
      params: one, response: null,
      handle: ({ params, caller }) => deleteConnection(db, caller.organizationId, params.connectionId, caller.actor),
    }, db),
    ...([["enable", true], ["disable", false]] as const).map(([verb, enabled]) => orgRoute("sso", {
      method: "post", path: `/connections/:connectionId/${verb}`, tag: TAG,
      summary: enabled ? "Enable a connection (a second enabled one needs a verified domain)" : "Disable a connection",
      params: one, response: publicConnectionSchema,
      handle: async ({ params, caller }) => shown(await setConnectionEnabled(db, key, caller.organizationId, params.connectionId, enabled, caller.actor)),
    }, db)),
    ...([
      ["post", "/sp-keys/next", publishNextSpKey, "Publish a next SP key beside the current one (SAML): both are in the SP metadata and both decrypt, until it is promoted"],
      ["post", "/sp-keys/promote", promoteNextSpKey, "Make the next SP key the current one (SAML): the old key stops decrypting and leaves the SP metadata"],
      ["delete", "/sp-keys/next", discardNextSpKey, "Withdraw the next SP key (SAML)"],
    ] as const).map(([method, path, change, summary]) => orgRoute("sso", {
      method, path: `/connections/:connectionId${path}`, tag: TAG, summary, params: one, response: publicConnectionSchema,
      handle: async ({ params, caller }) => shown(await change(db, key, caller.organizationId, params.connectionId, caller.actor)),
    }, db)),
    orgRoute("sso", {
      method: "get", path: "/connections/:connectionId/test", tag: TAG,
      summary: "The address that tests the connection: open it in a browser logged in as an admin; nothing is saved",
      params: one, response: z.object({ url: z.string() }),
      handle: async ({ params, caller }) => ({ url: testLoginUrl(await existing(caller.organizationId, params.connectionId), baseUrl) }),
    }, db),
  ];
}
