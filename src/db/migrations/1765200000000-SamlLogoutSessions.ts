import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from "typeorm";
import { long, text } from "./columns.js";

/**
 * SAML Single Logout needs, for each session a SAML login opened, the connection and what the assertion said about
 * the subject: the NameID with its Format and qualifiers, and the SessionIndex (a LogoutRequest of ours must repeat
 * them; one from the IdP names them). The NameID is found by a digest (NameIDs have no length bound an index can
 * take); the rest is a JSON column read only when a logout is sent.
 */
export class SamlLogoutSessions1765200000000 implements MigrationInterface {
  name = "SamlLogoutSessions1765200000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns("sessions", [text("connection_id", 36), text("saml_name_id_digest", 64), long("saml_login")].map((c) => new TableColumn(c)));
    await q.createIndex("sessions", new TableIndex({ name: "idx_sessions_saml_name_id", columnNames: ["saml_name_id_digest"] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex("sessions", "idx_sessions_saml_name_id");
    for (const column of ["saml_login", "saml_name_id_digest", "connection_id"]) await q.dropColumn("sessions", column);
  }
}
