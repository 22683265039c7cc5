import { NextFunction, Request, Response, Router } from "express";
import { Organization } from "../../entities/index.js";
import { adminOf, resolveAdmin } from "../admin/auth.js";
import { DEFAULT_BRAND } from "../config.js";
import { listConnections } from "../identity/connections.js";
import { listDomains } from "../identity/domains.js";
import { listScimTokens } from "../identity/scim-tokens.js";
import { completeSetup, SetupCapability } from "../identity/setup-links.js";
import { listTeams } from "../identity/teams.js";
import { logOut } from "../web-session.js";
import { orgPath, PORTAL_PATH, Section, Viewer, viewerOf, WebDeps, WebError } from "./context.js";
import { html, Html } from "./html.js";
import { sendPage } from "./layout.js";

/**
 * The setup portal: where a setup link lands the customer's IT admin. A welcome page with their organization's name
 * and the vendor's brand, then the steps the link's capabilities allow, in order (domain → IdP → test → groups to
 * teams → SCIM), each pointing at the console page that does it, and a completion page whose "Finish" records
 * `setup.completed` and revokes the link (docs/decisions.md).
 */

interface Step {
  id: string;
  title: string;
  needs: SetupCapability;
  section: Section;
  /** What to do, in the IT admin's words. */
  text: string;
  /** Whether the organization already has what the step sets up. */
  done: (state: SetupState) => boolean;
}

interface SetupState {
  verifiedDomains: number;
  enabledConnections: number;
  mappedGroups: number;
  activeScimTokens: number;
}

const STEPS: Step[] = [
  {
    id: "domain", title: "Verify your domain", needs: "domains", section: "domains",
    text: "Claim your email domain and publish the DNS TXT record shown: sign-ins with addresses at a verified domain are routed to your identity provider.",
    done: (s) => s.verifiedDomains > 0,
  },
  {
    id: "idp", title: "Connect your identity provider", needs: "sso", section: "connections",
    text: "Create an SAML or OIDC connection: paste your IdP's metadata or issuer, copy our values into your IdP, and enable the connection.",
    done: (s) => s.enabledConnections > 0,
  },
  {
    id: "test", title: "Test a sign-in", needs: "sso", section: "connections",
    text: "Open your connection and press \"Test connection\": sign in at your IdP and see what it sent and which teams the user would get. Nothing is saved.",
    done: () => false,
  },
  {
    id: "groups", title: "Map groups to teams", needs: "mappings", section: "teams",
    text: "Name the IdP groups whose members belong in each team; a tested user with no team is missing a mapping here.",
    done: (s) => s.mappedGroups > 0,
  },
  {
    id: "scim", title: "Provision users with SCIM", needs: "scim", section: "tokens",
    text: "Create a SCIM token and give it, with the SCIM base URL, to your IdP's provisioning: users and groups then arrive before they sign in, and leave when removed.",
    done: (s) => s.activeScimTokens > 0,
  },
];

const stepsOf = (viewer: Viewer) => STEPS.filter((s) => viewer.capabilities?.includes(s.needs));

export function setupPortalRouter(deps: WebDeps): Router {
  const router = Router();
  const brand = deps.brand ?? DEFAULT_BRAND;

  /** The portal is a setup link's: an admin goes to the console, nobody (or an ended link) gets a way back in. */
  const resolve = resolveAdmin(deps.db);
  const setupOnly = (_req: Request, res: Response, next: NextFunction) => {
    const viewer = adminOf(res);
    if (viewer?.kind === "setup_link") return next();
    if (viewer) return res.redirect(303, "/console");
    throw new WebError(403, "This page opens with a setup link. Open the link you were sent again; if it no longer works, ask for a new one.");
  };

  async function organizationOf(res: Response): Promise<Organization> {
    const organization = await deps.db.dataSource.getRepository(Organization).findOneByOrFail({ id: viewerOf(res).organizationId! });
    res.locals.organization = organization;
    return organization;
  }

  /** The portal's frame: the vendor's brand above, the progress through the link's steps below it. */
  function frame(steps: Step[], current: string | null, state: SetupState | null, body: Html): Html {
    const progress = [...steps.map((s) => [s.id, s.title, state ? s.done(state) : false] as const), ["done", "Done", false] as const];
    return html`<header class="brand" style="border-top-color:${brand.color}">
${brand.logoUrl ? html`<img src="${brand.logoUrl}" alt="${brand.name}" height="40">` : html`<strong>${brand.name}</strong>`}</header>
${current === null ? "" : html`<ol class="progress" aria-label="Setup progress">${progress.map(([id, title, done], i) =>
    html`<li${new Html(id === current ? ' aria-current="step"' : "")}><a href="${stepPath(id)}">${i + 1}. ${title}</a>${done ? html` <span class="muted">(set up)</span>` : ""}</li>`)}</ol>`}
${body}`;
  }

  async function stateOf(viewer: Viewer): Promise<SetupState> {
    const organizationId = viewer.organizationId!;
    const [domains, connections, teams, tokens] = await Promise.all([
      listDomains(deps.db, organizationId), listConnections(deps.db, deps.secretKey, organizationId),
      listTeams(deps.db, organizationId), listScimTokens(deps.db, organizationId),
    ]);
    return {
      verifiedDomains: domains.filter((d) => d.verified).length,
      enabledConnections: connections.filter((c) => c.enabled).length,
      mappedGroups: teams.reduce((n, t) => n + t.mappings.length, 0),
      activeScimTokens: tokens.filter((t) => !t.revokedAt).length,
    };
  }

  router.get(PORTAL_PATH, resolve, setupOnly, async (req, res) => {
    const viewer = viewerOf(res);
    const organization = await organizationOf(res);
    const steps = stepsOf(viewer);
    sendPage(req, res, {
      title: `Set up ${organization.name}`,
      body: frame(steps, null, null, html`<h1>Welcome: let's set up single sign-on for ${organization.name}</h1>
<p>${brand.name} uses your identity provider to sign in your organization's people. This guide walks you through
${steps.length === 1 ? "one step" : `${steps.length} steps`}; each opens the page that does it, and you come back here for the next one.</p>
<ol>${steps.map((s) => html`<li>${s.title}</li>`)}</ol>
<p><a class="button" href="${stepPath(steps[0]?.id ?? "done")}">Start</a></p>`),
    });
  });

  router.get(`${PORTAL_PATH}/steps/:step`, resolve, setupOnly, async (req, res) => {
    const viewer = viewerOf(res);
    const steps = stepsOf(viewer);
    const index = steps.findIndex((s) => s.id === req.params.step);
    if (index < 0) throw new WebError(404, "This setup link has no such step.");
    const [organization, state] = await Promise.all([organizationOf(res), stateOf(viewer)]);
    const step = steps[index];
    const next = steps[index + 1]?.id ?? "done";
    sendPage(req, res, {
      title: step.title,
      body: frame(steps, step.id, state, html`<h1>${step.title}</h1><p>${step.text}</p>
${step.done(state) ? html`<div class="ok" role="status"><p>${organization.name} already has this; you may check it or go on.</p></div>` : ""}
<p><a class="button" href="${orgPath(organization.id, step.section)}">Open: ${step.title}</a></p>
<p><a href="${index > 0 ? stepPath(steps[index - 1].id) : PORTAL_PATH}">Back</a> · <a href="${stepPath(next)}">Next step</a></p>`),
    });
  });

  router.get(`${PORTAL_PATH}/done`, resolve, setupOnly, async (req, res) => {
    const viewer = viewerOf(res);
    const steps = stepsOf(viewer);
    const [organization, state] = await Promise.all([organizationOf(res), stateOf(viewer)]);
    sendPage(req, res, {
      title: "Finish setup",
      body: frame(steps, "done", state, html`<h1>Finish setting up ${organization.name}</h1>
<ul>${steps.filter((s) => s.id !== "test").map((s) => html`<li>${s.title}: ${s.done(state) ? "set up" : html`<strong>not yet</strong> (<a href="${stepPath(s.id)}">go back</a>)`}</li>`)}</ul>
<p>Pressing Finish tells ${organization.name}'s administrators that the setup is done and closes this setup link: it
stops working, for you and anyone else who has it.</p>
<form method="post" action="${PORTAL_PATH}/done"><button type="submit">Finish</button></form>`),
    });
  });

  router.post(`${PORTAL_PATH}/done`, resolve, setupOnly, async (req, res) => {
    const viewer = viewerOf(res);
    const organization = await organizationOf(res);
    await completeSetup(deps.db, organization.id, viewer.actor.id!, viewer.actor);
    await logOut(req);
    res.locals.admin = null;
    sendPage(req, res, {
      title: "Setup complete",
      body: frame([], null, null, html`<h1>Setup complete</h1><div class="ok" role="status"><p>Thank you: ${organization.name}'s
administrators have been told. This setup link no longer works; you can close this window.</p></div>`),
    });
  });

  return router;
}

const stepPath = (id: string) => (id === "done" ? `${PORTAL_PATH}/done` : `${PORTAL_PATH}/steps/${encodeURIComponent(id)}`);
