/**
 * The data model shared by every part of entra-bas-proxy.
 *
 * Flow: [I/O] proxy adapter | HAR reader  ->  RawExchange (immutable, JSON-serializable)
 *       [pure] classifyExchange(raw) -> ExchangeRecord (the fields of CONTRACT.md)
 *       [pure] SessionState reducer -> applications + findings
 *       [pure] buildReport(...) -> Report -> renderers
 * Names in this file that appear in CONTRACT.md are what users' scripts rely on: never rename them.
 */

// ---------------------------------------------------------------------------------------------
// Raw exchanges: what the I/O edges (proxy, HAR reader) produce. Secrets still inside: these never
// leave the process; only ExchangeRecord (redacted) is written anywhere.
// ---------------------------------------------------------------------------------------------

/** Header names lowercased; repeated headers joined with ", " (set-cookie with "\n"). */
export type HeaderMap = Readonly<Record<string, string>>;

export interface RawBody {
  /** The body decoded to text (UTF-8, after gzip/deflate/br content-decoding), at most the capture limit. */
  readonly text: string;
  /** Bytes seen on the wire (or declared by the HAR), when known. */
  readonly size: number;
  /** True when `text` holds only the first part of the body. */
  readonly truncated: boolean;
}

export type ExchangeErrorCode =
  | 'upstream-refused'
  | 'upstream-tls'
  | 'upstream-reset'
  | 'upstream-timeout'
  | 'upstream-dns'
  | 'client-aborted'
  | 'proxy-error';

export interface ExchangeError {
  readonly code: ExchangeErrorCode;
  readonly message: string;
}

export interface RawExchange {
  readonly id: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly durationMs: number | null;
  readonly scheme: 'http' | 'https';
  readonly method: string;
  /** Lowercase, without port. */
  readonly host: string;
  readonly port: number;
  /** Path and query exactly as requested (origin-form), e.g. `/common/oauth2/v2.0/token?x=1`. */
  readonly url: string;
  readonly requestHeaders: HeaderMap;
  readonly requestBody: RawBody | null;
  /** null when no response arrived (see error). */
  readonly status: number | null;
  readonly responseHeaders: HeaderMap;
  readonly responseBody: RawBody | null;
  readonly error: ExchangeError | null;
  /** The RECORD_SOURCES that carry HTTP. */
  readonly source: Extract<RecordSource, 'proxy' | 'har'>;
}

// ---------------------------------------------------------------------------------------------
// Contract vocabulary (CONTRACT.md). Literal unions; the arrays are for schemas and validation.
// ---------------------------------------------------------------------------------------------

export const CLOUDS = ['public', 'usgov', 'china', 'b2c', 'ciam', 'unknown'] as const;
export type Cloud = (typeof CLOUDS)[number];

export const PROTOCOLS = [
  'oauth2',
  'oidc',
  'saml2',
  'wsfed',
  'managed-identity',
  'metadata',
  'unknown',
] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const ENDPOINTS = [
  'authorize',
  'token',
  'devicecode',
  'userinfo',
  'saml2',
  'wsfed',
  'logout',
  'discovery',
  'imds',
  'other',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'device_code',
  'on_behalf_of',
  'implicit',
  'hybrid',
  'saml_bearer',
  'jwt_bearer',
  'managed_identity',
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const CLIENT_TYPES = ['public', 'confidential', 'unknown'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export const CLIENT_CREDENTIALS = [
  'none',
  'secret',
  'certificate',
  'federated',
  'unknown',
] as const;
export type ClientCredential = (typeof CLIENT_CREDENTIALS)[number];

export const APP_TYPES = [
  'native',
  'spa',
  'web',
  'service',
  'managed-identity',
  'unknown',
] as const;
export type AppType = (typeof APP_TYPES)[number];

export const SAML_INITIATIONS = ['idp', 'sp'] as const;
export type SamlInitiation = (typeof SAML_INITIATIONS)[number];

/** Best to worst (CONTRACT.md "Verdict order"). */
export const VERDICTS = [
  'not-applicable',
  'covered',
  'conditional',
  'unknown',
  'not-covered',
] as const;
export type Verdict = (typeof VERDICTS)[number];

export const REASON_CODES = [
  'host-unsupported',
  'ropc',
  'device-code',
  'client-credentials',
  'confidential-client',
  'on-behalf-of',
  'spa-auth-code-pkce',
  'spa-implicit-id-token',
  'implicit-access-token',
  'native-silent',
  'native-interactive',
  'token-cache-3-days',
  'userinfo',
  'dynamic-consent',
  'saml-idp-initiated',
  'saml-sp-initiated',
  'wsfed',
  'managed-identity',
  'non-msal-client',
  'metadata',
  'unparseable',
  /** Recognised, but BAS coverage of this flow is not documented (IWA, broker/PRT, mTLS PoP, Cloud Shell...). */
  'undocumented-flow',
  /** The token response shows a B2B guest (idp of another tenant, acct=1, client_info utid != tid): not covered. */
  'guest-user',
  // Sign-in log evidence (CONTRACT "Sign-in log evidence").
  'legacy-auth',
  'saml-initiation-unknown',
  'sign-in-frequency',
  'bas-issued',
  'prediction-contradicted',
  /** Sign-in logs cannot tell the flow apart (a public client in a browser: implicit or auth code + PKCE). */
  'signin-log-ambiguous',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
  /** What to change (free text), when there is something to change. */
  readonly remediation?: string;
  readonly docUrl?: string;
  /** The id of the rule row that produced this reason. */
  readonly ruleId?: string;
}

/**
 * Redacted, non-secret evidence kept with a record, so a reader can see why a verdict was given and
 * an exported HAR can be rebuilt. Every value here has passed the redactor: secret-bearing values
 * are replaced by `[redacted sha256:xxxxxxxx]` fingerprints.
 */
export interface Evidence {
  /** Query parameters, redacted. */
  readonly query: Readonly<Record<string, string>>;
  /** Form or JSON body parameters, redacted. */
  readonly form: Readonly<Record<string, string>>;
  /** Request headers worth keeping (library, telemetry, origin, content-type), redacted. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** Response headers worth keeping (x-ms-request-id, content-type, xms-ccs-requestid...), redacted. */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** Decoded non-secret JWT claims per token kind, e.g. { access_token: { aud, tid, appid, ver, idtyp } }. */
  readonly claims: Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;
  /** Non-secret SAML facts: message type, InResponseTo present, issuer, destination. */
  readonly saml: Readonly<Record<string, string | boolean>> | null;
  /** MSAL telemetry decoded: schema, apiId, cacheRefreshReason, silent|interactive|... */
  readonly telemetry: Readonly<Record<string, string | number>> | null;
  /** Size facts: request/response body sizes and whether they were truncated. */
  readonly bodies: {
    readonly requestSize: number | null;
    readonly responseSize: number | null;
    readonly truncated: boolean;
  };
  /** The response's error code (AADSTSnnnn / OAuth `error`), if any. */
  readonly responseError: string | null;
  /**
   * MSAL's CCS routing hint (`X-AnchorMailbox`, header or parameter) was sent, and its kind: `oid`
   * (`Oid:<oid>@<tid>`), `upn` (`UPN:<upn>`) or `other`. Only the kind: never the value (personal data).
   * Absent when no hint was sent.
   */
  readonly routingHint?: RoutingHintKind;
}

/** The kind of an MSAL CCS routing hint (X-AnchorMailbox). */
export type RoutingHintKind = 'oid' | 'upn' | 'other';

/** Evidence with nothing in it (records built without a request to look at, slim records). */
export const EMPTY_EVIDENCE: Evidence = Object.freeze({
  query: {},
  form: {},
  requestHeaders: {},
  responseHeaders: {},
  claims: {},
  saml: null,
  telemetry: null,
  bodies: { requestSize: null, responseSize: null, truncated: false },
  responseError: null,
});

/** One classified request/response pair (CONTRACT.md "An exchange record"). */
export interface ExchangeRecord {
  readonly id: string;
  readonly startedAt: string;
  readonly durationMs: number | null;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly status: number | null;
  readonly cloud: Cloud;
  readonly hostSupported: boolean;
  readonly protocol: Protocol;
  readonly endpoint: Endpoint;
  readonly grantType: GrantType | null;
  readonly pkce: boolean | null;
  readonly clientType: ClientType;
  readonly clientCredential: ClientCredential;
  readonly appType: AppType;
  readonly samlInitiation: SamlInitiation | null;
  readonly clientId: string | null;
  /**
   * The client's display name, when the exchange carries it (`app_displayname` of a v1 access token
   * issued to this client). Absent otherwise: optional, added after schemaVersion 1.
   */
  readonly appName?: string;
  readonly tenant: string | null;
  readonly scopes: readonly string[] | null;
  readonly library: string | null;
  readonly libraryVersion: string | null;
  readonly clientRequestId: string | null;
  readonly serverRequestId: string | null;
  /** For managed identity: 'system-assigned' or the user-assigned selector (client id, object id, resource id). */
  readonly managedIdentity: string | null;
  /** silent | interactive | null, from MSAL telemetry or grant shape. */
  readonly interaction: 'silent' | 'interactive' | null;
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
  readonly error: ExchangeError | null;
  readonly source: RecordSource;
  readonly evidence: Evidence;
  /** Sign-in log records: the sign-ins with these facts folded into this one record. */
  readonly count?: number;
  /** Sign-in log records: what the logs say happened to those sign-ins. */
  readonly signIns?: SignInCounts;
  /** A captured exchange joined to its sign-in log row (client-request-id = correlationId). */
  readonly signIn?: JoinedSignInFacts;
}

/**
 * Where a record's evidence came from (`ExchangeRecord.source`): the live proxy, or what an input
 * kind of src/sources/registry.ts yields (checked against this list, and both against the schema).
 */
export const RECORD_SOURCES = ['proxy', 'har', 'signin-log'] as const;
export type RecordSource = (typeof RECORD_SOURCES)[number];

/** What sign-in log rows say happened (CONTRACT "signIns"), plus the hours the session compares. */
export interface SignInCounts {
  readonly total: number;
  /** Sign-ins whose tokenIssuerType is AzureADBackupAuth: tokens BAS really issued. */
  readonly basIssued: number;
  /** Sign-ins that failed (status errorCode other than 0). */
  readonly failed: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  /** Hours (ISO, `YYYY-MM-DDTHH`) in which BAS issued a token, and in which a sign-in failed (latest 200 each). */
  readonly basHours?: readonly string[];
  readonly failedHours?: readonly string[];
}

/** The sign-in log row a captured exchange started, as far as it is not personal. */
export interface JoinedSignInFacts {
  /** tokenIssuerType, e.g. `AzureAD` or `AzureADBackupAuth`. */
  readonly tokenIssuerType: string | null;
  readonly appName: string | null;
}

// ---------------------------------------------------------------------------------------------
// Applications, findings and the report.
// ---------------------------------------------------------------------------------------------

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  readonly code: ReasonCode;
  readonly severity: Severity;
  readonly message: string;
  readonly remediation: string;
  readonly docUrl: string;
  readonly exchangeIds: readonly string[];
}

export interface ApplicationRecord {
  /** The client id, or for a managed identity its id or "system-assigned"; "unknown" when none was seen. */
  readonly clientId: string;
  readonly hosts: readonly string[];
  readonly appType: AppType;
  readonly clientType: ClientType;
  readonly library: string | null;
  readonly exchangeIds: readonly string[];
  /** Count per grantType, and per `saml:idp` / `saml:sp`. */
  readonly flows: Readonly<Record<string, number>>;
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
  /** Exchanges of this application per verdict (all five keys). */
  readonly exchangesByVerdict?: Readonly<Record<Verdict, number>>;
  /**
   * The application's display name (CONTRACT: from sign-in logs' appDisplayName, or the
   * `app_displayname` its exchanges carry), else null. Optional for reports of older versions.
   */
  readonly name?: string | null;
  /** Counted from sign-in logs, else null (CONTRACT "signIns"). */
  readonly signIns?: SignInCounts | null;
}

/**
 * Findings about the session as a whole, owned by no application (CONTRACT-style stable codes):
 * `no-signin-traffic` (nothing to judge: no exchange, or only not-applicable ones such as
 * discovery documents) and `tls-handshake-rejected` (a client refused the proxy's certificate for
 * an intercepted host: one finding per host).
 */
export const SESSION_FINDING_CODES = ['no-signin-traffic', 'tls-handshake-rejected'] as const;
export type SessionFindingCode = (typeof SESSION_FINDING_CODES)[number];

export interface SessionFinding {
  readonly code: SessionFindingCode;
  readonly severity: Severity;
  readonly message: string;
  readonly remediation: string;
  readonly docUrl?: string;
  /** tls-handshake-rejected: the intercepted host the handshakes were for. */
  readonly host?: string;
  /** tls-handshake-rejected: handshakes refused. */
  readonly count?: number;
  /** tls-handshake-rejected: refusals per client (CONNECT User-Agent, or the command `run` ran). */
  readonly clients?: Readonly<Record<string, number>>;
  /** tls-handshake-rejected: refusals per TLS alert or error code (not secret). */
  readonly errors?: Readonly<Record<string, number>>;
}

/**
 * What a report names as its sources (`session.sources[].kind`): the live proxy, or the kind of an
 * input file. src/sources/registry.ts declares each input kind against this list; a unit test
 * checks both against schema/report.schema.json.
 */
export const REPORT_SOURCE_KINDS = ['proxy', 'har', 'session', 'merge', 'signins'] as const;
export type ReportSourceKind = (typeof REPORT_SOURCE_KINDS)[number];

export interface ReportSource {
  readonly kind: ReportSourceKind;
  /** File path or proxy URL. */
  readonly name: string;
}

export interface ReportSummary {
  readonly exchanges: number;
  readonly byVerdict: Readonly<Record<Verdict, number>>;
  readonly applications: number;
  /** The worst verdict over all applications (not-applicable when there are none). */
  readonly verdict: Verdict;
  /** The hosts seen, sorted (at most a few hundred). */
  readonly hosts?: readonly string[];
  /** Session-level findings (see SessionFinding), errors first; made with the report head. */
  readonly findings?: readonly SessionFinding[];
}

export interface Report {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'entra-bas-proxy'; readonly version: string };
  readonly session: {
    readonly startedAt: string;
    readonly endedAt: string;
    readonly sources: readonly ReportSource[];
  };
  readonly summary: ReportSummary;
  readonly applications: readonly ApplicationRecord[];
  readonly exchanges: readonly ExchangeRecord[];
}
