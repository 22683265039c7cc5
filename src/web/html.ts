/** The smallest HTML toolkit the server-rendered pages need: escaping, one page layout and a few form pieces. */

export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString() {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const part = (v: unknown): string => (v instanceof Html ? v.text : Array.isArray(v) ? v.map(part).join("") : escapeHtml(v));
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? part(values[i]) : ""), ""));
}

// At phone width (390 px) nothing may push the page sideways: a wide table scrolls inside its own box (the table is
// the scrolling block, its body the real table, at least as wide as the box), and long values (URLs, tokens) wrap.
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;overflow-wrap:anywhere}h2{font-size:1.2rem;margin-top:2rem}code,pre{background:#f2f4f7;padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere}pre{padding:.75rem;overflow:auto}
table{display:block;overflow-x:auto;border-collapse:collapse;max-width:100%}table>tbody{display:table;width:100%;border-collapse:collapse}
td,th{border-bottom:1px solid #e3e6ea;padding:.35rem .5rem;text-align:left;vertical-align:top}th+td{overflow-wrap:anywhere}
.copy-row{display:flex;gap:.5rem;align-items:flex-start}.copy-row code{flex:1 1 auto;min-width:0}button.copy{font-size:.8rem;padding:.1rem .5rem;flex:0 0 auto}
.muted{color:#667085;font-size:.9rem;overflow-wrap:anywhere}.error{border-left:4px solid #d92d20;padding-left:1rem}.ok{border-left:4px solid #12b76a;padding-left:1rem}.warning{border-left:4px solid #f79009;padding-left:1rem}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;border-bottom:1px solid #e3e6ea;padding-bottom:.75rem;margin-bottom:1rem}
nav a{text-decoration:none;color:#1d2330}nav a[aria-current]{font-weight:600;border-bottom:2px solid #2e5aac}nav form{margin-left:auto}
a{color:#2e5aac}label{display:block;margin:.6rem 0 .2rem;font-weight:500}
input[type=text],input[type=email],input[type=password],input[type=url],input[type=search],input[type=datetime-local],select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #c9ced6;border-radius:4px;width:100%;box-sizing:border-box}
textarea{min-height:6rem;font-family:ui-monospace,monospace;font-size:.85rem}
button,.button{font:inherit;display:inline-block;padding:.35rem .9rem;border:1px solid #2e5aac;border-radius:4px;background:#2e5aac;color:#fff;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#fff;color:#2e5aac}button.danger{background:#d92d20;border-color:#d92d20}
header.brand{border-top:6px solid;padding-top:.75rem;margin-bottom:1rem}header.brand img{max-height:40px;max-width:100%}
ol.progress{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;border-bottom:1px solid #e3e6ea;padding-bottom:.5rem}ol.progress li[aria-current]{font-weight:600}
form.inline{display:inline}.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}.row>*{flex:1 1 12rem}.row>button{flex:0 0 auto}
fieldset{border:1px solid #e3e6ea;border-radius:6px;margin:1rem 0;padding:.5rem 1rem 1rem}legend{font-weight:600}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .45rem;border-radius:999px;background:#eef2f6;color:#344054;white-space:nowrap}
.badge.scim{background:#e0eaff;color:#2e4fa0}.badge.jit{background:#fdf2e0;color:#8a4b00}.badge.manual{background:#eef2f6;color:#344054}
.badge.on{background:#dcfae6;color:#067647}.badge.off{background:#fee4e2;color:#b42318}.badge.idp{background:#e0eaff;color:#2e4fa0}
.secret{background:#fffaeb;border:1px solid #fedf89;border-radius:6px;padding:.5rem 1rem}
.danger-zone{border:1px solid #fda29b;border-radius:6px;padding:.5rem 1rem;margin-top:2rem}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #2e5aac;outline-offset:2px}`;

/**
 * The console's only script: the copy buttons (html.ts `copyable`), and a table too wide for the window (it scrolls
 * in its box) made reachable by keyboard to scroll it. Served from this origin (`/console/copy.js`), so the CSP's
 * `script-src 'self'` admits it without an inline script; without JavaScript the values are still there, in full, to
 * select by hand.
 */
export const COPY_SCRIPT = `function markScrollingTables() {
  for (const table of document.querySelectorAll("main table")) {
    if (table.scrollWidth > table.clientWidth) table.setAttribute("tabindex", "0");
    else table.removeAttribute("tabindex");
  }
}
markScrollingTables();
addEventListener("resize", markScrollingTables);
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
  const source = button && document.getElementById(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent);
    button.textContent = "Copied";
  } catch {
    getSelection().selectAllChildren(source);
    button.textContent = "Selected: press Ctrl+C";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 2000);
});
`;

export function page(title: string, body: Html): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Rollcall</title><style>${new Html(STYLE)}</style><script src="/console/copy.js" defer></script></head><body>${body}</body></html>`.text;
}

/**
 * A text-like input with its label; `attrs` is trusted markup (required, placeholder, autocomplete…). Its id is
 * `f-<name>`, or `f-<id>` where a page has several forms with a field of this name (ids are unique on a page).
 */
export function field(
  label: string, name: string, value: unknown = "", options: { type?: string; attrs?: string; hint?: string; id?: string } = {},
): Html {
  const id = `f-${options.id ?? name}`;
  const hint = options.hint ? html`<div class="muted" id="${id}-hint">${options.hint}</div>` : "";
  return html`<label for="${id}">${label}</label><input type="${options.type ?? "text"}" id="${id}" name="${name}" value="${value}"${new Html(options.hint ? ` aria-describedby="${escapeHtml(id)}-hint"` : "")}${new Html(options.attrs ? ` ${options.attrs}` : "")}>${hint}`;
}

/** A `<select>` over [value, label] pairs; its id as field's. */
export function select(label: string, name: string, options: [string, string][], selected: string, id = name): Html {
  return html`<label for="f-${id}">${label}</label><select id="f-${id}" name="${name}">${options.map(([v, l]) =>
    html`<option value="${v}"${new Html(v === selected ? " selected" : "")}>${l}</option>`)}</select>`;
}

/**
 * A one-button form posting to `action` (a path on this server), with optional hidden fields; `label` names the
 * button for a screen reader where its text alone is ambiguous (a "Disable" on every row of a table).
 */
export function postButton(action: string, text: string, options: { hidden?: Record<string, string>; className?: string; label?: string } = {}): Html {
  return html`<form class="inline" method="post" action="${action}">${Object.entries(options.hidden ?? {}).map(([k, v]) =>
    html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit"${new Html(options.className ? ` class="${escapeHtml(options.className)}"` : "")}${new Html(options.label ? ` aria-label="${escapeHtml(options.label)}"` : "")}>${text}</button></form>`;
}

/** A value to paste elsewhere, in full (wrapped, never cut off) with a copy button; `id` names it on its page. */
export const copyValue = (value: string, id: string, label: string): Html =>
  html`<span class="copy-row"><code id="${id}">${value}</code><button type="button" class="copy secondary" data-copy="${id}" aria-label="Copy ${label}">Copy</button></span>`;

/** A table row of a value to paste elsewhere. */
export const copyable = (label: string, value: string, id: string): Html =>
  html`<tr><th>${label}</th><td>${copyValue(value, id, label)}</td></tr>`;

export const badge = (text: string, kind = ""): Html => html`<span class="badge ${kind}">${text}</span>`;
