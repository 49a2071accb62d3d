/**
 * The backup authentication system (BAS) coverage rules, as data.
 *
 * Sources: BAS-APPS ("Application requirements for the backup authentication system"), BAS (overview)
 * and entra-wire.md §1 (R1..R16), §11 (reference order), §12 (undocumented cases -> unknown).
 *
 * How the tables are applied (src/classifiers/reasons.ts, called by classify.ts):
 * 1. RULES: the first row whose `when` matches the exchange's facts (and whose `unless`, if any, does
 *    not) gives the flow's verdict, its reason and its `extra` reasons.
 * 2. MODIFIERS: every matching row applies, when the flow's verdict is in its `appliesTo`. A modifier
 *    with a verdict makes the record's verdict at least that bad and puts its reason first (e.g.
 *    host-unsupported + ropc); a modifier with `verdict: null` is informational and goes last.
 * A condition is a map from a fact name to the values allowed (AND across facts, OR within one).
 * Rows hold no code: adding a flow is adding a row.
 */
import type { BasListing, HostRole } from '../core/hosts.js';
import type {
  AppType,
  ClientCredential,
  ClientType,
  Cloud,
  Endpoint,
  GrantType,
  Protocol,
  ReasonCode,
  SamlInitiation,
  Verdict,
} from '../core/types.js';
import type { GuestSignal } from './token-facts.js';

/** Where a managed-identity request went (entra-wire §8). */
export type MiSource =
  'imds' | 'app-service' | 'app-service-legacy' | 'azure-arc' | 'service-fabric' | 'cloud-shell';

/** Shapes the contract fields cannot express, found by the classifier. */
export type FlowVariant =
  | 'none'
  /** OPTIONS with Access-Control-Request-Method. */
  | 'cors-preflight'
  /** IMDS availability probe: no Metadata header (not a token acquisition). */
  | 'imds-probe'
  /** IMDS instance metadata (not identity). */
  | 'imds-instance'
  /** IMDSv2 credential endpoints (getplatformmetadata / issuecredential). */
  | 'imds-v2'
  /** client_credentials with token_type=mtls_pop or on an mtlsauth host (IMDSv2 MI or SNI client). */
  | 'mtls-pop'
  /** jwt-bearer with a signed `request` JWT (WAM / Authenticator / PRT broker). */
  | 'broker-request'
  /** srv_challenge nonce request (broker prelude). */
  | 'srv-challenge'
  /** saml*-bearer grant from Integrated Windows Auth (telemetry), or Seamless SSO Kerberos legs. */
  | 'iwa'
  /** WS-Trust usernamemixed (username + password sent to the STS). */
  | 'wstrust-password'
  /** /adminconsent. */
  | 'admin-consent'
  /** /common/oauth2/deviceauth: the device-code user verification page. */
  | 'device-login-page'
  /** /kerberos (Entra Kerberos / KKDCP). */
  | 'kerberos'
  /** Pages and calls of the interactive sign-in UI (login, MFA, KMSI...). */
  | 'sign-in-ui'
  /** Static assets (favicon, robots). */
  | 'asset'
  /** Not sign-in traffic on an intercepted host (e.g. a Microsoft Graph API call). */
  | 'api-call'
  /** A grant_type we do not know (user_fic, ...). */
  | 'unknown-grant'
  /** Sign-in logs: a legacy-auth client app (IMAP, POP, SMTP, Exchange ActiveSync...): a password. */
  | 'legacy-auth'
  /** Sign-in logs: a public client the row does not tell apart (implicit or auth code + PKCE). */
  | 'signin-ambiguous';

export type SamlMessageFact = 'authn-request' | 'response' | 'logout' | 'other' | 'unparseable';

/** What rules can test: the record's classified fields plus a few facts the contract does not carry. */
export interface RuleFacts {
  readonly hostRole: HostRole;
  readonly hostSupported: boolean;
  readonly cloud: Cloud;
  /** What the 2025 BAS page's clouds table lists the host for (hosts.ts BAS_CLOUD_TABLE). */
  readonly basListing: BasListing;
  /** A B2C policy in the path or `p=` on an Entra host. */
  readonly b2cPolicy: boolean;
  readonly protocol: Protocol;
  readonly endpoint: Endpoint;
  readonly grantType: GrantType | null;
  readonly pkce: boolean | null;
  readonly clientType: ClientType;
  readonly clientCredential: ClientCredential;
  readonly appType: AppType;
  readonly samlInitiation: SamlInitiation | null;
  readonly samlMessage: SamlMessageFact | null;
  /** For implicit authorize requests: does it ask for an ID token only, or also an access token. */
  readonly implicit: 'id-token-only' | 'access-token' | null;
  readonly interaction: 'silent' | 'interactive' | null;
  readonly miSource: MiSource | null;
  readonly variant: FlowVariant;
  /** MSAL SKU seen, client_info=1 sent, or MSAL's CCS routing hint (X-AnchorMailbox) sent. */
  readonly msal: boolean;
  /** The token response shows a guest (token-facts.ts), and by which field; null: it shows none. */
  readonly guest: GuestSignal | null;
  /** The issued access token is a managed identity's (xms_mirid). */
  readonly miToken: boolean;
  /** The cloud of the issued access token's issuer (null: no token, or an unknown issuer). */
  readonly issuerCloud: Cloud | null;
  /** What the facts were read from: an HTTP exchange, or a sign-in log row. */
  readonly evidence: 'wire' | 'signin-log';
  /** A Conditional Access sign-in frequency control applied (sign-in logs only). */
  readonly signInFrequency: boolean;
}

export type Condition = { readonly [K in keyof RuleFacts]?: readonly RuleFacts[K][] };

export interface ExtraReason {
  readonly code: ReasonCode;
  readonly message: string;
  readonly remediation?: string;
  readonly docUrl?: string;
}

export interface Rule {
  readonly id: string;
  readonly when: Condition;
  /** The row does not apply when any of these conditions matches. */
  readonly unless?: readonly Condition[];
  readonly verdict: Verdict;
  readonly reason: ReasonCode;
  readonly message: string;
  /** What to change; none when there is nothing to change. */
  readonly remediation?: string;
  readonly docUrl: string;
  readonly extra?: readonly ExtraReason[];
}

export interface Modifier {
  readonly id: string;
  readonly when: Condition;
  /** The row does not apply when any of these conditions matches. */
  readonly unless?: readonly Condition[];
  /** The flow verdicts this modifier applies to. */
  readonly appliesTo: readonly Verdict[];
  /** The verdict the record gets at least (worst of both); null: informational only. */
  readonly verdict: Verdict | null;
  readonly reason: ReasonCode;
  /** `{host}` and `{alternative}` are filled in by the classifier. */
  readonly message: string;
  readonly remediation?: string;
  readonly docUrl: string;
}

const LEARN = 'https://learn.microsoft.com/entra';
export const DOC = {
  basApps: `${LEARN}/architecture/backup-authentication-system-apps`,
  bas: `${LEARN}/architecture/backup-authentication-system`,
  basUsers: `${LEARN}/architecture/backup-authentication-system#what-makes-a-user-supportable-by-the-backup-authentication-system`,
  basWorkloads: `${LEARN}/architecture/backup-authentication-system#summary-of-infrastructure-authentication-support`,
  basClouds: `${LEARN}/architecture/backup-authentication-system#cloud-environments-that-support-the-backup-authentication-system`,
  ropc: `${LEARN}/identity-platform/v2-oauth-ropc`,
  deviceCode: `${LEARN}/identity-platform/v2-oauth2-device-code`,
  silent: `${LEARN}/msal/dotnet/acquiring-tokens/acquire-token-silently`,
  tokenCache: `${LEARN}/msal/dotnet/how-to/token-cache-serialization`,
  interactive: `${LEARN}/identity-platform/scenario-desktop-acquire-token-interactive`,
  implicit: `${LEARN}/identity-platform/v2-oauth2-implicit-grant-flow`,
  authCode: `${LEARN}/identity-platform/v2-oauth2-auth-code-flow`,
  certCreds: `${LEARN}/identity-platform/certificate-credentials`,
  obo: `${LEARN}/identity-platform/v2-oauth2-on-behalf-of-flow`,
  clientCreds: `${LEARN}/identity-platform/v2-oauth2-client-creds-grant-flow`,
  saml: `${LEARN}/identity-platform/single-sign-on-saml-protocol`,
  mi: `${LEARN}/identity/managed-identities-azure-resources/overview`,
  userinfo: `${LEARN}/identity-platform/userinfo`,
  msal: `${LEARN}/identity-platform/msal-overview`,
  nationalClouds: `${LEARN}/identity-platform/authentication-national-cloud`,
  b2c: 'https://learn.microsoft.com/azure/active-directory-b2c/b2clogin',
  seamlessSso: `${LEARN}/identity/hybrid/connect/how-to-connect-sso-how-it-works`,
  legacyAuth: `${LEARN}/identity/conditional-access/policy-block-legacy-authentication`,
  signInFrequency: `${LEARN}/identity/conditional-access/concept-session-lifetime`,
  resilience: `${LEARN}/identity/conditional-access/resilience-defaults`,
  scopes: `${LEARN}/identity-platform/scopes-oidc`,
} as const;

const ALL_BUT_NA: readonly Verdict[] = ['covered', 'conditional', 'unknown', 'not-covered'];

/** The two statements of the 2025 BAS page about 21Vianet, quoted (BAS "Cloud environments"). */
const VIANET_STATEMENTS =
  'the BAS page says both "The backup authentication system is supported in all cloud environments except Microsoft Azure operated by 21Vianet" and, in its clouds table, "Azure operated by 21Vianet | Managed identities | https://login.partner.microsoftonline.cn"; coverage is unknown until Microsoft resolves the contradiction.';
const VIANET_REMEDIATION =
  'Confirm in the sign-in logs (managed identity sign-ins, token issuer type "Microsoft Entra Backup Auth") whether BAS issues tokens in 21Vianet; plan for outages as if it did not.';

const DEVICE_CODE_REMEDIATION =
  'Use interactive sign-in (system browser or broker) followed by silent token acquisition.';
const ROPC_REMEDIATION =
  'Replace ROPC with interactive sign-in (auth code + PKCE, or the broker) and silent token acquisition.';
const GUEST_REMEDIATION =
  'Nothing in the app changes this: guests are not served during an outage. Sign users in to their home tenant where the scenario allows it.';

/** The ordered flow table. First match wins; the last row matches everything. */
export const RULES = [
  // --- Not sign-ins at all -------------------------------------------------------------------
  {
    id: 'cors-preflight',
    when: { variant: ['cors-preflight'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message: 'CORS preflight (OPTIONS); the request that follows is classified on its own.',
    docUrl: DOC.basApps,
  },
  {
    id: 'metadata-discovery',
    when: { endpoint: ['discovery'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message:
      'Metadata request (OpenID configuration, JWKS, instance or realm discovery, federation metadata); no token is issued.',
    docUrl: DOC.basApps,
  },
  {
    id: 'metadata-logout',
    when: { endpoint: ['logout'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message: 'Sign-out request (OIDC end-session, SAML single logout or WS-Federation sign-out).',
    docUrl: DOC.basApps,
  },
  {
    id: 'metadata-saml-slo',
    when: { samlMessage: ['logout'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message: 'SAML single logout (LogoutRequest / LogoutResponse); not a sign-in.',
    docUrl: DOC.saml,
  },
  {
    id: 'metadata-imds-probe',
    when: { variant: ['imds-probe', 'imds-instance'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message:
      'IMDS probe or instance-metadata request (no Metadata header or no identity path); not a token acquisition.',
    docUrl: DOC.mi,
  },
  {
    id: 'metadata-asset',
    when: { variant: ['asset', 'srv-challenge', 'admin-consent', 'api-call'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message:
      'Not a sign-in: static asset, API call, broker nonce (srv_challenge) or admin-consent page; no application token is issued here.',
    docUrl: DOC.basApps,
  },
  {
    id: 'metadata-launcher',
    when: { hostRole: ['launcher'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message:
      'My Apps / app launcher traffic: the entry point of IdP-initiated sign-ins; the sign-in itself is classified on the Entra host.',
    docUrl: DOC.saml,
  },
  // --- Managed identity (R12) -----------------------------------------------------------------
  {
    id: 'managed-identity-cloud-shell',
    when: { miSource: ['cloud-shell'] },
    verdict: 'unknown',
    reason: 'undocumented-flow',
    message:
      'Cloud Shell token endpoint (localhost:50342): it returns the signed-in portal user\u2019s delegated token, not a managed identity token; BAS coverage is not documented.',
    remediation:
      'Use a user- or system-assigned managed identity on an Azure resource for unattended workloads.',
    docUrl: DOC.mi,
  },
  {
    id: 'managed-identity-imds-v2',
    when: { variant: ['imds-v2'] },
    verdict: 'unknown',
    reason: 'undocumented-flow',
    message:
      'IMDSv2 credential request (mTLS proof-of-possession managed identity): the token then comes from an mtlsauth host that BAS does not list; coverage is not documented.',
    remediation:
      'Prefer bearer managed-identity tokens from IMDS until mTLS PoP coverage is documented.',
    docUrl: DOC.mi,
  },
  {
    id: 'managed-identity-21vianet',
    when: { protocol: ['managed-identity'], issuerCloud: ['china'] },
    verdict: 'unknown',
    reason: 'managed-identity',
    message: `Managed identity token issued in Azure operated by 21Vianet (the token's issuer is a China cloud host): ${VIANET_STATEMENTS}`,
    remediation: VIANET_REMEDIATION,
    docUrl: DOC.basClouds,
  },
  {
    id: 'managed-identity',
    when: { protocol: ['managed-identity'] },
    verdict: 'covered',
    reason: 'managed-identity',
    message:
      'Managed identity token request: system- and user-assigned managed identities are protected by BAS.',
    docUrl: DOC.basApps,
  },
  // --- Dependencies and protocols BAS does not cover -----------------------------------------
  {
    id: 'userinfo',
    when: { endpoint: ['userinfo'] },
    verdict: 'not-covered',
    reason: 'userinfo',
    message: 'UserInfo endpoint call: BAS-APPS asks apps not to rely on UserInfo.',
    remediation: 'Read the user\u2019s claims from the ID token instead of calling UserInfo.',
    docUrl: DOC.userinfo,
  },
  {
    id: 'saml-sp-initiated',
    when: { samlInitiation: ['sp'] },
    verdict: 'not-covered',
    reason: 'saml-sp-initiated',
    message:
      'SAML SP-initiated sign-in (AuthnRequest, or a Response with InResponseTo): not protected by BAS.',
    remediation:
      'Where the app supports it, launch it IdP-initiated (from My Apps or the user access URL); only IdP-initiated SAML is protected.',
    docUrl: DOC.basApps,
  },
  {
    id: 'saml-idp-initiated',
    when: { samlInitiation: ['idp'] },
    verdict: 'covered',
    reason: 'saml-idp-initiated',
    message: 'SAML IdP-initiated sign-in (Response without InResponseTo): protected by BAS.',
    docUrl: DOC.basApps,
  },
  {
    id: 'saml-initiation-unknown',
    when: { protocol: ['saml2'], evidence: ['signin-log'] },
    verdict: 'unknown',
    reason: 'saml-initiation-unknown',
    message:
      'SAML sign-in seen in the sign-in logs, which do not show whether it was IdP-initiated (covered) or SP-initiated (not covered).',
    remediation:
      'Capture one sign-in of this app through the proxy or in a HAR: an AuthnRequest (or InResponseTo) means SP-initiated. Launch it from My Apps to be covered.',
    docUrl: DOC.basApps,
  },
  {
    id: 'saml-unrecognised',
    when: { protocol: ['saml2'] },
    verdict: 'unknown',
    reason: 'unparseable',
    message: 'SAML traffic whose message could not be decoded or recognised.',
    remediation: 'Check the captured body was not truncated (raise the capture limit).',
    docUrl: DOC.saml,
  },
  {
    id: 'wsfed',
    when: { protocol: ['wsfed'] },
    verdict: 'unknown',
    reason: 'wsfed',
    message:
      'WS-Federation sign-in: BAS documents only OAuth 2.0/OIDC and SAML 2.0, so coverage is unknown.',
    remediation: 'Move the app to OpenID Connect (ID tokens only) or IdP-initiated SAML.',
    docUrl: DOC.basApps,
  },
  // --- Grants that are never covered ----------------------------------------------------------
  {
    id: 'device-code-request',
    when: { endpoint: ['devicecode'] },
    verdict: 'not-covered',
    reason: 'device-code',
    message: 'Device authorization request: BAS does not support the device authorization grant.',
    remediation: DEVICE_CODE_REMEDIATION,
    docUrl: DOC.deviceCode,
  },
  {
    id: 'device-code-poll',
    when: { grantType: ['device_code'] },
    verdict: 'not-covered',
    reason: 'device-code',
    message: 'Device code token polling: BAS does not support the device authorization grant.',
    remediation: DEVICE_CODE_REMEDIATION,
    docUrl: DOC.deviceCode,
  },
  {
    id: 'device-code-page',
    when: { variant: ['device-login-page'] },
    verdict: 'not-covered',
    reason: 'device-code',
    message:
      'Device code verification page: part of the device authorization grant, not supported by BAS.',
    remediation: DEVICE_CODE_REMEDIATION,
    docUrl: DOC.deviceCode,
  },
  {
    id: 'iwa',
    when: { variant: ['iwa', 'kerberos'] },
    verdict: 'unknown',
    reason: 'undocumented-flow',
    message:
      'Integrated Windows Authentication / Seamless SSO (Kerberos, saml*-bearer without a password): BAS coverage is not documented.',
    remediation: 'Prefer interactive sign-in through the broker (WAM) with silent token renewal.',
    docUrl: DOC.seamlessSso,
  },
  {
    id: 'legacy-auth',
    when: { variant: ['legacy-auth'] },
    verdict: 'not-covered',
    reason: 'legacy-auth',
    message:
      'Legacy authentication (IMAP, POP, SMTP, Exchange ActiveSync or another basic-auth client): it sends a password, which BAS never serves.',
    remediation:
      'Move the client to modern authentication (OAuth 2.0 with MSAL) and block legacy authentication with Conditional Access.',
    docUrl: DOC.legacyAuth,
  },
  {
    id: 'ropc',
    when: { grantType: ['password'] },
    verdict: 'not-covered',
    reason: 'ropc',
    message:
      'Resource owner password credentials (ROPC): never supported by BAS, for any client type.',
    remediation: ROPC_REMEDIATION,
    docUrl: DOC.ropc,
  },
  {
    id: 'ropc-saml-bearer',
    when: { grantType: ['saml_bearer'] },
    verdict: 'not-covered',
    reason: 'ropc',
    message:
      'Federated username/password (WS-Trust SAML assertion exchanged with a saml*-bearer grant): ROPC, not supported by BAS.',
    remediation: ROPC_REMEDIATION,
    docUrl: DOC.ropc,
  },
  {
    id: 'ropc-wstrust',
    when: { variant: ['wstrust-password'] },
    verdict: 'not-covered',
    reason: 'ropc',
    message:
      'WS-Trust username/password request (the first leg of federated ROPC): not supported by BAS.',
    remediation: ROPC_REMEDIATION,
    docUrl: DOC.ropc,
  },
  {
    id: 'on-behalf-of',
    when: { grantType: ['on_behalf_of'] },
    verdict: 'not-covered',
    reason: 'on-behalf-of',
    message: 'On-behalf-of (jwt-bearer, requested_token_use=on_behalf_of): not supported by BAS.',
    remediation:
      'Cache OBO tokens per user and resource for their full lifetime; BAS coverage for OBO is not yet available.',
    docUrl: DOC.obo,
  },
  {
    id: 'broker-jwt-bearer',
    when: { variant: ['broker-request'] },
    verdict: 'unknown',
    reason: 'undocumented-flow',
    message:
      'Broker / PRT request (jwt-bearer grant with a signed request JWT, e.g. WAM or Authenticator): BAS coverage is not documented.',
    remediation:
      'Nothing to change in the app; confirm coverage in the sign-in logs (token issuer type "Microsoft Entra Backup Auth").',
    docUrl: DOC.bas,
  },
  {
    id: 'managed-identity-21vianet-host',
    when: { basListing: ['mi-conflicting'], miToken: [true] },
    verdict: 'unknown',
    reason: 'managed-identity',
    message: `Managed identity signing in at login.partner.microsoftonline.cn (the issued token carries xms_mirid): ${VIANET_STATEMENTS}`,
    remediation: VIANET_REMEDIATION,
    docUrl: DOC.basClouds,
  },
  {
    id: 'mtls-pop-client-credentials',
    when: { variant: ['mtls-pop'] },
    verdict: 'unknown',
    reason: 'undocumented-flow',
    message:
      'mTLS proof-of-possession token request (IMDSv2 managed identity or a certificate-bound confidential client) on an mtlsauth host: coverage is not documented.',
    remediation:
      'Prefer bearer managed-identity tokens from IMDS until mTLS PoP coverage is documented.',
    docUrl: DOC.bas,
  },
  {
    id: 'client-credentials',
    when: { grantType: ['client_credentials'] },
    verdict: 'not-covered',
    reason: 'client-credentials',
    message:
      'Service principal client credentials (secret, certificate or federated assertion): service principals "aren\u2019t protected" by BAS (2025 BAS page); only managed identities are.',
    remediation:
      'Where the workload runs on Azure, use a managed identity (protected by BAS); keep using MSAL so protection applies when it becomes available.',
    docUrl: DOC.basWorkloads,
  },
  {
    id: 'jwt-bearer-other',
    when: { grantType: ['jwt_bearer'] },
    verdict: 'unknown',
    reason: 'undocumented-flow',
    message:
      'jwt-bearer grant that is neither on-behalf-of nor a broker request: not a documented BAS flow.',
    docUrl: DOC.basApps,
  },
  // --- Confidential and SPA clients (R8, R9) --------------------------------------------------
  {
    id: 'confidential-client',
    when: {
      endpoint: ['token'],
      grantType: ['authorization_code', 'refresh_token'],
      clientType: ['confidential'],
    },
    verdict: 'not-covered',
    reason: 'confidential-client',
    message:
      'Confidential client (secret, certificate assertion or Basic auth) redeeming a code or refresh token: web apps and services are not supported by BAS.',
    remediation:
      'Sign users in with OpenID Connect using ID tokens only, and cache access tokens for their full lifetime.',
    docUrl: DOC.basApps,
  },
  {
    id: 'spa-auth-code-pkce',
    when: { grantType: ['authorization_code', 'refresh_token'], appType: ['spa'] },
    verdict: 'not-covered',
    reason: 'spa-auth-code-pkce',
    message: 'Single-page app using auth code + PKCE (MSAL.js 2.x+): not supported by BAS.',
    remediation:
      'Only implicit-flow ID-token sign-in is protected for SPAs; keep tokens cached and handle outages gracefully.',
    docUrl: DOC.basApps,
  },
  {
    id: 'web-hybrid',
    when: {
      endpoint: ['authorize'],
      grantType: ['hybrid', 'authorization_code'],
      appType: ['web'],
    },
    verdict: 'not-covered',
    reason: 'confidential-client',
    message:
      'Web app authorization request for a code (auth code or hybrid): the code is redeemed by a confidential client, not supported by BAS.',
    remediation:
      'Sign users in with OpenID Connect using ID tokens only (response_type=id_token, form_post).',
    docUrl: DOC.basApps,
  },
  // --- Native public clients (R6) -------------------------------------------------------------
  {
    id: 'native-silent',
    when: {
      endpoint: ['token'],
      grantType: ['refresh_token'],
      clientType: ['public'],
      appType: ['native'],
    },
    verdict: 'conditional',
    reason: 'native-silent',
    message:
      'Native public client refreshing silently (AcquireTokenSilent with a cached refresh token).',
    docUrl: DOC.silent,
    extra: [
      {
        code: 'token-cache-3-days',
        message:
          'Covered only if the app persists its token cache for at least three days; that cannot be seen on the wire.',
        remediation:
          'Persist the MSAL token cache (platform cache or token cache serialization) so it survives restarts.',
        docUrl: DOC.tokenCache,
      },
    ],
  },
  {
    id: 'native-interactive',
    when: {
      grantType: ['authorization_code'],
      clientType: ['public', 'unknown'],
      appType: ['native'],
    },
    verdict: 'conditional',
    reason: 'native-interactive',
    message:
      'Native public client signing in interactively (authorize or code redemption): may fail against BAS if user interaction is required.',
    remediation:
      'Call AcquireTokenSilent first and fall back to interactive sign-in only when it fails.',
    docUrl: DOC.interactive,
  },
  // --- Implicit (R8, R14) ---------------------------------------------------------------------
  {
    id: 'implicit-id-token',
    when: { endpoint: ['authorize'], implicit: ['id-token-only'] },
    verdict: 'covered',
    reason: 'spa-implicit-id-token',
    message:
      'Implicit flow requesting only an ID token (MSAL.js 1.x SPA, or OIDC web sign-in with form_post): protected by BAS.',
    docUrl: DOC.implicit,
  },
  {
    id: 'implicit-access-token',
    when: { endpoint: ['authorize'], implicit: ['access-token'] },
    verdict: 'not-covered',
    reason: 'implicit-access-token',
    message:
      'Implicit flow also asking for an access token (response_type includes token): not supported by BAS.',
    remediation:
      'Request only ID tokens at sign-in (response_type=id_token); only ID-token sign-in is protected.',
    docUrl: DOC.implicit,
  },
  // --- Browser apps of unknown kind and leftovers ---------------------------------------------
  {
    id: 'authorize-code-unknown-app',
    when: { endpoint: ['authorize'], grantType: ['authorization_code', 'hybrid'] },
    verdict: 'unknown',
    reason: 'unparseable',
    message:
      'Authorization request for a code whose app type could not be told (no redirect URI or library hint).',
    docUrl: DOC.authCode,
  },
  {
    id: 'sign-in-ui',
    when: { variant: ['sign-in-ui'] },
    verdict: 'not-applicable',
    reason: 'metadata',
    message:
      'A page or call of the interactive sign-in UI (credentials, MFA, keep-me-signed-in); the flow is classified by its authorize and token requests.',
    docUrl: DOC.basApps,
  },
  // --- What only sign-in logs show ----------------------------------------------------------
  {
    id: 'signin-log-ambiguous',
    when: { variant: ['signin-ambiguous'] },
    verdict: 'unknown',
    reason: 'signin-log-ambiguous',
    message:
      'A public client signing in through a browser (or one the sign-in log does not describe): the logs cannot tell an SPA on implicit id_token-only (covered) from auth code + PKCE (not covered).',
    remediation:
      'Capture one sign-in of this app through the proxy or in a HAR: a code + code_verifier redemption means PKCE (not covered), response_type=id_token alone means implicit (covered).',
    docUrl: DOC.basApps,
  },
  {
    id: 'unrecognised',
    when: {},
    verdict: 'unknown',
    reason: 'unparseable',
    message: 'Unrecognised or unparseable request on an Entra host.',
    docUrl: DOC.basApps,
  },
] as const satisfies readonly Rule[];

/** Reasons layered on top of the flow's own (all matching rows apply). */
export const MODIFIERS = [
  {
    id: 'host-unsupported',
    // 'other': hosts intercepted on request (custom domains) that still carry Entra flows.
    when: { hostRole: ['sts', 'other'], hostSupported: [false] },
    // IWA/Kerberos helpers and mTLS PoP endpoints have no supported-host equivalent: their
    // undocumented status (unknown) says more than a host finding would.
    unless: [
      { variant: ['iwa', 'kerberos', 'mtls-pop'] },
      { protocol: ['managed-identity', 'unknown'] },
      // 21Vianet managed identity: the page contradicts itself, so unknown (managed-identity-21vianet-host).
      { basListing: ['mi-conflicting'], miToken: [true] },
    ],
    appliesTo: ALL_BUT_NA,
    verdict: 'not-covered',
    reason: 'host-unsupported',
    message:
      '{host} is not a BAS-supported host (only login.microsoftonline.com and login.microsoftonline.us are).',
    remediation: '{alternative}',
    docUrl: DOC.basApps,
  },
  {
    id: 'b2c-policy',
    when: { hostSupported: [true], b2cPolicy: [true] },
    appliesTo: ALL_BUT_NA,
    verdict: 'not-covered',
    reason: 'host-unsupported',
    message:
      'Azure AD B2C policy endpoint on {host}: B2C users are not supported by BAS (and the login.microsoftonline.com B2C endpoints are retired).',
    remediation:
      'Nothing in the app makes B2C sign-ins BAS-protected; plan for B2C outages separately.',
    docUrl: DOC.b2c,
  },
  // Guests (2025 BAS page): "The user is accessing a resource as a member of their home tenant,
  // rather than exercising a B2B or B2C scenario." One row per signal, first match shown.
  {
    id: 'guest-user-idp',
    when: { guest: ['idp'] },
    appliesTo: ALL_BUT_NA,
    verdict: 'not-covered',
    reason: 'guest-user',
    message:
      'The token response shows a guest: the token\u2019s idp claim names another tenant\u2019s issuer than iss. BAS serves only members of their home tenant, not B2B guests or B2C users.',
    remediation: GUEST_REMEDIATION,
    docUrl: DOC.basUsers,
  },
  {
    id: 'guest-user-acct',
    when: { guest: ['acct'] },
    appliesTo: ALL_BUT_NA,
    verdict: 'not-covered',
    reason: 'guest-user',
    message:
      'The token response shows a guest: the optional acct claim is 1. BAS serves only members of their home tenant, not B2B guests or B2C users.',
    remediation: GUEST_REMEDIATION,
    docUrl: DOC.basUsers,
  },
  {
    id: 'guest-user-client-info',
    when: { guest: ['client-info'] },
    appliesTo: ALL_BUT_NA,
    verdict: 'not-covered',
    reason: 'guest-user',
    message:
      'The token response shows a guest: client_info names another home tenant (utid) than the token\u2019s tid. BAS serves only members of their home tenant, not B2B guests or B2C users.',
    remediation: GUEST_REMEDIATION,
    docUrl: DOC.basUsers,
  },
  {
    id: 'guest-user-signin-log',
    when: { guest: ['signin-log'] },
    appliesTo: ALL_BUT_NA,
    verdict: 'not-covered',
    reason: 'guest-user',
    message:
      'The sign-in log shows a guest: a cross-tenant access type (B2B collaboration or direct connect), a guest user type, or a home tenant other than the resource tenant. BAS serves only members of their home tenant, not B2B guests or B2C users.',
    remediation: GUEST_REMEDIATION,
    docUrl: DOC.basUsers,
  },
  {
    id: 'non-msal-client',
    when: {
      protocol: ['oauth2', 'oidc'],
      // Not /devicecode: MSAL Node sends that request bare (no SKU, no client_info).
      endpoint: ['authorize', 'token'],
      msal: [false],
    },
    appliesTo: ALL_BUT_NA,
    verdict: null,
    reason: 'non-msal-client',
    message:
      'No MSAL library hint (x-client-SKU), no client_info=1 and no CCS routing hint (X-AnchorMailbox): BAS-APPS recommends MSAL, or strict adherence to the OAuth 2.0 / OIDC specifications.',
    remediation: 'Use the MSAL library of your platform.',
    docUrl: DOC.msal,
  },
  {
    id: 'sign-in-frequency',
    when: { signInFrequency: [true] },
    appliesTo: ['covered', 'conditional'],
    verdict: 'conditional',
    reason: 'sign-in-frequency',
    message:
      'A Conditional Access sign-in frequency policy applied: when it asks the user to sign in again, BAS cannot serve the sign-in (the 2025 BAS page lists such policies as reducing coverage).',
    remediation:
      'Review whether the sign-in frequency control is needed for this app; BAS serves sessions it can extend without a new interactive sign-in.',
    docUrl: DOC.signInFrequency,
  },
] as const satisfies readonly Modifier[];

/**
 * The `{alternative}` advice of the host-unsupported modifier: `{host}` is replaced by the supported
 * host of the same cloud when there is one (hosts.ts `supportedAlternative`), else by cloud.
 */
export const HOST_ADVICE = {
  withAlternative: 'Use {host} as the authority host (for MSAL: https://{host}/<tenant>).',
  public:
    'BAS serves only login.microsoftonline.com (Azure Commercial) and login.microsoftonline.us (Azure Government).',
  usgov: 'BAS serves only login.microsoftonline.us in Azure Government.',
  china:
    'No BAS-supported host serves user sign-ins in Azure operated by 21Vianet (BAS covers managed identities only there).',
  b2c: 'Azure AD B2C sign-ins are not protected by BAS; no host change helps.',
  ciam: 'Microsoft Entra External ID (ciamlogin.com) sign-ins are not protected by BAS.',
  unknown:
    'BAS serves only login.microsoftonline.com (Azure Commercial) and login.microsoftonline.us (Azure Government).',
} as const satisfies Readonly<Record<Cloud | 'withAlternative', string>>;

/** The advice text for a host (see HOST_ADVICE). */
export function hostAdvice(cloud: Cloud, alternative: string | null): string {
  return alternative !== null
    ? HOST_ADVICE.withAlternative.replaceAll('{host}', alternative)
    : HOST_ADVICE[cloud];
}

/** True when `facts` satisfies `cond` (every listed fact has one of the listed values). */
export function matches(cond: Condition, facts: RuleFacts): boolean {
  for (const key in cond) {
    const allowed = cond[key as keyof RuleFacts] as readonly unknown[] | undefined;
    if (allowed !== undefined && !allowed.includes(facts[key as keyof RuleFacts])) return false;
  }
  return true;
}

/** True when the row's `when` matches and none of its `unless` conditions does. */
export function applies(row: Rule | Modifier, facts: RuleFacts): boolean {
  if (!matches(row.when, facts)) return false;
  if (row.unless !== undefined) for (const u of row.unless) if (matches(u, facts)) return false;
  return true;
}

/** The first rule matching `facts` (the table ends with a catch-all). */
export function firstRule(facts: RuleFacts): Rule {
  for (const r of RULES as readonly Rule[]) if (applies(r, facts)) return r;
  // Unreachable: the last row has an empty condition.
  return RULES[RULES.length - 1] as Rule;
}
