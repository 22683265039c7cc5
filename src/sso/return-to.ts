/**
 * Where to land after login: only a path on this server's own origin, so a crafted login link cannot send the
 * browser elsewhere (no open redirect). Anything else falls back to "/".
 */
export function safeReturnTo(value: unknown, baseUrl: string): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || /[\\\u0000-\u001f]/.test(value)) return "/";
  try {
    const base = new URL(baseUrl);
    const target = new URL(value, base);
    return target.origin === base.origin ? `${target.pathname}${target.search}${target.hash}` : "/";
  } catch {
    return "/";
  }
}
