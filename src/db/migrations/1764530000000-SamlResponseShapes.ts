import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * SAML connection settings (JSON in `connections.settings`) for the response shapes real IdPs send. The either/or
 * `wantResponseSigned` goes: it was set by the preset (Okta and Keycloak true, the others false), never shown in the
 * console, and said which placement the IdP happened to use, not a wish for strictness; every connection now accepts
 * a valid signature on the Response, the Assertion or both (`requiredSignature: "any"`), which includes everything
 * either setting accepted. SHA-1 stays refused, groups are split by nothing and no roles attribute is read, as before.
 */
export class SamlResponseShapes1764530000000 implements MigrationInterface {
  name = "SamlResponseShapes1764530000000";

  async up(q: QueryRunner): Promise<void> {
    await rewriteSamlSettings(q, ({ wantResponseSigned: _placement, ...settings }) => ({
      ...settings, requiredSignature: "any", allowSha1: false, groupsDelimiter: null,
      attributes: { ...(settings.attributes as object), roles: null },
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    // The old switch could say only one placement: a connection that required the Response's signature keeps it, the
    // others go back to what their preset said (Okta and Keycloak signed the Response).
    await rewriteSamlSettings(q, ({ requiredSignature, allowSha1: _a, groupsDelimiter: _d, ...settings }, preset) => {
      const { roles: _r, ...attributes } = settings.attributes as Record<string, unknown>;
      const wantResponseSigned = requiredSignature === "response" || requiredSignature === "both"
        || (requiredSignature === "any" && (preset === "okta" || preset === "keycloak"));
      return { ...settings, wantResponseSigned, attributes };
    });
  }
}

type Settings = Record<string, unknown>;

async function rewriteSamlSettings(q: QueryRunner, rewrite: (settings: Settings, preset: string) => Settings): Promise<void> {
  const postgres = q.connection.driver.options.type === "postgres";
  const rows: { id: string; preset: string; settings: string }[] = await q.query("SELECT id, preset, settings FROM connections WHERE type = 'saml'");
  for (const row of rows) {
    const settings = JSON.stringify(rewrite(JSON.parse(row.settings) as Settings, row.preset));
    await q.query(`UPDATE connections SET settings = ${postgres ? "$1" : "?"} WHERE id = ${postgres ? "$2" : "?"}`, [settings, row.id]);
  }
}
