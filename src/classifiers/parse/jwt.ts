/**
 * JWT observation: decode the protected header and the claims of a compact JWS with jose's
 * decodeProtectedHeader/decodeJwt. Never verifies a signature, never throws.
 *
 * A well-formed segment (base64url alphabet, valid UTF-8, a JSON object) is decoded directly with
 * Buffer, which is several times faster than jose's atob path and gives the same object; anything
 * else goes to jose, so every error (and its message) is jose's.
 */
import { isUtf8 } from 'node:buffer';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { JwtResult } from '../parsed.js';
import { sha256Prefix8 } from './hash.js';

/** Header fields kept (as strings); `x5c` is recorded as "present" only. */
const HEADER_FIELDS = ['alg', 'typ', 'kid', 'x5t', 'x5t#S256', 'cty'] as const;

/**
 * Parameter names that may carry a JWT, and whether we only look when the value has a JWS shape
 * (`assertion` may be a base64 SAML token, `request` and `refresh_token` are usually opaque).
 */
export const JWT_NAMES = [
  ['access_token', false],
  ['id_token', false],
  ['client_assertion', false],
  ['assertion', true],
  ['request', true],
  ['refresh_token', true],
] as const;

/** Tokens longer than this are not decoded (a JWT of 64 KiB is already absurd). */
export const MAX_JWT_LENGTH = 64 * 1024;

/**
 * True when `s` has the shape of a compact JWS: `eyJ` (base64url of `{"`) and exactly two dots.
 * Cheap on purpose (no scan of the characters): jose checks the encoding when it decodes.
 */
export function looksLikeJwt(s: string): boolean {
  if (s.length > MAX_JWT_LENGTH || !s.startsWith('eyJ')) return false;
  const d1 = s.indexOf('.', 3);
  if (d1 === -1) return false;
  const d2 = s.indexOf('.', d1 + 2);
  return d2 !== -1 && s.indexOf('.', d2 + 1) === -1;
}

function errorText(e: unknown): string {
  // jose messages never echo the token; keep them short anyway.
  const msg = e instanceof Error ? e.message : 'unknown error';
  return msg.length > 120 ? msg.slice(0, 120) : msg;
}

/** Decode (not verify) a compact JWT. */
export function inspectJwt(token: string): JwtResult {
  if (token.length > MAX_JWT_LENGTH) {
    return { ok: false, error: `token longer than ${MAX_JWT_LENGTH} characters` };
  }
  // Count the parts without splitting the token (jose splits it again anyway).
  const firstDot = token.indexOf('.');
  let parts = 1;
  for (let i = firstDot; i !== -1 && parts <= 5; i = token.indexOf('.', i + 1)) parts++;
  if (parts === 5) return { ok: false, error: 'encrypted JWT (JWE), claims not readable' };
  if (parts !== 3) return { ok: false, error: 'not a compact JWS (expected 3 parts)' };
  const secondDot = token.indexOf('.', firstDot + 1);
  let rawHeader = plainSegment(token.slice(0, firstDot));
  let claims = rawHeader && plainSegment(token.slice(firstDot + 1, secondDot));
  if (!rawHeader || !claims) {
    const slow = joseDecode(token, firstDot);
    if (!slow.ok) return slow;
    ({ rawHeader, claims } = slow);
  }
  const header: Record<string, string> = {};
  for (const f of HEADER_FIELDS) {
    const v = rawHeader[f];
    if (typeof v === 'string') header[f] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') header[f] = String(v);
  }
  if (rawHeader['x5c'] !== undefined) header['x5c'] = 'present';
  return { ok: true, jwt: { header, claims, fingerprint: sha256Prefix8(token) } };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * A segment decoded the way jose would, or null when it is not plainly well-formed (then jose
 * decides, with its own error): base64url without padding or whitespace, a length atob accepts,
 * UTF-8 that a fatal TextDecoder accepts without a byte-order mark, and JSON that is an object.
 */
function plainSegment(seg: string): Record<string, unknown> | null {
  if (seg.length % 4 === 1 || !BASE64URL.test(seg)) return null;
  const bytes = Buffer.from(seg, 'base64url');
  if (bytes[0] === 0xef || !isUtf8(bytes)) return null;
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : null;
}

function joseDecode(
  token: string,
  firstDot: number,
):
  | { ok: true; rawHeader: Record<string, unknown>; claims: Record<string, unknown> }
  | { ok: false; error: string } {
  let rawHeader: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    // The object form reads the same first segment that jose takes from a 3-part token.
    const protectedHeader = { protected: token.slice(0, firstDot) };
    rawHeader = decodeProtectedHeader(protectedHeader) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, error: `invalid JWT header: ${errorText(e)}` };
  }
  try {
    claims = decodeJwt(token) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, error: `invalid JWT payload: ${errorText(e)}` };
  }
  return { ok: true, rawHeader, claims };
}
