import { Router } from "express";
import { Database } from "../../db/database.js";
import { loginErrorPage } from "../../sso/router.js";
import { interactionRouter } from "./interaction.js";
import { DISCOVERY_PATH, OP_PREFIX, OpenIdProvider } from "./provider.js";

/**
 * The OpenID Provider door: apps registered by the operator sign people in through Rollcall (authorization code with
 * PKCE), and Rollcall runs the organization's own SSO login behind it. The issuer is BASE_URL; oidc-provider answers
 * discovery and everything under /oidc except the interactions, which are ours.
 */
export function openIdProviderRouter(deps: { db: Database; secretKey: Buffer; op: OpenIdProvider }): Router {
  const router = Router();
  router.use(interactionRouter(deps));
  router.use(async (req, res, next) => {
    if (req.path !== DISCOVERY_PATH && !req.path.startsWith(`${OP_PREFIX}/`)) return next();
    const { handler } = await deps.op.provider();
    // `response_mode=form_post` answers with a form posted to the app's redirect URI: helmet's `form-action 'self'`
    // would stop the browser from sending it. The provider adds its inline script's hash to script-src itself.
    const csp = res.getHeader("Content-Security-Policy");
    if (typeof csp === "string") res.setHeader("Content-Security-Policy", csp.replace(/form-action [^;]*/, "form-action 'self' https: http:"));
    await handler(req, res);
  });
  router.use(loginErrorPage(deps));
  return router;
}

export { OpenIdProvider };
