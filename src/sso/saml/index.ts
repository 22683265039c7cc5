import { randomBytes } from "node:crypto";
import express, { Request, Response, Router } from "express";
import passport from "passport";
import {
  MultiSamlStrategy, SAML, ValidateInResponseTo, type PassportSamlConfig, type Profile, type VerifiedCallback,
} from "@node-saml/passport-saml";
import type { ConnectionRecord, SamlSettings } from "../../identity/connections.js";
import type { SpKey } from "../../identity/saml-key-material.js";
import { respondOnceSessionStored } from "../../web-session.js";
import { LogoutRefused, rejectedResponse, SsoError } from "../errors.js";
import { ssoPaths, type FinishLogin, type LoginIntent, type SsoDeps, type SsoProtocol } from "../protocol.js";
import { receivePost, receiveRedirect, type ReceivedMessage } from "./bindings.js";
import { installDecryptor } from "./decryption.js";
import { answerLogoutMessage, startSingleLogout, type LogoutDeps } from "./logout.js";
import { rememberLogin, takeLogin, type PendingLogin } from "./pending.js";
import { sendAutoPostForm } from "./post-binding.js";
import { idpProfileOf } from "./profile.js";
import { checkAssertion, inspectResponse, samlRefusal, type Expected } from "./response.js";
import { spMetadataXml } from "./sp-metadata.js";
import { wantedSignatures, type SignatureFacts } from "./signatures.js";
import { recordOnce, REQUEST_TTL_MS, requestIdCache, stashPostedResponse, takePostedResponse, type PostedResponse } from "./transactions.js";

/**
 * SAML 2.0 through @node-saml/passport-saml, with what node-saml leaves to its caller (note §2, §7):
 *
 * - `start` sends an AuthnRequest whose id is kept in `sso_transactions` (single use, shared by replicas) and in
 *   this browser's session, under a RelayState nonce: by HTTP-Redirect, or by HTTP-POST to an IdP that offers only
 *   that (post-binding.ts), signed with the connection's current SP key when the IdP or the admin asks for it.
 * - The IdP posts to `/acs` cross-site, so the SameSite=Lax session cookie is not sent: the ACS only stashes the
 *   post and answers 303 to `/complete`, a top-level GET that carries the cookie. There the response is validated
 *   against the login this browser started (RelayState nonce, InResponseTo), and passed to `finishLogin`.
 * - `/metadata` serves the SP metadata an admin gives the IdP, with the SP certificates (sp-metadata.ts).
 * - An EncryptedAssertion is decrypted with the SP key that opens it (decryption.ts), current or next.
 * - `/slo` takes Single Logout messages from the IdP by HTTP-Redirect or HTTP-POST, and `logout` sends ours
 *   (logout.ts, bindings.ts).
 *
 * The SSO router mounts `mount`'s routes under `/sso/:connectionId/saml` and puts the connection of
 * `:connectionId` in `res.locals.connection` before they run. The app must run express-session with
 * `saveUninitialized: false`: a fresh session cookie set on the cross-site ACS post would replace the browser's.
 */

export interface SamlProtocolOptions {
  /** Allowed difference between our clock and the IdP's when checking NotBefore / NotOnOrAfter. */
  clockSkewMs?: number;
}

const DEFAULT_CLOCK_SKEW_MS = 120_000;
/** Entra caps groups at 150 per assertion; with attributes and certificates a real response stays far below this. */
const MAX_ACS_BODY = "256kb";
const STRATEGY = "rollcall-saml";

/** This SP's URLs for one connection: the entity ID is the metadata URL, as IdPs suggest. */
export function spUrls(baseUrl: string, connectionId: string) {
  const paths = ssoPaths(connectionId);
  return {
    entityId: baseUrl + paths.samlMetadata,
    acs: baseUrl + paths.samlAcs,
    complete: `${baseUrl}/sso/${connectionId}/saml/complete`,
    slo: baseUrl + paths.samlSlo,
  };
}

type SamlConnection = ConnectionRecord & { saml: SamlSettings };

function samlConnection(connection: ConnectionRecord | undefined): SamlConnection {
  if (connection?.type !== "saml" || !connection.saml) {
    throw new Error("a SAML connection is required: the SSO router puts the connection of :connectionId in res.locals.connection");
  }
  return connection as SamlConnection;
}

/** One use of the strategy: which connection, and for a login start the request id to send. */
interface SamlCall {
  connection: SamlConnection;
  validateInResponseTo: ValidateInResponseTo;
  requestId?: string;
  /** The SP key that opened the response's EncryptedAssertion at the ACS. */
  decryptionKeyId?: string | null;
  /** For a response to validate: the signatures it carries, every one of which node-saml must then verify. */
  signed?: SignatureFacts;
}

/** Whether this connection's AuthnRequests are signed: the IdP's metadata asks, or the admin does. */
export const signsAuthnRequests = (saml: SamlSettings) => saml.idpWantsSignedRequests === true || saml.signAuthnRequests === true;

export function samlProtocol(deps: SsoDeps, options: SamlProtocolOptions = {}): SsoProtocol {
  const clockSkewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  // MultiSamlStrategy asks for the options of every request; they come from the connection the request is for.
  const calls = new WeakMap<object, SamlCall>();
  installDecryptor();

  const samlConfig = ({ connection, validateInResponseTo, requestId, decryptionKeyId, signed }: SamlCall): PassportSamlConfig => {
    const { saml } = connection;
    const urls = spUrls(deps.baseUrl, connection.id);
    const keys = saml.spKeys ?? [];
    const signingKey = signsAuthnRequests(saml) ? keys.find((k) => k.state === "current") : undefined;
    const decryptionKey = decryptionKeyId ? decryptionKeyOf(saml, decryptionKeyId) : undefined;
    const post = saml.idpSsoBinding === "HTTP-POST";
    return {
      issuer: urls.entityId,
      audience: urls.entityId,
      callbackUrl: urls.acs,
      entryPoint: saml.idpSsoUrl,
      // The connection's certificates only, never one from the response's KeyInfo; several during a rollover.
      idpCert: saml.idpCertificates,
      identifierFormat: saml.nameIdFormat,
      disableRequestedAuthnContext: saml.disableRequestedAuthnContext,
      // Every signature the response carries, and those the connection requires, must verify.
      ...wantedSignatures(signed ?? { response: false, assertion: false }, saml.requiredSignature),
      signatureAlgorithm: "sha256",
      digestAlgorithm: "sha256",
      acceptedClockSkewMs: clockSkewMs,
      validateInResponseTo,
      requestIdExpirationPeriodMs: REQUEST_TTL_MS,
      cacheProvider: requestIdCache(deps.db, connection.id),
      ...(requestId ? { generateUniqueId: () => requestId } : {}),
      // The POST binding carries the request base64-encoded, never DEFLATEd (bindings §3.5.4; PingFederate refuses it).
      ...(post ? { authnRequestBinding: "HTTP-POST", skipRequestCompression: true } : {}),
      ...(signingKey ? { privateKey: signingKey.privateKey, publicCert: signingKey.certificate } : {}),
      ...(decryptionKey ? { decryptionPvk: decryptionKey.privateKey } : {}),
    };
  };

  const strategy = new MultiSamlStrategy(
    {
      name: STRATEGY,
      getSamlOptions: (req, done) => {
        const call = calls.get(req);
        if (!call) return done(new Error("SAML strategy used outside the SAML routes"));
        let config: PassportSamlConfig;
        try {
          config = samlConfig(call);
        } catch (err) {
          return done(err as Error);
        }
        return done(null, config);
      },
    },
    (profile: Profile | null, done: VerifiedCallback) => done(null, profile ?? undefined),
    // IdP-initiated logout is not offered: our routes never hand the strategy a LogoutRequest.
    (_profile: Profile | null, done: VerifiedCallback) => done(new Error("SAML single logout is not supported")),
  );
  const authenticator = new passport.Passport();
  // passport-saml is typed against Express 4's Request; at runtime it is the same object.
  authenticator.use(STRATEGY, strategy as unknown as passport.Strategy);

  /**
   * Runs the strategy for one request. Sessions are opened by `finishLogin`, not by passport. Resolves with the
   * verified profile, or with null once the strategy has answered itself (the redirect to the IdP).
   */
  const authenticate = (req: Request, res: Response, call: SamlCall, additionalParams?: Record<string, string>) =>
    new Promise<Profile | null>((resolve, reject) => {
      // The strategy would act on a SAMLRequest or SAMLResponse in the query string before anything else (a
      // Redirect-binding logout): it gets a view of the request without one, so only our routes decide its input.
      const view = Object.create(req, { query: { value: {} } }) as Request;
      calls.set(view, call);
      res.once("finish", () => resolve(null));
      const options = { session: false, additionalParams } as passport.AuthenticateOptions;
      authenticator.authenticate(STRATEGY, options, (err: unknown, user: Profile | false) => {
        if (err) reject(err);
        else if (user) resolve(user);
        else reject(rejectedResponse("saml_invalid", { check: "the strategy returned no profile" }));
      })(view, res, reject);
    });

  const logoutDeps: LogoutDeps = { ...deps, clockSkewMs, urlsOf: (id) => spUrls(deps.baseUrl, id) };
  /** A Single Logout message from the IdP, however it came: every refusal is told as a logout's. */
  const sloRoute = (receive: (req: Request, saml: SamlSettings) => ReceivedMessage) => {
    const handler = route((req, res, connection) => answerLogoutMessage(logoutDeps, req, res, connection, receive(req, connection.saml)));
    return (req: Request, res: Response) => handler(req, res).catch((err: unknown) => {
      throw LogoutRefused.from(err);
    });
  };

  const expectedOf = (connection: SamlConnection): Expected => ({
    idpEntityId: connection.saml.idpEntityId,
    acsUrl: spUrls(deps.baseUrl, connection.id).acs,
    requiredSignature: connection.saml.requiredSignature,
    allowSha1: connection.saml.allowSha1,
    spKeys: connection.saml.spKeys ?? [],
  });

  return {
    async start(req, res, record, intent) {
      const connection = samlConnection(record);
      const requestId = `_${randomBytes(20).toString("hex")}`;
      const relayNonce = randomBytes(24).toString("base64url");
      rememberLogin(req, relayNonce, { connectionId: connection.id, requestId, returnTo: intent.returnTo, dryRun: intent.dryRun });
      respondOnceSessionStored(req, res);
      // node-saml itself: passport-saml would answer the POST binding with its own page, which our CSP blocks.
      const saml = new SAML(samlConfig({ connection, requestId, validateInResponseTo: ValidateInResponseTo.always }));
      if (connection.saml.idpSsoBinding === "HTTP-POST") {
        sendAutoPostForm(res, connection.saml.idpSsoUrl, await saml.getAuthorizeMessageAsync(relayNonce, undefined, {}) as Record<string, string>);
      } else {
        res.redirect(302, await saml.getAuthorizeUrlAsync(relayNonce, undefined, {}));
      }
    },

    logout(_req, res, record, origin, returnTo) {
      return startSingleLogout(logoutDeps, res, samlConnection(record), origin.saml, returnTo);
    },

    mount(router: Router, finishLogin: FinishLogin) {
      router.post("/acs", express.urlencoded({ extended: false, limit: MAX_ACS_BODY }), route(async (req, res, connection) => {
        const { SAMLResponse, RelayState } = (req.body ?? {}) as Record<string, unknown>;
        if (typeof SAMLResponse !== "string") throw rejectedResponse("saml_malformed", { check: "a SAMLResponse form field" });
        // Cheap refusals now, so that nothing unacceptable is stored; the signature is checked in /complete.
        const { inResponseTo, decryptionKeyId } = inspectResponse(SAMLResponse, expectedOf(connection));
        const relayState = typeof RelayState === "string" ? RelayState : null;
        const handle = await stashPostedResponse(deps.db, connection.id, { samlResponse: SAMLResponse, relayState, inResponseTo, decryptionKeyId });
        res.redirect(303, `${spUrls(deps.baseUrl, connection.id).complete}?k=${handle}`);
      }));

      router.get("/complete", route(async (req, res, connection) => {
        const handle = typeof req.query.k === "string" ? req.query.k : "";
        const posted = await takePostedResponse(deps.db, connection.id, handle);
        if (!posted) throw notThisBrowser("saml_post_missing", { check: "a response posted to this connection's ACS in the last two minutes, used once" });
        const login = takeLogin(req, posted.relayState, connection.id);
        answeredLogin(login, posted, connection.saml);

        // Inspected again with the connection as it is now: which signatures node-saml must verify, the decrypted
        // assertion's own among them (node-saml checks it only when told to, or when the Response carries no valid
        // signature). Decrypted with the key node-saml is given, so that both read the same assertion.
        const spKeys = posted.decryptionKeyId ? [decryptionKeyOf(connection.saml, posted.decryptionKeyId)] : [];
        const { signatures } = inspectResponse(posted.samlResponse, { ...expectedOf(connection), spKeys });
        // The strategy reads a posted response from the body; here it comes from the stash.
        req.body = { SAMLResponse: posted.samlResponse };
        const validateInResponseTo = login ? ValidateInResponseTo.always : ValidateInResponseTo.never;
        const profile = await authenticate(req, res, { connection, validateInResponseTo, decryptionKeyId: posted.decryptionKeyId, signed: signatures }).catch((err) => {
          throw samlRefusal(err);
        });
        if (!profile?.getAssertionXml) throw rejectedResponse("saml_invalid", { check: "node-saml returned the verified assertion" });
        const assertion = checkAssertion(profile.getAssertionXml(), {
          ...expectedOf(connection), inResponseTo: login?.requestId ?? null, clockSkewMs,
        });
        if (!(await recordOnce(deps.db, connection.id, "assertion", assertion.id, assertion.replayableUntil))) {
          throw rejectedResponse("saml_replay", { assertionId: assertion.id });
        }
        // An IdP-initiated login lands on the home page: its RelayState is the IdP's to choose, not a checked path.
        const intent: LoginIntent = login ? { returnTo: login.returnTo, dryRun: login.dryRun } : { returnTo: "/", dryRun: false };
        await finishLogin(req, res, connection, intent, idpProfileOf(profile, connection.saml, signatures));
      }));

      router.get("/slo", sloRoute((req, saml) => receiveRedirect(req.originalUrl.split("?")[1] ?? "", saml.idpCertificates, saml.allowSha1)));
      router.post("/slo", express.urlencoded({ extended: false, limit: MAX_ACS_BODY }), sloRoute((req, saml) => {
        const { SAMLRequest, SAMLResponse, RelayState } = (req.body ?? {}) as Record<string, unknown>;
        const [kind, value] = typeof SAMLRequest === "string" ? ["SAMLRequest", SAMLRequest] as const : ["SAMLResponse", SAMLResponse] as const;
        if (typeof value !== "string" || (typeof SAMLRequest === "string" && SAMLResponse !== undefined)) {
          throw new LogoutRefused("saml_logout_malformed", { check: "one SAMLRequest or SAMLResponse form field" });
        }
        return receivePost(kind, value, typeof RelayState === "string" ? RelayState : null, saml.idpCertificates, saml.allowSha1);
      }));

      router.get("/metadata", (_req, res) => {
        const { id, saml } = samlConnection(res.locals.connection);
        const urls = spUrls(deps.baseUrl, id);
        res.type("application/xml").send(spMetadataXml({
          entityId: urls.entityId, acsUrl: urls.acs, sloUrl: urls.slo, nameIdFormat: saml.nameIdFormat, authnRequestsSigned: signsAuthnRequests(saml),
          // Only what the connection requires: it accepts a signed Response as well otherwise.
          wantAssertionsSigned: wantedSignatures({ response: false, assertion: false }, saml.requiredSignature).wantAssertionsSigned,
          keys: saml.spKeys ?? [],
        }));
      });
    },
  };
}

/** The SP key that decrypted a response's assertion at the ACS, which /complete decrypts it with again. */
function decryptionKeyOf(saml: SamlSettings, id: string): SpKey {
  const key = saml.spKeys?.find((k) => k.id === id);
  if (!key) throw rejectedResponse("saml_decryption", { check: "the SP key that decrypted the response at the ACS still exists (was a key promoted meanwhile?)" });
  return key;
}

/** A route of one connection, whose refusals name the connection and its IdP in the log. */
function route(handler: (req: Request, res: Response, connection: SamlConnection) => Promise<void>) {
  return async (req: Request, res: Response) => {
    const connection = samlConnection(res.locals.connection);
    try {
      await handler(req, res, connection);
    } catch (err) {
      if (!(err instanceof SsoError)) throw err;
      throw new SsoError(err.reason, err.userMessage, err.status, { connectionId: connection.id, idpEntityId: connection.saml.idpEntityId, ...err.detail });
    }
  };
}

/** A response this browser has no login waiting for: the fix is to start again, with cookies allowed. */
const notThisBrowser = (reason: string, detail: Record<string, unknown>) => new SsoError(reason,
  "This login was not started in this browser, or it took too long. Start the login again from your " +
  "organization's login page (and allow cookies for this site).", 400, detail);

/**
 * Decides whether a posted response answers a login this browser started (then its InResponseTo must be that
 * login's request) or is IdP-initiated (no InResponseTo, and only where the connection allows it).
 */
function answeredLogin(login: PendingLogin | null, posted: PostedResponse, saml: SamlSettings): void {
  if (login) {
    if (posted.inResponseTo !== login.requestId) {
      throw rejectedResponse("saml_in_response_to", { check: "the Response answers this browser's AuthnRequest", inResponseTo: posted.inResponseTo });
    }
  } else if (posted.inResponseTo !== null) {
    // An answer to some AuthnRequest, but not one this browser sent for this connection: another browser's
    // response (login CSRF), another connection's, or one already used.
    throw notThisBrowser("saml_relay_state", { check: "the RelayState names a login this browser started for this connection" });
  } else if (!saml.allowIdpInitiated) {
    throw rejectedResponse("saml_unsolicited", { check: "IdP-initiated login is off for this connection" });
  }
}
