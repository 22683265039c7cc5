import { createHash } from "node:crypto";
import type { Response } from "express";

/**
 * The HTTP-POST binding (SAML bindings §3.5) for an IdP that takes AuthnRequests only that way: a page whose form
 * posts the message to the IdP, submitted by a script at once, or by a button without JavaScript.
 *
 * The app's CSP (helmet) allows no inline script and `form-action 'self'`, which would stop both. This response
 * carries its own policy instead: the one script is allowed by its hash (it never changes), and the form may post
 * to the IdP's SSO URL only. Nothing else loads: `default-src 'none'`.
 *
 * `form-action` also covers the redirects that answer a form: the console's sign-out button posts to `/logout`
 * under `form-action 'self'`, so Chromium blocks a 302 from there to the IdP. `sendRedirectPage` answers the post
 * with a page instead, whose own navigation to the IdP no form-action governs.
 */

const SUBMIT_SCRIPT = "document.forms[0].submit();";
const SCRIPT_SOURCE = `'sha256-${createHash("sha256").update(SUBMIT_SCRIPT).digest("base64")}'`;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/**
 * A CSP source expression for a URL: scheme, host, port and path (a query is not part of a source, and a form's
 * query never counts in matching). `;` and `,` would end the directive or the list: they are percent-encoded, as
 * CSP §2.3.1 asks.
 */
export function cspSourceOf(url: string): string {
  const { protocol, host, pathname } = new URL(url);
  return `${protocol}//${host}${pathname.replace(/;/g, "%3B").replace(/,/g, "%2C")}`;
}

/** What the page says while it posts, and to a person without JavaScript. */
export interface FormWording {
  title: string;
  noscript: string;
}
export const SIGN_IN: FormWording = { title: "Signing in…", noscript: "continue to your identity provider to sign in" };
export const SIGN_OUT: FormWording = { title: "Signing out…", noscript: "continue to your identity provider to finish signing out" };

/** A page that sends the browser on to `url` at once (meta refresh, no script), with a link for the rest. */
export function sendRedirectPage(res: Response, url: string, wording: FormWording): void {
  res.set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'");
  res.set("Cache-Control", "no-store");
  res.status(200).type("html").send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${esc(url)}"><title>${wording.title}</title></head>
<body><p><a href="${esc(url)}">Continue</a> to your identity provider.</p></body></html>
`);
}

export function sendAutoPostForm(res: Response, action: string, fields: Record<string, string>, wording: FormWording = SIGN_IN): void {
  res.set("Content-Security-Policy", [
    "default-src 'none'", `script-src ${SCRIPT_SOURCE}`, `form-action ${cspSourceOf(action)}`, "base-uri 'none'", "frame-ancestors 'none'",
  ].join("; "));
  res.set("Cache-Control", "no-store");
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`).join("\n");
  res.status(200).type("html").send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${wording.title}</title></head>
<body><form method="post" action="${esc(action)}">
${inputs}
<noscript><p>Your browser has JavaScript turned off: ${wording.noscript}.</p><button type="submit">Continue</button></noscript>
</form><script>${SUBMIT_SCRIPT}</script></body></html>
`);
}
