import { Response, Router } from "express";
import { Organization } from "../../../entities/index.js";
import { Database } from "../../db/database.js";
import { accessOf } from "../../identity/access.js";
import { ConnectionRecord, findConnection, listConnections, LOGIN_PATH } from "../../identity/connections.js";
import { routeByEmail } from "../../identity/login-routing.js";
import { getOpClient, OpClientRecord } from "../../identity/op-clients.js";
import { SsoError } from "../../sso/errors.js";
import { html, page } from "../../web/html.js";
import { interactionPath, OpenIdProvider, Provider } from "./provider.js";

const ORGANIZATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One refusal for every organization an app may not use, exists or not: an app learns nothing about other tenants. */
const notForThisApp = () => new SsoError("organization_not_available",
  "This app cannot sign you in with that organization. Check the organization with the app's administrator.", 403);

/**
 * Where an app's sign-in goes: the connection of the organization the app named (`organization=<slug or id>`,
 * `connection=<id>`, or `login_hint=<email>` routed by its verified domain the way /login routes), the app's pinned
 * connection, or the only organization the app is open to. Null: ask the person.
 * `typed` is what they answered (an email or a login path, as /login takes).
 */
async function connectionFor(db: Database, secretKey: Buffer, client: OpClientRecord, params: Record<string, string | undefined>, typed?: string): Promise<ConnectionRecord | null> {
  let connection: ConnectionRecord | null;
  if (client.connectionId || params.connection) {
    const wanted = client.connectionId ?? params.connection!;
    if (params.connection && client.connectionId && params.connection !== client.connectionId) throw notForThisApp();
    connection = await findConnection(db, secretKey, { id: wanted });
  } else if (params.organization || (client.organizationIds?.length === 1 && !typed)) {
    connection = await connectionOfOrganization(db, secretKey, params.organization ?? client.organizationIds![0]);
  } else {
    const entered = (typed ?? params.login_hint ?? "").trim();
    if (entered.includes("@")) {
      // As /login routes an email: to the organization that verified its domain; of several connections there, the
      // domain's own, else the default, else the oldest enabled one.
      const route = await routeByEmail(db, secretKey, entered);
      if (!route) {
        if (typed === undefined) return null;
        throw new SsoError("organization_not_available",
          "No organization has verified this email's domain for single sign-on. Enter your organization's login path, or ask your administrator.", 403);
      }
      connection = route.connections[0] ?? null;
    } else {
      if (!LOGIN_PATH.test(entered)) return null;
      connection = await findConnection(db, secretKey, { loginPath: entered });
    }
  }
  if (!connection || (client.organizationIds && !client.organizationIds.includes(connection.organizationId))) throw notForThisApp();
  if (params.organization && !(await namesOrganization(db, params.organization, connection.organizationId))) throw notForThisApp();
  if (!connection.enabled) throw new SsoError("connection_disabled", "Single sign-on for this organization is switched off. Ask your administrator.", 403);
  return connection;
}

async function organizationNamed(db: Database, slugOrId: string): Promise<Organization | null> {
  const repository = db.dataSource.getRepository(Organization);
  return ORGANIZATION_ID.test(slugOrId) ? repository.findOneBy({ id: slugOrId.toLowerCase() }) : repository.findOneBy({ slug: slugOrId });
}

async function namesOrganization(db: Database, slugOrId: string, organizationId: string): Promise<boolean> {
  return (await organizationNamed(db, slugOrId))?.id === organizationId;
}

/** The organization's enabled connection: its default when it has several, else the first made. */
async function connectionOfOrganization(db: Database, secretKey: Buffer, slugOrId: string): Promise<ConnectionRecord | null> {
  const organization = await organizationNamed(db, slugOrId);
  if (!organization) return null;
  const connections = await listConnections(db, secretKey, organization.id);
  return connections.find((c) => c.enabled && c.isDefault) ?? connections.find((c) => c.enabled) ?? connections[0] ?? null;
}

/**
 * `GET /oidc/interaction/:uid`: where oidc-provider sends every authorization request. With the organization known,
 * a Rollcall session of that organization finishes the sign-in at once; any other goes through the organization's
 * SSO login (`/login/<loginPath>`), which comes back here.
 */
export function interactionRouter(deps: { db: Database; secretKey: Buffer; op: OpenIdProvider }): Router {
  const router = Router();

  router.get(`${interactionPath(":uid")}`, async (req, res) => {
    const { provider } = await deps.op.provider();
    const details = await provider.interactionDetails(req, res).catch(() => {
      throw new SsoError("interaction_expired", "This sign-in took too long or was already used. Start again from the app.", 400);
    });
    const client = await getOpClient(deps.db, details.params.client_id ?? "");
    if (!client) throw new SsoError("unknown_app", "This app is not registered any more. Start again from the app.", 400);
    const typed = typeof req.query.organization === "string" ? req.query.organization.slice(0, 320) : undefined;
    const connection = await connectionFor(deps.db, deps.secretKey, client, details.params, typed).catch((err) => {
      // An answer that names nothing usable is asked again, with the reason; a hint from the app is the app's mistake.
      if (typed !== undefined && err instanceof SsoError && err.reason === "organization_not_available") return err;
      throw err;
    });
    if (!connection || connection instanceof SsoError) return askOrganization(res, client, typed, connection ?? undefined);

    const principal = req.session?.principal;
    if (principal?.type === "user" && principal.organizationId === connection.organizationId
      && await accessOf(deps.db, principal.organizationId, principal.userId)) {
      if (details.session && details.session.accountId !== principal.userId) await forgetProviderSession(provider, details.uid, details.session.uid);
      const grant = new provider.Grant({ accountId: principal.userId, clientId: client.clientId });
      // First-party apps registered by the operator: no consent screen; the scopes asked for are granted.
      grant.addOIDCScope(details.params.scope ?? "openid");
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { login: { accountId: principal.userId }, consent: { grantId } }, { mergeWithLastSubmission: false });
    }
    const back = `${interactionPath(details.uid)}${typed ? `?organization=${encodeURIComponent(typed)}` : ""}`;
    res.redirect(303, `/login/${encodeURIComponent(connection.loginPath)}?return_to=${encodeURIComponent(back)}`);
  });

  return router;
}

/**
 * Ends oidc-provider's own session of another account before the login of this one finishes: the Rollcall session
 * decides who is signed in, and the provider would otherwise answer the change of account with a logout form posted
 * by an inline script (which the CSP blocks).
 */
async function forgetProviderSession(provider: Provider, interactionUid: string, sessionUid: string) {
  const interaction = await provider.Interaction.find(interactionUid);
  if (interaction) {
    delete interaction.session;
    await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  }
  await (await provider.Session.findByUid(sessionUid))?.destroy();
}

/** The question /login asks, for an app that did not say which organization. */
function askOrganization(res: Response, client: OpClientRecord, typed?: string, error?: SsoError) {
  res.status(error ? 403 : 200).type("html").send(page("Sign in", html`<h1>Sign in to ${client.name}</h1>
${error ? html`<div class="error"><p>${error.userMessage}</p></div>` : ""}
<form method="get"><label for="organization">Work email or organization login path</label>
<input type="text" id="organization" name="organization" value="${typed ?? ""}" required autocomplete="username" autofocus>
<p><button type="submit">Continue</button></p></form>`));
}
