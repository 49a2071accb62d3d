import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Prefix8, withFingerprintMemo } from '../../../../src/classifiers/parse/hash.js';
import { fingerprint } from '../../../../src/classifiers/redact.js';

const expected = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 8);

describe('sha256Prefix8', () => {
  it.each(['', 'abc', 'é€😀', 'x'.repeat(5000)])('%#: first 8 hex of SHA-256 (UTF-8)', (s) => {
    expect(sha256Prefix8(s)).toBe(expected(s));
    expect(fingerprint(s)).toBe(`sha256:${expected(s)}`);
  });

  it('gives the same values inside a memo scope, for repeated and many values', () => {
    const values = Array.from({ length: 40 }, (_, i) => `secret-${i % 25}`);
    const out = withFingerprintMemo(() => values.map((v) => sha256Prefix8(v)));
    expect(out).toEqual(values.map(expected));
  });

  it('scopes nest, return their value, and end even when the body throws', () => {
    expect(withFingerprintMemo(() => withFingerprintMemo(() => sha256Prefix8('a')))).toBe(
      expected('a'),
    );
    expect(() =>
      withFingerprintMemo(() => {
        sha256Prefix8('b');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(sha256Prefix8('b')).toBe(expected('b'));
  });
});
