/**
 * sanitizeRawExchange(raw, { secrets }): a copy of a RawExchange that is safe to commit as a test
 * fixture (STYLE habit 9: fixtures are recorded exchanges, sanitized). Pure: no I/O, clock or
 * randomness, so the same input always gives the same output. Never throws.
 *
 * What it keeps is what classification needs; what it replaces is everything CONTRACT.md "Never in
 * any output" names, plus personal data:
 * - JWTs (anywhere): header and payload stay decodable (ver, tid, aud, appid/azp, appidacr/azpacr,
 *   idtyp, scp, roles, xms_mirid, iss, x5t...), personal claims get fixed fakes, and the signature
 *   becomes SANITIZED_JWT_SIGNATURE. `sub` stays in client assertions (it is the client id or a
 *   workload subject, which classification reads). JWEs keep their header only.
 * - Opaque secrets by parameter or header name (client_secret, password, code, device_code,
 *   user_code, refresh_token, code_verifier, cookies, Authorization credentials, managed-identity
 *   headers...): `REDACTED-<name>-<n>` placeholders, so presence and shape survive. Basic
 *   credentials keep their user part (the client id).
 * - SAML messages: decoded, NameID / attribute / signature / certificate values replaced, and
 *   re-encoded the way they came (raw DEFLATE + base64, or base64), so InResponseTo, Issuer,
 *   Audience and Destination survive. WS-Fed `wresult` XML likewise.
 * - Last pass: every `secrets` entry (exact string, also URL-, form-, JSON- and HTML-encoded) and
 *   every opaque value replaced above, wherever it still appears in any string of the exchange.
 * Works on URL queries and fragments, form, JSON, XML and HTML (auto-post form) bodies, and
 * Location / Referer headers.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { decodeHtmlEntities } from '../src/classifiers/parse/html-form.js';
import { decodeComponent } from '../src/classifiers/parse/params.js';
import type { ExchangeError, HeaderMap, RawBody, RawExchange } from '../src/core/types.js';
import { redactChallenge } from '../src/classifiers/challenge.js';
import { headerPolicy, NON_SECRET_VALUE, paramPolicy } from '../src/classifiers/redact-policy.js';

export interface SanitizeOptions {
  /** Exact strings that must not survive anywhere (e.g. the simulator's secret ledger). */
  readonly secrets?: readonly string[];
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** The signature every sanitized JWT carries (base64url of "sanitized-not-a-signature"). */
export const SANITIZED_JWT_SIGNATURE = b64url('sanitized-not-a-signature');
/** The parts after the header of a sanitized JWE. */
const JWE_JUNK = b64url('sanitized-jwe-part');

const FAKE_UPN = 'sanitized.user@contoso.example';
const FAKE_OID = '00000000-0000-4000-8000-00000000beef';
const JUNK_B64 = Buffer.from('sanitized-binary-value', 'utf8').toString('base64');

/** Personal or per-session JWT claims (and JSON body keys) and their fixed fakes. */
const FAKE_CLAIMS: Readonly<Record<string, string>> = {
  name: 'Sanitized User',
  given_name: 'Sanitized',
  family_name: 'User',
  preferred_username: FAKE_UPN,
  upn: FAKE_UPN,
  email: FAKE_UPN,
  emails: FAKE_UPN,
  unique_name: FAKE_UPN,
  verified_primary_email: FAKE_UPN,
  verified_secondary_email: FAKE_UPN,
  login_hint: 'sanitized-login-hint',
  oid: FAKE_OID,
  home_oid: FAKE_OID,
  sub: 'sanitized-subject',
  puid: '0000000000000000',
  altsecid: 'sanitized-altsecid',
  onprem_sid: 'S-1-5-21-0-0-0-1000',
  ipaddr: '192.0.2.1',
  picture: 'https://example.invalid/picture',
  aio: 'sanitized-aio',
  rh: 'sanitized-rh',
  uti: 'sanitized-uti',
  sid: 'sanitized-sid',
  nonce: 'sanitized-nonce',
  at_hash: 'sanitized-at-hash',
  c_hash: 'sanitized-c-hash',
  s_hash: 'sanitized-s-hash',
};

/** Parameters holding a personal identifier: a fixed fake. */
const PERSONAL_PARAMS: Readonly<Record<string, string>> = {
  username: FAKE_UPN,
  login: FAKE_UPN,
  login_hint: FAKE_UPN,
  logout_hint: 'sanitized-logout-hint',
  user_id: FAKE_UPN,
};

/** Parameters that may hold a JWT (sanitized as one) or an opaque token (a placeholder). */
const TOKEN_PARAMS: ReadonlySet<string> = new Set([
  'access_token',
  'id_token',
  'refresh_token',
  'client_assertion',
  'assertion',
  'request',
  'id_token_hint',
]);

/** Parameters whose value is always an opaque secret. */
const SECRET_PARAMS: ReadonlySet<string> = new Set([
  'client_secret',
  'password',
  'passwd',
  'pwd',
  'code',
  'device_code',
  'user_code',
  'code_verifier',
  'spa_code',
  'otc',
  'flowtoken',
  'canary',
  'ctx',
  'secret',
  'signature',
  'user_federated_identity_credential',
]);

const PLACEHOLDER = /^REDACTED-[\w.-]+-\d+$/;
const JWT_ANYWHERE = /eyJ[\w-]*\.[\w-]*\.[\w-]*(?:\.[\w-]*\.[\w-]*)?/g;
const WHOLE_JWT = /^eyJ[\w-]*\.[\w-]*\.[\w-]*(?:\.[\w-]*\.[\w-]*)?$/;
/** Opaque values shorter than this are not searched for elsewhere in the exchange. */
const MIN_DERIVED = 6;

/** State of one sanitize call: placeholders handed out, so equal values get equal placeholders. */
interface Ctx {
  readonly counters: Map<string, number>;
  /** Original opaque value -> its placeholder (also applied in the last pass). */
  readonly opaque: Map<string, string>;
}

function placeholder(ctx: Ctx, label: string, value: string): string {
  if (value.length === 0 || PLACEHOLDER.test(value)) return value;
  const known = ctx.opaque.get(value);
  if (known !== undefined) return known;
  const tag =
    label
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '_')
      .slice(0, 40) || 'value';
  const n = (ctx.counters.get(tag) ?? 0) + 1;
  ctx.counters.set(tag, n);
  const p = `REDACTED-${tag}-${n}`;
  ctx.opaque.set(value, p);
  return p;
}

// ---------------------------------------------------------------------------------------------
// JWTs
// ---------------------------------------------------------------------------------------------

function fakeFor(name: string, v: unknown): unknown {
  const fake = FAKE_CLAIMS[name];
  if (fake === undefined || !Object.hasOwn(FAKE_CLAIMS, name)) return v;
  if (typeof v === 'string') return v.length === 0 ? v : fake;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? fake : x));
  return v;
}

function sanitizeClaims(
  claims: Record<string, unknown>,
  keepSub: boolean,
): Record<string, unknown> | null {
  const selfIssued = typeof claims['sub'] === 'string' && claims['sub'] === claims['iss'];
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) {
    const nv = k === 'sub' && (keepSub || selfIssued) ? v : fakeFor(k, v);
    if (nv !== v && JSON.stringify(nv) !== JSON.stringify(v)) changed = true;
    setOwn(out, k, nv);
  }
  return changed ? out : null;
}

/** A compact JWS/JWE with personal claims faked and the signature (or ciphertext) replaced. */
function sanitizeJwt(token: string, keepSub: boolean): string {
  const parts = token.split('.');
  const head = parts[0] ?? '';
  if (parts.length === 5) return [head, JWE_JUNK, JWE_JUNK, JWE_JUNK, JWE_JUNK].join('.');
  if (parts.length !== 3) return token;
  if (parts[2] === SANITIZED_JWT_SIGNATURE) return token;
  let payload = b64url('sanitized-undecodable-payload');
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    if (typeof claims === 'object' && claims !== null && !Array.isArray(claims)) {
      const changed = sanitizeClaims(claims as Record<string, unknown>, keepSub);
      payload = changed === null ? (parts[1] ?? '') : b64url(JSON.stringify(changed));
    }
  } catch {
    // Not a JSON payload: it is replaced by a fixed undecodable one (still not JSON).
  }
  return `${head}.${payload}.${SANITIZED_JWT_SIGNATURE}`;
}

/** Every JWT inside free text, sanitized (`sub` replaced unless self-issued). */
function sanitizeLoose(text: string): string {
  if (!text.includes('eyJ')) return text;
  return text.replace(JWT_ANYWHERE, (t) => sanitizeJwt(t, false));
}

// ---------------------------------------------------------------------------------------------
// SAML and other XML
// ---------------------------------------------------------------------------------------------

const XML_VALUE =
  /<((?:[\w.-]+:)?(NameID|NameIdentifier|AttributeValue|SignatureValue|DigestValue|X509Certificate|X509SubjectName|CipherValue|BinarySecurityToken|Password|Username|Nonce))(\s[^>]*)?>([^<]*)<\/\1\s*>/g;
const XML_FAKE: Readonly<Record<string, string>> = {
  NameID: FAKE_UPN,
  NameIdentifier: FAKE_UPN,
  Username: FAKE_UPN,
  AttributeValue: 'sanitized-attribute-value',
  Password: 'REDACTED-password',
  X509SubjectName: 'CN=sanitized',
};
const SANITIZED_MARK = '<!--sanitized-->';

/**
 * Personal and secret element values of an XML message replaced; with `mark`, a marker comment is
 * added at the end of the root element, so a sanitized bearer message (SAMLResponse, wresult) never
 * equals the original, even when it held nothing to replace.
 */
function sanitizeXml(xml: string, mark: boolean): string {
  let out = xml.replace(
    XML_VALUE,
    (whole, qname: string, local: string, attrs: string | undefined, text: string) => {
      if (text.trim().length === 0) return whole;
      const fake = XML_FAKE[local] ?? JUNK_B64;
      return `<${qname}${attrs ?? ''}>${fake}</${qname}>`;
    },
  );
  if (mark && !out.includes(SANITIZED_MARK)) {
    const close = out.lastIndexOf('</');
    if (close !== -1) out = `${out.slice(0, close)}${SANITIZED_MARK}${out.slice(close)}`;
  }
  return out;
}

function startsLikeXml(buf: Buffer): boolean {
  const s = buf
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^[\ufeff\s]+/, '');
  return s.startsWith('<');
}

/** A SAMLRequest/SAMLResponse value sanitized and re-encoded as it came; null if not SAML. */
function sanitizeSamlValue(value: string, binding: 'redirect' | 'post'): string | null {
  let s = value.replace(/ /g, '+').replace(/[\r\n\t]/g, '');
  if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(s) || s.length === 0) return null;
  if (s.includes('-') || s.includes('_')) s = s.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length === 0) return null;
  let xml: string | null = null;
  let deflated = false;
  if (binding === 'post' && startsLikeXml(bytes)) xml = bytes.toString('utf8');
  else {
    try {
      const inflated = inflateRawSync(bytes, { maxOutputLength: 4 * 1024 * 1024 });
      if (startsLikeXml(inflated)) {
        xml = inflated.toString('utf8');
        deflated = true;
      }
    } catch {
      // Not DEFLATE data: some senders skip it; plain XML is checked below.
    }
    if (xml === null && startsLikeXml(bytes)) xml = bytes.toString('utf8');
  }
  if (xml === null) return null;
  const clean = Buffer.from(sanitizeXml(xml, true), 'utf8');
  return (deflated ? deflateRawSync(clean) : clean).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Parameters (query, fragment, form, JSON fields, auto-post form inputs)
// ---------------------------------------------------------------------------------------------

type Binding = 'redirect' | 'post';

/** client_info (base64url JSON {uid, utid}): the user's uid replaced. */
function sanitizeClientInfo(value: string): string {
  if (value.length < 8) return value;
  try {
    const ci: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (typeof ci !== 'object' || ci === null || Array.isArray(ci)) return value;
    const rec = ci as Record<string, unknown>;
    if (typeof rec['uid'] !== 'string') return value;
    return b64url(JSON.stringify({ ...rec, uid: FAKE_OID }));
  } catch {
    // Not client_info JSON: kept (it is not a secret).
    return value;
  }
}

/** X-AnchorMailbox (`Oid:{oid}@{tid}`, `UPN:{upn}`...): the scheme and an Oid's tenant survive. */
function sanitizeAnchor(value: string): string {
  const m = /^(oid):[^@]*@(.*)$/i.exec(value);
  if (m !== null) return `${m[1] ?? 'Oid'}:${FAKE_OID}@${m[2] ?? ''}`;
  return `${/^(\w+):/.exec(value)?.[1] ?? 'UPN'}:${FAKE_UPN}`;
}

/** The sanitized value of parameter `name`. */
function sanitizeParam(
  ctx: Ctx,
  name: string,
  value: string,
  binding: Binding,
  json: { nested: boolean } | null = null,
): string {
  if (value.length === 0) return value;
  const n = name.toLowerCase();
  if (n === 'samlrequest' || n === 'samlresponse') {
    return sanitizeSamlValue(value, binding) ?? placeholder(ctx, name, value);
  }
  if (n === 'wresult') {
    return value.includes('<') ? sanitizeXml(value, true) : placeholder(ctx, name, value);
  }
  if (n === 'client_info') return sanitizeClientInfo(value);
  if (n === 'x-anchormailbox') return sanitizeAnchor(value);
  const personal = PERSONAL_PARAMS[n];
  if (personal !== undefined && Object.hasOwn(PERSONAL_PARAMS, n)) return personal;
  if (json !== null && Object.hasOwn(FAKE_CLAIMS, n)) return String(fakeFor(n, value));
  if (WHOLE_JWT.test(value)) return sanitizeJwt(value, n === 'client_assertion');
  if (TOKEN_PARAMS.has(n) || SECRET_PARAMS.has(n)) {
    // A nested JSON `code` is an error code (Graph errors), not an authorization code.
    if (n === 'code' && json?.nested === true) return sanitizeLoose(value);
    return placeholder(ctx, n, value);
  }
  // The redactor's rule (redact-policy.ts) outside JSON: a value under a name not known to be
  // safe is replaced unless shown non-secret. JSON documents (metadata, token responses) have
  // many other names (`token_endpoint`...) and URLs are endpoints: those get the loose pass.
  if (
    json === null &&
    paramPolicy(n) === 'unknown' &&
    !NON_SECRET_VALUE.test(value) &&
    !/^https?:\/\//i.test(value)
  ) {
    return placeholder(ctx, n, value);
  }
  return sanitizeLoose(value);
}

function encodeValue(v: string): string {
  return encodeURIComponent(v);
}

/** `a=1&b=2` with each value sanitized; untouched pairs keep their exact encoding. */
function sanitizeEncodedParams(ctx: Ctx, s: string, binding: Binding): string {
  if (s.length === 0) return s;
  return s
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) return sanitizeLoose(pair);
      const rawName = pair.slice(0, eq);
      const rawValue = pair.slice(eq + 1);
      const value = decodeComponent(rawValue);
      const out = sanitizeParam(ctx, decodeComponent(rawName), value, binding);
      return out === value ? pair : `${rawName}=${encodeValue(out)}`;
    })
    .join('&');
}

/** A URL (origin-form or absolute) with its query and fragment parameters sanitized. */
function sanitizeUrl(ctx: Ctx, url: string): string {
  const hash = url.indexOf('#');
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const q = beforeHash.indexOf('?');
  const path = q === -1 ? beforeHash : beforeHash.slice(0, q);
  let out = sanitizeLoose(path);
  if (q !== -1) out += '?' + sanitizeEncodedParams(ctx, beforeHash.slice(q + 1), 'redirect');
  if (hash !== -1) out += '#' + sanitizeEncodedParams(ctx, url.slice(hash + 1), 'redirect');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function sanitizeJsonValue(ctx: Ctx, key: string | null, v: unknown, depth: number): unknown {
  if (typeof v === 'string') {
    return key === null
      ? sanitizeLoose(v)
      : sanitizeParam(ctx, key, v, 'post', { nested: depth > 0 });
  }
  if (depth > 64) return v;
  if (Array.isArray(v)) return v.map((x) => sanitizeJsonValue(ctx, key, x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      setOwn(out, k, sanitizeJsonValue(ctx, k, x, depth + 1));
    return out;
  }
  return v;
}

const JSON_STRING_FIELD = /"((?:[^"\\]|\\.){1,100})"(\s*:\s*)"((?:[^"\\]|\\.)*)("?)/g;

function jsonUnescape(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    // A truncated escape: the raw text is sanitized as it is.
    return s;
  }
}

/** Text that should be JSON but does not parse (truncated): string fields rewritten in place. */
function sanitizeJsonLoose(ctx: Ctx, text: string): string {
  return text.replace(
    JSON_STRING_FIELD,
    (whole, k: string, colon: string, v: string, end: string) => {
      const value = jsonUnescape(v);
      const out = sanitizeParam(ctx, jsonUnescape(k), value, 'post', { nested: false });
      return out === value ? whole : `"${k}"${colon}${JSON.stringify(out).slice(0, -1)}${end}`;
    },
  );
}

function sanitizeJson(ctx: Ctx, text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Truncated or not JSON after all: best effort on the text.
    return sanitizeJsonLoose(ctx, text);
  }
  const out = sanitizeJsonValue(ctx, null, parsed, -1);
  const s = JSON.stringify(out);
  return s === JSON.stringify(parsed) ? text : s;
}

function escapeAttr(s: string, quote: string): string {
  const e = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return quote === "'" ? e.replace(/'/g, '&#39;') : e.replace(/"/g, '&quot;');
}

const TAG = /<(input|form)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;

function attrRe(name: string): RegExp {
  return new RegExp(`(\\s${name}\\s*=\\s*)(?:"([^"]*)"|'([^']*)'|([^\\s"'=<>\`]+))`, 'i');
}
const NAME_ATTR = attrRe('name');
const VALUE_ATTR = attrRe('value');
const ACTION_ATTR = attrRe('action');

function rewriteAttr(body: string, re: RegExp, f: (v: string) => string): string {
  const m = re.exec(body);
  if (m === null) return body;
  const quote = m[2] !== undefined ? '"' : m[3] !== undefined ? "'" : '"';
  const value = decodeHtmlEntities(m[2] ?? m[3] ?? m[4] ?? '');
  const out = f(value);
  if (out === value) return body;
  const repl = `${m[1] ?? ' '}${quote}${escapeAttr(out, quote)}${quote}`;
  return body.slice(0, m.index) + repl + body.slice(m.index + m[0].length);
}

/** Auto-post form inputs (SAMLResponse, wresult, code, id_token...) and form actions. */
function sanitizeHtml(ctx: Ctx, html: string): string {
  const out = html.replace(TAG, (whole, tag: string, body: string) => {
    let b = body;
    if (tag.toLowerCase() === 'form') b = rewriteAttr(b, ACTION_ATTR, (v) => sanitizeUrl(ctx, v));
    else {
      const m = NAME_ATTR.exec(b);
      const name = decodeHtmlEntities(m?.[2] ?? m?.[3] ?? m?.[4] ?? '');
      if (name.length > 0)
        b = rewriteAttr(b, VALUE_ATTR, (v) => sanitizeParam(ctx, name, v, 'post'));
    }
    return b === body ? whole : `<${tag}${b}>`;
  });
  return sanitizeLoose(out);
}

type Kind = 'form' | 'json' | 'xml' | 'html' | 'text';

function kindOf(text: string, contentType: string | undefined): Kind {
  const ct = (contentType ?? '').toLowerCase();
  const t = text.trimStart();
  if (ct.includes('application/x-www-form-urlencoded')) return 'form';
  if (ct.includes('json') || t.startsWith('{') || t.startsWith('[')) return 'json';
  if (ct.includes('html') || /^<(?:!doctype\s+html|html)\b/i.test(t) || /<form\b/i.test(t))
    return 'html';
  if (ct.includes('xml') || ct.includes('soap') || t.startsWith('<')) return 'xml';
  if (/^[A-Za-z0-9_.\-~%+*]+=/.test(t) && !/\s/.test(t.slice(0, 256))) return 'form';
  return 'text';
}

function sanitizeBodyText(ctx: Ctx, text: string, contentType: string | undefined): string {
  switch (kindOf(text, contentType)) {
    case 'form':
      return sanitizeEncodedParams(ctx, text, 'post');
    case 'json':
      return sanitizeLoose(sanitizeJson(ctx, text));
    case 'html':
      return sanitizeHtml(ctx, text);
    case 'xml':
      return sanitizeLoose(sanitizeXml(text, false));
    default:
      return sanitizeLoose(text);
  }
}

function withText(body: RawBody, text: string): RawBody {
  if (text === body.text) return body;
  // `size` follows the text when it was the text's own size (not a compressed or declared one).
  const ownSize = !body.truncated && body.size === Buffer.byteLength(body.text, 'utf8');
  return {
    text,
    size: ownSize ? Buffer.byteLength(text, 'utf8') : body.size,
    truncated: body.truncated,
  };
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

function sanitizeAuthorization(ctx: Ctx, value: string): string {
  const basic = /^(basic)(\s+)(\S+)\s*$/i.exec(value);
  if (basic !== null) {
    const decoded = Buffer.from(basic[3] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const secret = placeholder(ctx, 'client_secret', decoded.slice(colon + 1));
      const blob = Buffer.from(`${decoded.slice(0, colon)}:${secret}`, 'utf8').toString('base64');
      return `${basic[1] ?? 'Basic'}${basic[2] ?? ' '}${blob}`;
    }
  }
  const m = /^(\S{1,30})(\s+)(.+)$/s.exec(value);
  if (m === null) return placeholder(ctx, 'authorization', value);
  const cred = m[3] ?? '';
  const clean = WHOLE_JWT.test(cred)
    ? sanitizeJwt(cred, false)
    : placeholder(ctx, 'authorization', cred);
  return `${m[1] ?? ''}${m[2] ?? ' '}${clean}`;
}

function sanitizeCookie(ctx: Ctx, value: string): string {
  return value
    .split(';')
    .map((c) => {
      const eq = c.indexOf('=');
      if (eq === -1) return c;
      const v = c.slice(eq + 1).trim();
      return v.length === 0 ? c : `${c.slice(0, eq)}=${placeholder(ctx, 'cookie', v)}`;
    })
    .join(';');
}

function sanitizeSetCookie(ctx: Ctx, value: string): string {
  return value
    .split('\n')
    .map((line) => {
      const m = /^([^=;]*)=([^;]*)(.*)$/s.exec(line);
      if (m === null || (m[2] ?? '').trim().length === 0) return line;
      return `${m[1] ?? ''}=${placeholder(ctx, 'cookie', (m[2] ?? '').trim())}${m[3] ?? ''}`;
    })
    .join('\n');
}

function sanitizeHeader(ctx: Ctx, name: string, value: string): string {
  const n = name.toLowerCase();
  switch (n) {
    case 'authorization':
    case 'proxy-authorization':
      return sanitizeAuthorization(ctx, value);
    case 'cookie':
      return sanitizeCookie(ctx, value);
    case 'set-cookie':
      return sanitizeSetCookie(ctx, value);
    case 'location':
    case 'referer':
    case 'content-location':
    case 'refresh':
      return sanitizeUrl(ctx, value);
    case 'x-anchormailbox':
      return sanitizeAnchor(value);
    case 'metadata':
      return value;
    default:
      // The redactor's rule (redact-policy.ts): credentials and headers not known to be safe are
      // replaced unless their value is shown non-secret; challenges keep scheme and error fields.
      switch (headerPolicy(n)) {
        case 'credential':
          return placeholder(ctx, n, value);
        case 'unknown':
          return NON_SECRET_VALUE.test(value) ? value : placeholder(ctx, n, value);
        case 'challenge':
          return redactChallenge(value);
        default:
          return sanitizeLoose(value);
      }
  }
}

// ---------------------------------------------------------------------------------------------
// The last pass: given secrets and every opaque value replaced above, wherever they remain
// ---------------------------------------------------------------------------------------------

function htmlEscapeAll(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** The forms a string takes on the wire or in a file. */
function variantsOf(s: string): string[] {
  const out = new Set<string>([s]);
  for (const f of [
    () => encodeURIComponent(s),
    () => new URLSearchParams({ a: s }).toString().slice(2),
    () => JSON.stringify(s).slice(1, -1),
    () => htmlEscapeAll(s),
  ]) {
    try {
      out.add(f());
    } catch {
      // A lone surrogate cannot be URI-encoded: that form cannot appear either.
    }
  }
  return [...out].filter((v) => v.length > 0);
}

interface Scrubber {
  (text: string): string;
}

function makeScrubber(ctx: Ctx, secrets: readonly string[]): Scrubber {
  const entries: { variant: string; replacement: () => string }[] = [];
  // Values replaced above first: their placeholders say what they were (REDACTED-user_code-1).
  for (const [original, p] of ctx.opaque) {
    if (original.length < MIN_DERIVED) continue;
    for (const v of variantsOf(original)) entries.push({ variant: v, replacement: () => p });
  }
  let counter = 0;
  for (const s of secrets) {
    let assigned: string | null = null;
    const replacement = (): string => (assigned ??= `REDACTED-secret-${++counter}`);
    for (const v of variantsOf(s)) entries.push({ variant: v, replacement });
  }
  // Longest first, so a secret containing another goes whole (the sort is stable).
  entries.sort((a, b) => b.variant.length - a.variant.length);
  const variants = entries.map((e) => e.variant);
  const present = (t: string): boolean => variants.some((v) => t.includes(v));
  return (text) => {
    if (entries.length === 0 || !present(text)) return text;
    let t = text;
    for (let round = 0; round < 8 && present(t); round++) {
      for (const e of entries) {
        if (!t.includes(e.variant)) continue;
        const r = e.replacement();
        // A placeholder that itself contains a secret would never converge: delete instead.
        t = t.split(e.variant).join(present(r) ? '' : r);
      }
    }
    // Still there (replacements recombined into a secret): delete until none is left. Each
    // round shortens the text, so this ends.
    while (present(t)) for (const v of variants) t = t.split(v).join('');
    return t;
  };
}

// ---------------------------------------------------------------------------------------------
// The exchange
// ---------------------------------------------------------------------------------------------

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? fallback : String(v);
}

function headersOf(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof h !== 'object' || h === null) return out;
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) setOwn(out, k, str(v));
  return out;
}

function bodyOf(b: unknown): RawBody | null {
  if (typeof b !== 'object' || b === null) return null;
  const r = b as Record<string, unknown>;
  const text = str(r['text']);
  return {
    text,
    size: typeof r['size'] === 'number' ? r['size'] : Buffer.byteLength(text, 'utf8'),
    truncated: r['truncated'] === true,
  };
}

/** A well-typed copy of whatever came in (garbage becomes empty fields). */
function coerce(raw: unknown): RawExchange {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const err = r['error'];
  let error: ExchangeError | null = null;
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    error = {
      code: str(e['code'], 'proxy-error') as ExchangeError['code'],
      message: str(e['message']),
    };
  }
  return {
    id: str(r['id']),
    startedAt: str(r['startedAt']),
    durationMs: typeof r['durationMs'] === 'number' ? r['durationMs'] : null,
    scheme: r['scheme'] === 'http' ? 'http' : 'https',
    method: str(r['method'], 'GET'),
    host: str(r['host']),
    port: typeof r['port'] === 'number' ? r['port'] : 443,
    url: str(r['url'], '/'),
    requestHeaders: headersOf(r['requestHeaders']),
    requestBody: bodyOf(r['requestBody']),
    status: typeof r['status'] === 'number' ? r['status'] : null,
    responseHeaders: headersOf(r['responseHeaders']),
    responseBody: bodyOf(r['responseBody']),
    error,
    source: r['source'] === 'har' ? 'har' : 'proxy',
  };
}

/** Run `f`, or on a bug fall back to the loose (JWT-only) pass; the last pass still follows. */
function guarded(text: string, f: (t: string) => string): string {
  try {
    return f(text);
  } catch {
    // A sanitizer bug on odd input: keep going with the JWT pass; the secrets pass still runs.
    try {
      return sanitizeLoose(text);
    } catch {
      // Even the regex pass failed: drop the text rather than risk keeping a secret.
      return '';
    }
  }
}

function headerLookup(h: HeaderMap, name: string): string | undefined {
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function sanitizeHeaders(ctx: Ctx, h: HeaderMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    setOwn(
      out,
      k,
      guarded(v, (t) => sanitizeHeader(ctx, k, t)),
    );
  return out;
}

/** The body sanitized, and a Content-Length that counted the old text updated to the new one. */
function sanitizeBody(
  ctx: Ctx,
  b: RawBody | null,
  headers: Record<string, string>,
): RawBody | null {
  if (b === null) return null;
  const clean = withText(
    b,
    guarded(b.text, (t) => sanitizeBodyText(ctx, t, headerLookup(headers, 'content-type'))),
  );
  if (clean !== b && !b.truncated && headerLookup(headers, 'content-encoding') === undefined) {
    const before = String(Buffer.byteLength(b.text, 'utf8'));
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === 'content-length' && headers[k] === before)
        headers[k] = String(Buffer.byteLength(clean.text, 'utf8'));
    }
  }
  return clean;
}

function structural(ctx: Ctx, x: RawExchange): RawExchange {
  const requestHeaders = sanitizeHeaders(ctx, x.requestHeaders);
  const responseHeaders = sanitizeHeaders(ctx, x.responseHeaders);
  return {
    ...x,
    url: guarded(x.url, (t) => sanitizeUrl(ctx, t)),
    requestHeaders,
    requestBody: sanitizeBody(ctx, x.requestBody, requestHeaders),
    responseHeaders,
    responseBody: sanitizeBody(ctx, x.responseBody, responseHeaders),
  };
}

function scrubHeaders(h: HeaderMap, scrub: Scrubber): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    const name = scrub(k);
    const value = scrub(v);
    const prev = Object.hasOwn(out, name) ? out[name] : undefined;
    setOwn(out, name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return out;
}

function scrubAll(x: RawExchange, scrub: Scrubber): RawExchange {
  const body = (b: RawBody | null): RawBody | null =>
    b === null ? null : withText(b, scrub(b.text));
  return {
    ...x,
    id: scrub(x.id),
    startedAt: scrub(x.startedAt),
    method: scrub(x.method),
    host: scrub(x.host),
    url: scrub(x.url),
    requestHeaders: scrubHeaders(x.requestHeaders, scrub),
    requestBody: body(x.requestBody),
    responseHeaders: scrubHeaders(x.responseHeaders, scrub),
    responseBody: body(x.responseBody),
    error: x.error === null ? null : { code: x.error.code, message: scrub(x.error.message) },
  };
}

/** A copy of `raw` safe to commit (see the top of this file). Never throws. */
export function sanitizeRawExchange(raw: RawExchange, opts: SanitizeOptions = {}): RawExchange {
  const ctx: Ctx = { counters: new Map(), opaque: new Map() };
  const secrets = [
    ...new Set(
      (Array.isArray(opts.secrets) ? (opts.secrets as unknown[]) : []).filter(
        (s): s is string => typeof s === 'string' && s.length > 0,
      ),
    ),
  ];
  const copy = coerce(raw);
  let clean: RawExchange;
  try {
    clean = structural(ctx, copy);
  } catch {
    // A bug above on odd input: fall back to the copy; the JWT and secrets passes still run.
    clean = { ...copy, url: guarded(copy.url, sanitizeLoose) };
  }
  try {
    return scrubAll(clean, makeScrubber(ctx, secrets));
  } catch {
    // The last pass must not fail open: keep nothing but the shape.
    return coerce({ method: 'GET', url: '/', status: null, source: copy.source });
  }
}
