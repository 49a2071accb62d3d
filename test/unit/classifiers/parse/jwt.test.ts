import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_JWT_LENGTH, inspectJwt, looksLikeJwt } from '../../../../src/classifiers/parse/jwt.js';
import { addLazyJwt, newJwtTable } from '../../../../src/classifiers/parse/jwt-table.js';
import { fakeJwt } from '../../../helpers/raw-exchange.js';

const b64u = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

describe('inspectJwt', () => {
  it('decodes header fields and claims, records x5c as present and fingerprints the token', () => {
    const token = fakeJwt(
      {
        alg: 'PS256',
        typ: 'JWT',
        kid: 'k1',
        x5t: 'abc',
        'x5t#S256': 'def',
        x5c: ['MIIB...'],
        jku: 'https://x',
      },
      { aud: 'api://x', tid: 't', appidacr: '2', nested: { a: 1 } },
    );
    const r = inspectJwt(token);
    expect(r).toEqual({
      ok: true,
      jwt: {
        header: {
          alg: 'PS256',
          typ: 'JWT',
          kid: 'k1',
          x5t: 'abc',
          'x5t#S256': 'def',
          x5c: 'present',
        },
        claims: { aud: 'api://x', tid: 't', appidacr: '2', nested: { a: 1 } },
        fingerprint: createHash('sha256').update(token).digest('hex').slice(0, 8),
      },
    });
  });

  it('accepts an unsecured JWT (empty signature): we observe, never verify', () => {
    const r = inspectJwt(`${b64u('{"alg":"none"}')}.${b64u('{"sub":"s"}')}.`);
    expect(r.ok && r.jwt.header).toEqual({ alg: 'none' });
  });

  it.each([
    ['two parts', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJzIn0', /3 parts/],
    ['JWE (5 parts)', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', /JWE/],
    ['opaque token', '0.AAAAbbbbcccc', /3 parts/],
    ['header not JSON', `${b64u('not json')}.${b64u('{}')}.sig`, /invalid JWT header/],
    ['header is an array', `${b64u('[1]')}.${b64u('{}')}.sig`, /invalid JWT header/],
    ['payload not JSON', `${b64u('{"alg":"RS256"}')}.${b64u('nope')}.sig`, /invalid JWT payload/],
    [
      'payload is an array',
      `${b64u('{"alg":"RS256"}')}.${b64u('[1,2]')}.sig`,
      /invalid JWT payload/,
    ],
    [
      'payload not UTF-8',
      `${b64u('{"alg":"RS256"}')}.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.sig`,
      /invalid JWT payload/,
    ],
    ['bad base64 header', '!!!.e30.sig', /invalid JWT header/],
    ['empty payload', `${b64u('{"alg":"RS256"}')}..sig`, /invalid JWT payload/],
    ['far too long', `eyJ${'a'.repeat(MAX_JWT_LENGTH)}.e30.x`, /longer than/],
    ['six parts', 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d.e', /3 parts/],
    ['only dots (5 parts)', '....', /JWE/],
    [
      'empty header',
      `.${b64u('{}')}.sig`,
      /^invalid JWT header: Invalid Token or Protected Header/,
    ],
  ])('%s -> ok:false', (_name, token, pattern) => {
    const r = inspectJwt(token);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(pattern);
  });
});

describe('looksLikeJwt', () => {
  it.each([
    [fakeJwt(), true],
    ['eyJ.x.', true],
    ['eyJ.x', false],
    ['0.AAA.BBB', false],
    ['eyJ.a.b.c.d', false],
    ['', false],
    [`eyJ${'a'.repeat(MAX_JWT_LENGTH)}.e30.x`, false],
  ])('%j -> %j', (s, expected) => {
    expect(looksLikeJwt(s)).toBe(expected);
  });
});

describe('lazy jwts record', () => {
  it('looks like a plain record and decodes each distinct token once', () => {
    const t1 = fakeJwt({ alg: 'RS256' }, { n: 1 });
    const t2 = fakeJwt({ alg: 'RS256' }, { n: 2 });
    const table = newJwtTable();
    addLazyJwt(table, 'access_token', t1);
    addLazyJwt(table, 'assertion', t1);
    addLazyJwt(table, 'id_token', t2);
    addLazyJwt(table, 'id_token', t1); // first wins
    addLazyJwt(table, 'not_a_jwt_name', t1); // ignored
    expect(Object.keys(table)).toEqual(['access_token', 'assertion', 'id_token']);
    const a = table['access_token'];
    expect(a).toBe(table['access_token']);
    expect(table['assertion']).toBe(a);
    expect(table['id_token']?.ok && table['id_token'].jwt.claims).toEqual({ n: 2 });
    expect(JSON.parse(JSON.stringify(table))).toEqual({
      access_token: a,
      assertion: a,
      id_token: table['id_token'],
    });
    expect({ ...table }).toEqual({ access_token: a, assertion: a, id_token: table['id_token'] });
  });
});
