import { attributeOf, childElements, NS, parseXml } from "./xml.js";

/**
 * Every attribute of a verified assertion, read from the signed bytes node-saml verified (`getAssertionXml()`), never
 * from the posted document. node-saml's profile keeps one Attribute element per name (the first in `profile[name]`,
 * the last in `profile.attributes`), so Keycloak's one-element-per-role `Role` would lose all roles but one: here
 * every value of every Attribute element of that name, in document order, without repeats.
 */
export type SamlAttributes = Map<string, string[]>;

export function assertionAttributes(assertionXml: string): SamlAttributes {
  const attributes: SamlAttributes = new Map();
  const assertion = parseXml(assertionXml).documentElement;
  for (const statement of childElements(assertion, NS.assertion, "AttributeStatement")) {
    for (const attribute of childElements(statement, NS.assertion, "Attribute")) {
      const name = attributeOf(attribute, "Name");
      if (!name) continue;
      const values = attributes.get(name) ?? [];
      // textContent joins text around comments, so a comment injected after signing cannot shorten a value.
      for (const value of childElements(attribute, NS.assertion, "AttributeValue").map((v) => v.textContent?.trim() ?? "")) {
        if (value !== "" && !values.includes(value)) values.push(value);
      }
      attributes.set(name, values);
    }
  }
  return attributes;
}

/** The values of the attributes of that name, compared case-insensitively (`firstname` / `firstName`). */
export function valuesOf(attributes: SamlAttributes, name: string | null | undefined): string[] {
  if (!name) return [];
  const wanted = name.toLowerCase();
  return [...attributes].filter(([key]) => key.toLowerCase() === wanted).flatMap(([, values]) => values);
}
