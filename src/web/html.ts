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

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}code,pre{background:#f2f4f7;padding:.1rem .3rem;border-radius:4px}pre{padding:.75rem;overflow:auto}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e6ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
.muted{color:#667085;font-size:.9rem}.error{border-left:4px solid #d92d20;padding-left:1rem}.ok{border-left:4px solid #12b76a;padding-left:1rem}.warning{border-left:4px solid #f79009;padding-left:1rem}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;border-bottom:1px solid #e3e6ea;padding-bottom:.75rem;margin-bottom:1rem}
nav a{text-decoration:none;color:#1d2330}nav a[aria-current]{font-weight:600;border-bottom:2px solid #2e5aac}nav form{margin-left:auto}
a{color:#2e5aac}label{display:block;margin:.6rem 0 .2rem;font-weight:500}
input[type=text],input[type=email],input[type=password],input[type=url],input[type=search],input[type=datetime-local],select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #c9ced6;border-radius:4px;width:100%;box-sizing:border-box}
textarea{min-height:6rem;font-family:ui-monospace,monospace;font-size:.85rem}
button,.button{font:inherit;display:inline-block;padding:.35rem .9rem;border:1px solid #2e5aac;border-radius:4px;background:#2e5aac;color:#fff;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#fff;color:#2e5aac}button.danger{background:#d92d20;border-color:#d92d20}
form.inline{display:inline}.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}.row>*{flex:1 1 12rem}.row>button{flex:0 0 auto}
fieldset{border:1px solid #e3e6ea;border-radius:6px;margin:1rem 0;padding:.5rem 1rem 1rem}legend{font-weight:600}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .45rem;border-radius:999px;background:#eef2f6;color:#344054;white-space:nowrap}
.badge.scim{background:#e0eaff;color:#2e4fa0}.badge.jit{background:#fdf2e0;color:#8a4b00}.badge.manual{background:#eef2f6;color:#344054}
.badge.on{background:#dcfae6;color:#067647}.badge.off{background:#fee4e2;color:#b42318}.badge.idp{background:#e0eaff;color:#2e4fa0}
.secret{background:#fffaeb;border:1px solid #fedf89;border-radius:6px;padding:.5rem 1rem}`;

export function page(title: string, body: Html): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Rollcall</title><style>${new Html(STYLE)}</style></head><body>${body}</body></html>`.text;
}

/** A text-like input with its label; `attrs` is trusted markup (required, placeholder, autocomplete…). */
export function field(label: string, name: string, value: unknown = "", options: { type?: string; attrs?: string; hint?: string } = {}): Html {
  const id = `f-${name}`;
  return html`<label for="${id}">${label}</label><input type="${options.type ?? "text"}" id="${id}" name="${name}" value="${value}"${new Html(options.attrs ? ` ${options.attrs}` : "")}>${options.hint ? html`<div class="muted">${options.hint}</div>` : ""}`;
}

/** A `<select>` over [value, label] pairs. */
export function select(label: string, name: string, options: [string, string][], selected: string): Html {
  return html`<label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">${options.map(([v, l]) =>
    html`<option value="${v}"${new Html(v === selected ? " selected" : "")}>${l}</option>`)}</select>`;
}

/** A one-button form posting to `action` (a path on this server), with optional hidden fields. */
export function postButton(action: string, label: string, options: { hidden?: Record<string, string>; className?: string } = {}): Html {
  return html`<form class="inline" method="post" action="${action}">${Object.entries(options.hidden ?? {}).map(([k, v]) =>
    html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit"${new Html(options.className ? ` class="${escapeHtml(options.className)}"` : "")}>${label}</button></form>`;
}

/** A value to copy into another system, shown in full. */
export const copyable = (label: string, value: string, id?: string): Html =>
  html`<tr><th>${label}</th><td><code${new Html(id ? ` id="${escapeHtml(id)}"` : "")}>${value}</code></td></tr>`;

export const badge = (text: string, kind = ""): Html => html`<span class="badge ${kind}">${text}</span>`;
