/** Reading claims and SAML attributes, whose names differ in case between IdPs (`firstname` / `firstName`). */

export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  const wanted = name.toLowerCase();
  const key = Object.keys(claims).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : claims[key];
}

/** The first string among a value or a list of values; null when there is none. */
export function claimString(claims: Record<string, unknown>, name: string): string | null {
  const value = claimValue(claims, name);
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" && first.trim() !== "" ? first.trim() : typeof first === "number" ? String(first) : null;
}

/** A groups claim as a list: a single value arrives as a plain string from SAML IdPs. */
export function claimList(claims: Record<string, unknown>, name: string): string[] {
  const value = claimValue(claims, name);
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((v): v is string | number => typeof v === "string" || typeof v === "number")
    .map((v) => String(v).trim()).filter((v) => v !== "");
}
