/**
 * inspectJwt decodes well-formed segments with Buffer and leaves everything else to jose. The
 * oracle here is the jose-only decoder it replaced: on any token, valid or not, both must give the
 * same result, error messages included.
 */
import fc from 'fast-check';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { inspectJwt } from '../../../../src/classifiers/parse/jwt.js';
import { sha256Prefix8 } from '../../../../src/classifiers/parse/hash.js';

const HEADER_FIELDS = ['alg', 'typ', 'kid', 'x5t', 'x5t#S256', 'cty'] as const;

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : 'unknown error';
  return msg.length > 120 ? msg.slice(0, 120) : msg;
}

/** The jose-only decoder (the previous inspectJwt, for 3-part tokens). */
function reference(token: string): unknown {
  const firstDot = token.indexOf('.');
  let rawHeader: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    rawHeader = decodeProtectedHeader({ protected: token.slice(0, firstDot) }) as Record<
      string,
      unknown
    >;
  } catch (e) {
    return { ok: false, error: `invalid JWT header: ${errorText(e)}` };
  }
  try {
    claims = decodeJwt(token) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, error: `invalid JWT payload: ${errorText(e)}` };
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

const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

/** Segments: proper JSON objects, JSON non-objects, raw bytes, and text with odd characters. */
const segment = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue()).map((o) => b64u(JSON.stringify(o))),
  fc.jsonValue().map((v) => b64u(JSON.stringify(v) ?? 'null')),
  fc.uint8Array({ maxLength: 40 }).map(b64u),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
  fc.string({ maxLength: 30 }),
  fc.dictionary(fc.string(), fc.string()).map((o) => `${b64u(JSON.stringify(o))}=`),
  fc
    .dictionary(fc.string(), fc.integer())
    .map((o) =>
      b64u(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(o))])),
    ),
);

describe('inspectJwt against the jose-only decoder', () => {
  it('gives the same result for any three-part token', () => {
    fc.assert(
      fc.property(segment, segment, fc.string({ maxLength: 10 }), (h, p, s) => {
        const token = `${h}.${p}.${s.replace(/\./g, '')}`;
        if (token.split('.').length !== 3) return;
        expect(inspectJwt(token)).toEqual(reference(token));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on hand-picked edge cases', () => {
    const obj = b64u('{"alg":"RS256","x5c":["x"],"kid":7}');
    const claims = b64u('{"aud":"a","n":1,"__proto__":{"x":1}}');
    for (const t of [
      `${obj}.${claims}.sig`,
      `${obj}.${claims}.`,
      `${obj}..sig`,
      `.${claims}.sig`,
      `${obj}.${b64u('[1,2]')}.s`,
      `${obj}.${b64u(Buffer.from([0xc3, 0x28]))}.s`, // invalid UTF-8
      // invalid UTF-8 inside a JSON string: a lenient decoder would give U+FFFD, jose refuses
      `${obj}.${b64u(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]))}.s`,
      `${obj}.${b64u('\ufeff{"a":1}')}.s`, // byte-order mark
      `${obj}.${claims.slice(0, -1)}A.s`, // length % 4 == 1 or trailing bits
      `${obj}.${claims} .s`,
      `${obj}.${claims.replace(/-/g, '+')}.s`,
    ]) {
      expect(inspectJwt(t), t).toEqual(reference(t));
    }
  });
});
