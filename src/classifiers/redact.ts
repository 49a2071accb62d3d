/**
 * The redactor: secrets never leave the classifier (CONTRACT.md "Never in any output").
 *
 * - One rule for parameters and headers (redact-policy.ts): a value is kept only when its name is
 *   on a known-safe list or the value is shown to be non-secret; anything else keeps its name with
 *   `[redacted sha256:xxxxxxxx]`. A few personal identifiers (username, login_hint) are
 *   fingerprinted too: they are not secrets, but reports get shared. MSAL's CCS routing hint
 *   (X-AnchorMailbox: `Oid:<oid>@<tid>` / `UPN:<upn>`) keeps only its kind, not even a fingerprint
 *   (a GUID's fingerprint can be matched against a directory).
 * - What is kept by name still passes through secret-text.ts: token-looking substrings (JWTs,
 *   long base64/hex runs, codes, Entra client-secret shapes) become fingerprints; JWT-shaped or
 *   very long values are fingerprinted whole.
 * - Challenge headers keep their schemes and `error` / `error_description` only (challenge.ts);
 *   cookies, URL-bearing headers and transport headers are dropped.
 * - JWT claims: only non-secret, non-personal claims are kept (CLAIMS_KEPT): who issued the token, to
 *   whom, for which client and tenant, with which permissions. No name, e-mail, upn, oid or user sub.
 */
import type { HeaderMap } from '../core/types.js';
import type { JwtResult, Params } from './parsed.js';
import { redactChallenge } from './challenge.js';
import { sha256Prefix8 } from './parse/hash.js';
import { routingHintKind } from './parse/library.js';
import { setOwn } from './parse/params.js';
import { headerPolicy, NON_SECRET_VALUE, paramPolicy } from './redact-policy.js';
import { redactedText, scrubText } from './secret-text.js';

/** `sha256:` + the first 8 hex digits of the SHA-256 of `secret` (UTF-8). */
export function fingerprint(secret: string): string {
  return `sha256:${sha256Prefix8(secret)}`;
}

/** Longer values are fingerprinted whatever their name (tokens and blobs under unexpected names). */
const MAX_VALUE = 1024;
const JWT_SHAPE = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;

/** A value kept by name: fingerprinted whole when JWT-shaped or too long, else scrubbed. */
function keptValue(value: string, scrub: boolean): string {
  if (value.length > MAX_VALUE || JWT_SHAPE.test(value)) return redactedText(value);
  return scrub ? scrubText(value) : value;
}

/** A name as it is kept: a name that itself looks like a secret is fingerprinted too. */
function keptName(name: string): string {
  return name.length > 128 ? redactedText(name) : scrubText(name);
}

/**
 * The value to keep for parameter `name`: by redact-policy.ts, secret and personal values and
 * values under unknown names become fingerprints; values under known-safe names are kept with
 * token-looking substrings fingerprinted (secret-text.ts).
 */
export function redactParam(name: string, value: string): string {
  // X-AnchorMailbox keeps its kind only (see parse/library.ts).
  if (name.toLowerCase() === 'x-anchormailbox') return `[routing hint: ${routingHintKind(value)}]`;
  switch (paramPolicy(name)) {
    case 'secret':
    case 'personal':
      return redactedText(value);
    case 'public':
      return keptValue(value, false);
    case 'safe':
      return keptValue(value, true);
    case 'unknown':
      return NON_SECRET_VALUE.test(value) ? value : redactedText(value);
  }
}

/** Query or form parameters with every secret value replaced by its fingerprint. */
export function redactParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in params) {
    const v = params[name];
    if (v === undefined) continue;
    const kept = paramPolicy(name) === 'unknown' ? keptName(name) : name;
    setOwn(out, kept, redactParam(name, v));
  }
  return out;
}

function redactCredential(name: string, value: string): string {
  if (name === 'authorization' || name === 'proxy-authorization') {
    const sp = value.indexOf(' ');
    if (sp > 0 && sp < 20) return `${value.slice(0, sp)} ${redactedText(value.slice(sp + 1))}`;
  }
  return redactedText(value);
}

/**
 * The headers worth keeping, redacted by redact-policy.ts: known-safe headers kept (token-looking
 * substrings fingerprinted), credentials fingerprinted (the Authorization scheme stays visible),
 * challenges cut to their schemes and error fields (challenge.ts), cookies, URLs and transport
 * headers dropped, and any other header kept by name with its value fingerprinted unless the
 * value is shown to be non-secret. The MI `Metadata: true` header is kept only when exactly "true".
 */
export function redactHeaders(headers: HeaderMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    switch (headerPolicy(name)) {
      case 'safe':
        setOwn(out, name, keptValue(value, true));
        break;
      case 'credential':
        setOwn(out, name, redactCredential(name, value));
        break;
      case 'challenge':
        setOwn(
          out,
          name,
          value.length > 8 * MAX_VALUE ? redactedText(value) : redactChallenge(value),
        );
        break;
      case 'metadata':
        setOwn(out, name, value.toLowerCase() === 'true' ? value : redactedText(value));
        break;
      case 'drop':
        break;
      case 'unknown':
        setOwn(out, keptName(name), NON_SECRET_VALUE.test(value) ? value : redactedText(value));
        break;
    }
  }
  return out;
}

/**
 * Free text from the wire kept as evidence (an OAuth `error`, an exception message): cut to
 * `max` characters, token-looking substrings fingerprinted.
 */
export function redactText(text: string, max = 512): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return scrubText(cut);
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
  if (typeof v === 'string') return scrubText(v.length > 512 ? v.slice(0, 512) : v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return scrubText(v.filter((x) => typeof x === 'string').join(' '));
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
