/**
 * The redactor: secrets never leave the classifier (CONTRACT.md "Never in any output").
 *
 * - Parameters: known secret names, and unknown names that look secret, become
 *   `[redacted sha256:xxxxxxxx]`; values shaped like a JWT or longer than MAX_VALUE are fingerprinted
 *   whatever their name. A few personal identifiers (username, login_hint, X-AnchorMailbox) are
 *   fingerprinted too: they are not secrets, but reports get shared. MSAL's CCS routing hint
 *   (X-AnchorMailbox: `Oid:<oid>@<tid>` / `UPN:<upn>`) keeps only its kind, not even a fingerprint
 *   (a GUID's fingerprint can be matched against a directory).
 * - Headers: only an allow-list is kept (library, telemetry, correlation, origin, content type);
 *   credential headers are kept as fingerprints (the Authorization scheme stays visible), cookies are
 *   dropped.
 * - JWT claims: only non-secret, non-personal claims are kept (CLAIMS_KEPT): who issued the token, to
 *   whom, for which client and tenant, with which permissions. No name, e-mail, upn, oid or user sub.
 */
import type { HeaderMap } from '../core/types.js';
import type { JwtResult, Params } from './parsed.js';
import { sha256Prefix8 } from './parse/hash.js';
import { setOwn } from './parse/params.js';

/** `sha256:` + the first 8 hex digits of the SHA-256 of `secret` (UTF-8). */
export function fingerprint(secret: string): string {
  return `sha256:${sha256Prefix8(secret)}`;
}

/** The replacement text of a secret value. */
export function redacted(secret: string): string {
  return `[redacted ${fingerprint(secret)}]`;
}

/** Longer values are fingerprinted whatever their name (tokens and blobs under unexpected names). */
const MAX_VALUE = 1024;

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

/** Personal identifiers: fingerprinted (not secret, but no need to ship them in a report). */
const PERSONAL_PARAMS: ReadonlySet<string> = new Set([
  'username',
  'login',
  'login_hint',
  'user_id',
]);

/** The text kept for an X-AnchorMailbox parameter: its kind only (see parse/library.ts). */
function routingHintText(value: string): string {
  const t = value.trimStart().slice(0, 4).toLowerCase();
  const kind = t === 'oid:' ? 'oid' : t === 'upn:' ? 'upn' : 'other';
  return `[routing hint: ${kind}]`;
}

/** Names matching SECRET_NAME that are not secrets (kept verbatim). */
export const SAFE_PARAMS: ReadonlySet<string> = new Set([
  'error_codes',
  'grant_type',
  'response_type',
  'token_type',
  'requested_token_use',
  'requested_token_type',
  'client_assertion_type',
  'code_challenge',
  'code_challenge_method',
  'return_spa_code',
  'response_mode',
  'client_info_requested',
]);

export const SECRET_NAME =
  /secret|pass|pwd|token|assertion|code|key|cookie|session|credential|canary/i;
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;

/** The value to keep for parameter `name`: verbatim, or a fingerprint. */
export function redactParam(name: string, value: string): string {
  const n = name.toLowerCase();
  if (n === 'x-anchormailbox') return routingHintText(value);
  if (SECRET_PARAMS.has(n) || PERSONAL_PARAMS.has(n)) return redacted(value);
  if (!SAFE_PARAMS.has(n) && SECRET_NAME.test(n)) return redacted(value);
  if (value.length > MAX_VALUE || JWT_SHAPE.test(value)) return redacted(value);
  return value;
}

/** Query or form parameters with every secret value replaced by its fingerprint. */
export function redactParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in params) {
    const v = params[name];
    if (v !== undefined) setOwn(out, name, redactParam(name, v));
  }
  return out;
}

/** Headers kept as they are (lowercase names); `x-client-*` headers are kept too. */
const KEPT_HEADERS: ReadonlySet<string> = new Set([
  'origin',
  'content-type',
  'client-request-id',
  'return-client-request-id',
  'x-ms-client-request-id',
  'x-ms-request-id',
  'xms-ccs-requestid',
  'x-ms-srs',
  'x-ms-ests-server',
  'x-ms-clitelem',
  'x-ms-lib-capability',
  'x-app-name',
  'x-app-ver',
  'user-agent',
  'access-control-request-method',
  'access-control-request-headers',
  'www-authenticate',
]);

/** Credential headers: kept as fingerprints so the evidence shows they were there. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-identity-header',
  'secret',
]);

function redactHeaderValue(name: string, value: string): string {
  if (name === 'authorization' || name === 'proxy-authorization') {
    const sp = value.indexOf(' ');
    if (sp > 0 && sp < 20) return `${value.slice(0, sp)} ${redacted(value.slice(sp + 1))}`;
  }
  return redacted(value);
}

/**
 * The headers worth keeping, redacted: the allow-list verbatim (JWT-shaped or very long values
 * fingerprinted), credential headers fingerprinted, everything else (cookies included) dropped.
 * The MI `Metadata: true` header is kept verbatim only when it is exactly "true".
 */
export function redactHeaders(headers: HeaderMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (CREDENTIAL_HEADERS.has(name)) {
      out[name] = redactHeaderValue(name, value);
    } else if (name === 'metadata') {
      out[name] = value.toLowerCase() === 'true' ? value : redacted(value);
    } else if (KEPT_HEADERS.has(name) || name.startsWith('x-client-')) {
      out[name] =
        name === 'www-authenticate' && value.toLowerCase().startsWith('basic')
          ? value
          : value.length > MAX_VALUE || JWT_SHAPE.test(value)
            ? redacted(value)
            : value;
    }
  }
  return out;
}

/**
 * JWT claims safe to keep: token shape (ver, idtyp, iss, aud), client and tenant (appid/azp, tid),
 * client authentication strength (appidacr/azpacr), permissions (scp, roles) and the managed
 * identity's ARM resource id (xms_mirid; not personal). `sub` only for client assertions, where it is
 * the client id (certificate) or a workload subject (federated), never a user.
 */
const CLAIMS_KEPT = [
  'aud',
  'iss',
  'tid',
  'appid',
  'azp',
  'appidacr',
  'azpacr',
  'ver',
  'idtyp',
  'scp',
  'roles',
  'xms_mirid',
] as const;

const HEADER_FIELDS_KEPT = ['alg', 'typ', 'x5t', 'x5t#S256', 'x5c'] as const;

type ClaimValue = string | number | boolean;

function claimValue(v: unknown): ClaimValue | undefined {
  if (typeof v === 'string') return v.length > 512 ? v.slice(0, 512) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string').join(' ');
  return undefined;
}

/** The non-secret claims of a decoded JWT (see CLAIMS_KEPT), plus its fingerprint. */
export function safeClaims(kind: string, r: JwtResult): Record<string, ClaimValue> {
  if (!r.ok) return { decoded: false };
  const { claims, header } = r.jwt;
  const out: Record<string, ClaimValue> = { fingerprint: `sha256:${r.jwt.fingerprint}` };
  for (const k of CLAIMS_KEPT) {
    const v = claimValue(claims[k]);
    if (v !== undefined) out[k] = v;
  }
  if (kind === 'client_assertion') {
    const sub = claimValue(claims['sub']);
    if (sub !== undefined) out['sub'] = sub;
    for (const k of HEADER_FIELDS_KEPT) {
      const v = header[k];
      if (v !== undefined) out[`header.${k}`] = k === 'x5c' ? 'present' : v;
    }
  }
  return out;
}

/** safeClaims for every decoded JWT of an exchange. */
export function redactJwts(
  jwts: Readonly<Record<string, JwtResult>>,
): Record<string, Record<string, ClaimValue>> {
  const out: Record<string, Record<string, ClaimValue>> = {};
  for (const kind in jwts) {
    const r = jwts[kind];
    if (r !== undefined) out[kind] = safeClaims(kind, r);
  }
  return out;
}
