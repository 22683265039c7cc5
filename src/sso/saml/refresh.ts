import { Logger } from "pino";
import { Database } from "../../db/database.js";
import { listConnectionsOfType, updateConnection } from "../../identity/connections.js";
import { refreshedMetadata } from "./metadata.js";

export interface RefreshOutcome { refreshed: number; unchanged: number; failed: number }

/**
 * Re-reads the metadata of every SAML connection configured by URL once it is older than `maxAgeMs` (a day by
 * default), so that an IdP's new signing certificate is trusted before the IdP switches to it. A failed fetch keeps
 * the connection's certificates; a changed entity ID is not applied (logins would be checked against another IdP)
 * and is logged for an admin to confirm by saving the connection again.
 */
export async function refreshSamlMetadata(
  deps: { db: Database; secretKey: Buffer; logger: Logger; allowInsecureIdp: boolean }, options: { maxAgeMs?: number } = {},
): Promise<RefreshOutcome> {
  const outcome: RefreshOutcome = { refreshed: 0, unchanged: 0, failed: 0 };
  for (const connection of await listConnectionsOfType(deps.db, deps.secretKey, "saml")) {
    const log = deps.logger.child({ connectionId: connection.id, metadataUrl: connection.saml!.idpMetadataUrl });
    try {
      const fresh = await refreshedMetadata(connection.saml!, { allowInsecureIdp: deps.allowInsecureIdp, maxAgeMs: options.maxAgeMs });
      if (!fresh) {
        outcome.unchanged++;
        continue;
      }
      if (fresh.idpEntityId !== connection.saml!.idpEntityId) {
        log.warn({ from: connection.saml!.idpEntityId, to: fresh.idpEntityId },
          "IdP metadata names another entity ID: not applied; save the connection again to accept it");
        outcome.failed++;
        continue;
      }
      await updateConnection(deps.db, deps.secretKey, connection.organizationId, connection.id, { saml: fresh }, { type: "system", id: null });
      outcome.refreshed++;
    } catch (err) {
      log.warn({ err }, "IdP metadata refresh failed; the connection keeps its certificates");
      outcome.failed++;
    }
  }
  return outcome;
}
