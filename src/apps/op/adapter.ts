import { Database } from "../../db/database.js";
import { findOpClientWithSecret, OpClientWithSecret } from "../../identity/op-clients.js";
import {
  consumeOpRecord, destroyOpRecord, destroyOpRecordsOfGrant, findOpRecord, findOpRecordByUid, OpPayload, saveOpRecord,
} from "../../identity/op-records.js";

/**
 * oidc-provider's Adapter on our database: one instance per model. Clients are read from the apps the operator
 * registered (no dynamic registration); every other model is a row of `op_records`.
 */
export function recordAdapter(db: Database) {
  return class RecordAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: OpPayload, expiresIn?: number) {
      if (this.model === "Client") throw new Error("clients are registered through the admin API or the CLI");
      await saveOpRecord(db, this.model, id, payload, expiresIn);
    }

    async find(id: string) {
      if (this.model !== "Client") return findOpRecord(db, this.model, id);
      const client = await findOpClientWithSecret(db, id);
      return client ? clientMetadata(client) : undefined;
    }

    findByUid(uid: string) {
      return findOpRecordByUid(db, this.model, uid);
    }

    async findByUserCode() {
      return undefined;
    }

    consume(id: string) {
      return consumeOpRecord(db, this.model, id);
    }

    destroy(id: string) {
      return destroyOpRecord(db, this.model, id);
    }

    revokeByGrantId(grantId: string) {
      return destroyOpRecordsOfGrant(db, grantId);
    }
  };
}

/**
 * A registered app as oidc-provider's client metadata. `client_secret` holds the secret's digest: the provider's
 * secret comparison is replaced to digest what the app presents (see provider.ts), as the oidc-provider maintainer
 * advises for hashed secrets (panva/node-oidc-provider#631), which is why HMAC algorithms, which need the plain
 * secret, are not enabled.
 */
export function clientMetadata(client: OpClientWithSecret): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_name: client.name,
    token_endpoint_auth_method: client.authMethod,
    ...(client.authMethod === "private_key_jwt" ? { jwks: client.jwks } : { client_secret: client.secretHash }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.refreshTokens ? ["authorization_code", "refresh_token"] : ["authorization_code"],
    response_types: ["code"],
    ...(client.backchannelLogoutUri ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: false } : {}),
  };
}
