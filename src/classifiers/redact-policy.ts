/**
 * The redactor's one rule, by name: which parameter and header values may be kept at all.
 * A value is kept only when its name is on a known-safe list below, or when the value itself is
 * shown to be non-secret (NON_SECRET_VALUE); everything else keeps its name with a fingerprint.
 * Kept values still pass through secret-text.ts (token-looking substrings fingerprinted), except
 * the few public opaque values (PUBLIC_OPAQUE) whose shape would trip it. Used by redact.ts (the
 * evidence of every output) and tools/sanitize.ts (fixtures), so both decide alike.
 *
 * Pure; data only, plus the two lookups.
 */

/** What the redactor does with a parameter's value. */
export type ParamPolicy =
  | 'secret' // fingerprinted: credentials, codes, tokens, assertions, SAML messages
  | 'personal' // fingerprinted: not secret, but reports get shared
  | 'public' // kept verbatim (whole-value JWT/length check only): hashes, state, nonce
  | 'safe' // kept, token-looking substrings fingerprinted
  | 'unknown'; // not on any list: fingerprinted unless the value is shown to be non-secret

/** Parameter names (lowercase) whose value is always a secret. */
const SECRET_PARAMS: ReadonlySet<string> = new Set([
  'password',
  'passwd',
  'pwd',
  'client_secret',
  'client_assertion',
  'assertion',
  'code',
  'device_code',
  'user_code',
  'access_token',
  'refresh_token',
  'id_token',
  'id_token_hint',
  'spa_code',
  'samlrequest',
  'samlresponse',
  'request',
  'code_verifier',
  'wresult',
  'otc',
  'flowtoken',
  'canary',
  'ctx',
  'signature',
  'secret',
  'user_federated_identity_credential',
]);

/** Personal identifiers: fingerprinted. */
const PERSONAL_PARAMS: ReadonlySet<string> = new Set([
  'username',
  'login',
  'login_hint',
  'logout_hint',
  'x-anchormailbox',
  'user_id',
  'sid',
]);

/** Public opaque values: a hash, or a value the client made up and the wire shows anyway. */
const PUBLIC_OPAQUE: ReadonlySet<string> = new Set([
  'code_challenge',
  'code_challenge_method',
  'state',
  'nonce',
]);

/** What MSAL sends about itself, as headers or (where it avoids a CORS preflight) as parameters. */
const MSAL_TELEMETRY = [
  'x-client-sku',
  'x-client-ver',
  'x-client-os',
  'x-client-cpu',
  'x-client-dm',
  'x-client-brkrver',
  'x-client-src-sku',
  'x-client-xtra-sku',
  'x-client-current-telemetry',
  'x-client-last-telemetry',
  'x-ms-lib-capability',
  'x-app-name',
  'x-app-ver',
] as const;

/**
 * The OAuth 2.0 / OIDC / SAML / WS-Fed / MSAL / managed-identity parameters that are not secret
 * (every one the classifier reads among them), and the OAuth error fields (free text, scrubbed).
 */
const SAFE_PARAMS: ReadonlySet<string> = new Set([
  // OAuth 2.0 and OIDC
  'client_id',
  'clientid',
  'response_type',
  'response_mode',
  'redirect_uri',
  'post_logout_redirect_uri',
  'scope',
  'resource',
  'prompt',
  'domain_hint',
  'claims',
  'max_age',
  'acr_values',
  'ui_locales',
  'grant_type',
  'token_type',
  'requested_token_use',
  'requested_token_type',
  'client_assertion_type',
  'return_spa_code',
  'client_info',
  'client_info_requested',
  'expires_in',
  'ext_expires_in',
  'p',
  // OAuth error responses
  'error',
  'error_description',
  'error_uri',
  'error_codes',
  'suberror',
  'trace_id',
  'correlation_id',
  'timestamp',
  // MSAL and Entra additions
  'client-request-id',
  'return-client-request-id',
  ...MSAL_TELEMETRY,
  'brk_client_id',
  'brk_redirect_uri',
  'instance_aware',
  'haschrome',
  'msafed',
  'mkt',
  'lc',
  'sso_reload',
  'tenantid',
  'authorization_endpoint',
  'api-version',
  // managed identity
  'object_id',
  'principal_id',
  'msi_res_id',
  'mi_res_id',
  'bypass_cache',
  // SAML and WS-Fed
  'relaystate',
  'sigalg',
  'idpinit',
  'clidata',
  'wa',
  'wtrealm',
  'wreply',
  'wctx',
  'wct',
  'whr',
  'wfresh',
  'wauth',
  'wp',
]);

/** What to do with the value of parameter `name` (any case). */
export function paramPolicy(name: string): ParamPolicy {
  const n = name.toLowerCase();
  if (SECRET_PARAMS.has(n)) return 'secret';
  if (PERSONAL_PARAMS.has(n)) return 'personal';
  if (PUBLIC_OPAQUE.has(n)) return 'public';
  if (SAFE_PARAMS.has(n)) return 'safe';
  return 'unknown';
}

/** What the redactor does with a header. */
export type HeaderPolicy =
  | 'safe' // kept, token-looking substrings fingerprinted
  | 'credential' // fingerprinted; an Authorization scheme stays visible
  | 'challenge' // WWW-Authenticate / Proxy-Authenticate: schemes, error, error_description only
  | 'metadata' // the managed-identity `Metadata: true` header: kept only when exactly "true"
  | 'drop' // not kept at all: cookies, URLs with codes in them, standard transport headers
  | 'unknown'; // name kept, value fingerprinted unless shown to be non-secret

/** Headers whose values are evidence and not secret: library, telemetry, correlation, type. */
const SAFE_HEADERS: ReadonlySet<string> = new Set([
  'origin',
  'content-type',
  'user-agent',
  'client-request-id',
  'return-client-request-id',
  'x-ms-client-request-id',
  'x-ms-request-id',
  'xms-ccs-requestid',
  'x-ms-srs',
  'x-ms-ests-server',
  'x-ms-clitelem',
  'x-ms-pkeyauth',
  ...MSAL_TELEMETRY,
  'access-control-request-method',
  'access-control-request-headers',
]);

const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-identity-header',
  'x-ms-identity-header',
  'secret',
]);

/**
 * Not kept: cookies, headers holding URLs (codes and tokens ride in them), a personal hint, and
 * the standard transport / caching / security-policy headers, which say nothing about a sign-in.
 */
const DROPPED_HEADERS: ReadonlySet<string> = new Set([
  'cookie',
  'set-cookie',
  'location',
  'content-location',
  'referer',
  'refresh',
  'x-anchormailbox',
  'host',
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'via',
  'forwarded',
  'content-length',
  'content-encoding',
  'content-language',
  'content-disposition',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-charset',
  'accept-ranges',
  'cache-control',
  'pragma',
  'expires',
  'date',
  'age',
  'etag',
  'last-modified',
  'vary',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'range',
  'content-range',
  'server',
  'link',
  'p3p',
  'nel',
  'report-to',
  'strict-transport-security',
  'x-content-type-options',
  'x-xss-protection',
  'x-frame-options',
  'x-dns-prefetch-control',
  'content-security-policy',
  'content-security-policy-report-only',
  'referrer-policy',
  'permissions-policy',
  'expect-ct',
  'alt-svc',
  'timing-allow-origin',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-expose-headers',
  'access-control-max-age',
  'cross-origin-opener-policy',
  'cross-origin-embedder-policy',
  'cross-origin-resource-policy',
  'upgrade-insecure-requests',
  'dnt',
  'priority',
  'x-requested-with',
  'x-powered-by',
  'x-aspnet-version',
]);

/** Browser-set request headers (fetch metadata, client hints): dropped like the list above. */
const DROPPED_PREFIX = /^sec-(?:fetch|ch)-/;

/** What to do with header `name` (any case). */
export function headerPolicy(name: string): HeaderPolicy {
  const n = name.toLowerCase();
  if (SAFE_HEADERS.has(n)) return 'safe';
  if (CREDENTIAL_HEADERS.has(n)) return 'credential';
  if (n === 'www-authenticate' || n === 'proxy-authenticate') return 'challenge';
  if (n === 'metadata') return 'metadata';
  if (DROPPED_HEADERS.has(n) || DROPPED_PREFIX.test(n)) return 'drop';
  return 'unknown';
}

/**
 * Values shown to be non-secret whatever their name: empty, a boolean, a small number or version
 * (`1`, `1.0`, `true`). Anything longer could be a secret under an unexpected name.
 */
export const NON_SECRET_VALUE = /^(?:|true|false|\d{1,3}(?:\.\d{1,3})?)$/i;
