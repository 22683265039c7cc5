import { certificateBody, currentFirst, type SpKey } from "../../identity/saml-key-material.js";
import { CONTENT_ALGORITHMS, KEY_TRANSPORT_ALGORITHMS } from "./decryption.js";
import { escapeXml as esc } from "./xml.js";

/**
 * This SP's metadata for one connection, which IdPs import (or an admin reads the ACS URL and certificates from).
 * Written here rather than by node-saml 5.1, which lists one encryption certificate only: during a rotation the
 * current and the next key are both listed, each for signing and for encryption, so that the IdP may switch to the
 * next one whenever its admin does.
 */

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  /** Where the IdP sends LogoutRequests and LogoutResponses, by either binding. */
  sloUrl: string;
  nameIdFormat: string;
  /** Whether our AuthnRequests are signed (AuthnRequestsSigned). */
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
  /** The current key first. */
  keys: SpKey[];
}


const keyDescriptor = (use: "signing" | "encryption", key: SpKey) => `
    <KeyDescriptor use="${use}">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(key.certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${use === "encryption"
    ? [...Object.keys(CONTENT_ALGORITHMS), ...KEY_TRANSPORT_ALGORITHMS].map((a) => `\n      <EncryptionMethod Algorithm="${a}"/>`).join("") : ""}
    </KeyDescriptor>`;

export function spMetadataXml(sp: SpMetadataInput): string {
  const keys = currentFirst(sp.keys);
  return `<?xml version="1.0" encoding="UTF-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(sp.entityId)}">
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="${sp.authnRequestsSigned}" WantAssertionsSigned="${sp.wantAssertionsSigned}">${
  keys.map((k) => keyDescriptor("signing", k)).join("")}${keys.map((k) => keyDescriptor("encryption", k)).join("")}
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(sp.sloUrl)}"/>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(sp.sloUrl)}"/>
    <NameIDFormat>${esc(sp.nameIdFormat)}</NameIDFormat>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(sp.acsUrl)}" index="1" isDefault="true"/>
  </SPSSODescriptor>
</EntityDescriptor>
`;
}
