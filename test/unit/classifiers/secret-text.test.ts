/**
 * secret-text.ts: token-looking substrings are fingerprinted, Entra's error texts stay readable
 * (issue 16 item 1). Table-driven: [label, text, what must stay, what must go].
 */
import { describe, expect, it } from 'vitest';
import {
  holdsSecret,
  redactedText,
  scrubText,
  secretRun,
} from '../../../src/classifiers/secret-text.js';
import { fakeJwt } from '../../helpers/raw-exchange.js';

const TRACE =
  'Trace ID: 0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70 Correlation ID: 5f2c1a9e-3b4d-4e6f-8a7b-9c0d1e2f3a4b Timestamp: 2026-12-06 07:05:13Z';

/** Texts that must come back unchanged. */
const READABLE: [string, string][] = [
  [
    'AADSTS50076',
    `AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'. ${TRACE}`,
  ],
  [
    'AADSTS7000215',
    `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'b45c1d00-0000-4000-8000-000000000005'. ${TRACE}`,
  ],
  [
    'AADSTS50011',
    `AADSTS50011: The redirect URI 'https://app.contoso.example/auth/callback' specified in the request does not match the redirect URIs configured for the application. ${TRACE}`,
  ],
  ['endpoint', "The endpoint '/common/oauth2/v2.0/tokenn' does not exist."],
  [
    'url with tenant',
    'https://login.microsoftonline.com/eb72dee2-cace-4719-a7f5-3e4486deb1f7/oauth2/v2.0/authorize',
  ],
  ['error_uri', 'https://login.microsoftonline.com/error?code=50076'],
  [
    'trace ids in params',
    'trace_id=0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70&correlation_id=5f2c1a9e-3b4d-4e6f-8a7b-9c0d1e2f3a4b',
  ],
  [
    'user agent',
    'azsdk-js-identity/4.13.1 core-rest-pipeline/1.24.0 Node/20.19.2 OS/(x64-Linux-6.8.0)',
  ],
  ['version', '2.1.21000.0 - SIM ProdSlices'],
  ['iso time', '2026-12-06T07:05:13.1234567Z'],
  ['scope', 'api://7bd5f248-03e2-4573-8374-c2a229a7c5ec/.default openid offline_access'],
  ['graph error', 'Access token validation failure. Invalid audience.'],
  ['b2c policy', '/contoso.onmicrosoft.com/B2C_1A_signup_signin_v2/oauth2/v2.0/authorize'],
  ['saml entity id', 'https://sp.example.com/saml2-metadata-2024'],
  ['app id uri', 'api://orders-api-v2-prod/.default'],
  ['tenant domain', 'contoso-production-2024.onmicrosoft.com'],
  ['sku', 'MSAL.Xamarin.iOS/4.66.1.0'],
  // Ids alone (the pre-check's shortcut), whatever their digits and case.
  ['guid', '0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70'],
  ['upper-case guid', '5F2C1A9E-3B4D-4E6F-8A7B-9C0D1E2F3A4B'],
  ['guid of digits', '12345678-1111-2222-3333-000000000000'],
  // Ids in paths (the pre-check takes GUIDs out as the rules do, then finds nothing).
  ['tenant path', '/eb72dee2-cace-4719-a7f5-3e4486deb1f7/oauth2/v2.0/token'],
  [
    'ids in a path',
    '/5F2C1A9E-3B4D-4E6F-8A7B-9C0D1E2F3A4B/users/0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70',
  ],
];

/** Secrets that must go, each inside some text. */
const SECRETS: [string, string][] = [
  ['JWT', fakeJwt({ alg: 'RS256' }, { aud: 'x' })],
  [
    'auth code',
    '1.AXkApaTOxskHzwyMD2OYDcTjo0VDg5wyxnb3DvmE7OsFkphRvWY5_tfAtIJq9sBr_k9MzjqnqNs2U5eM1NiK0KGKigyqiMJX1xIiaPZJRTn67fax0hNAn_DdJkEHGC8XTqFK',
  ],
  [
    'refresh token',
    '0.ARoAyEocdWU8294auWPvMiHRA_O-IGVN85hbo62bOUrflDWjPYxiWDNCnfRliqb2lAZ1yoKQUaYg7TmFFwOdSh_H7B8jt9rfsinLrbjyq30jbztRkvuFjOh7815Q2djn3Zs4qWR7sE7eKDh7XIUT0jLceDD6M42gLnLGcG1n8PBBXGCn_TwTe9O48MBU4sqd4NcrjEkv7v_yVuFbKq3Garg9AkIwQ3TcZuUo38EVM4nl09lph8tP2Kkm978o05CVMd8Lb-6IrGzt1CA.AgABAAEAAAD',
  ],
  [
    'device code',
    'DAQABAAEAAADK8PwNztjn4bzdywTuqhGW5GXw5_iczu0Vo3bu4zpFwp6ztE2yaKzBWb1ltzmo_DIts5aRw5w0u7pcw7I1X7TZpTFViy4suH5cobk6dki9LtLynAXkqAdQUvqIQMRVhbmFYCvUQfPm98-FONYwZCMapVjqT-L8SKm',
  ],
  ['client secret', 'Zx48Q~kT3v.Aa9bB8cC7dD6eE5fF4gG3hH2iI1jJ'],
  ['client secret without digits', 'sim~not-a-real-secret'],
  ['hex', '10bbe720f79c9bcc3ef52021d2a304cddcb97bd697c2e7f0b6f8a2f3793d8d7a'],
  ['base64', '6ulzhWXtPq2EKBySZbeQwzx8Yu9/JxTlpwLQ0fRo'],
  ['planted', 'PLANTED-COOKIE-9f1c2e8d7b6a5c4f3e2d'],
  ['user code', 'GJX8YQ3NP'],
  ['long number', '12345678901234567890123'],
  ['guid glued to a secret', '5f2c1a9e-3b4d-4e6f-8a7b-9c0d1e2f3a4bsecret0123456789abc'],
  // The rules judge what is left around a GUID (a user code here): so must the pre-check.
  ['user code around a guid', 'GJXQYabcdefab-abcd-abcd-abcd-abcdefabcdef382'],
  // 32 characters with digits and both cases, hyphenated (the pre-check once missed it).
  ['hyphenated mixed case', 'Kqzwtrvp7-hwmbsdfq-yvnczkxrl-pgtdwqmnzc'],
];

describe('scrubText', () => {
  // Fixed values (sha256-derived), so the table never flakes; random ones are checked below.
  it.each(READABLE)('keeps readable text: %s', (_label, text) => {
    expect(scrubText(text)).toBe(text);
    expect(holdsSecret(text)).toBe(false);
  });

  it.each(SECRETS)('fingerprints a %s inside text', (_label, secret) => {
    const text = `AADSTS9002313: Invalid request: '${secret}' is not valid. ${TRACE}`;
    const out = scrubText(text);
    expect(out).not.toContain(secret);
    // Alone too (no GUID or other text around it to pass the pre-check on).
    expect(scrubText(secret)).toBe(redactedText(secret));
    expect(out).toMatch(
      /^AADSTS9002313: Invalid request: '\[redacted sha256:[0-9a-f]{8}\]' is not valid\. Trace ID: 0ad2b3c6/,
    );
    expect(holdsSecret(text)).toBe(true);
  });

  it('does what the rules do to every run (the pre-check only skips texts they keep)', () => {
    // Random texts of GUIDs, AADSTS codes, words, mixed runs and separators (fixed seed).
    let seed = 12345;
    const rnd = (n: number): number =>
      Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * n);
    const chars = (set: string, n: number): string =>
      Array.from({ length: n }, () => set[rnd(set.length)]).join('');
    const [low, up, dig] = [
      'abcdefghijklmnopqrstuvwxyz',
      'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
      '0123456789',
    ];
    const fragment = (): string => {
      const r = rnd(100);
      const n = 1 + rnd(12);
      if (r < 25) {
        const g = [8, 4, 4, 4, 12].map((k) => chars('0123456789abcdef', k)).join('-');
        return r < 8 ? g.toUpperCase() : g;
      }
      if (r < 30) return `AADSTS${chars(dig, 5)}`;
      if (r < 45) return chars(low, n);
      if (r < 55) return chars(up, n);
      if (r < 65) return chars(dig, n);
      if (r < 70) return chars(low + up + dig, n);
      if (r < 80) return `${chars(up, 1)}${chars(low, n)}${chars(dig, rnd(2))}-`;
      return chars('-._/+=% :?&~', 1 + rnd(2));
    };
    let kept = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const text = Array.from({ length: 1 + rnd(16) }, fragment).join('');
      const ruled = text.replace(/[A-Za-z0-9._~+/=%-]{8,}/g, (run) =>
        secretRun(run) ? redactedText(run) : run,
      );
      if (ruled === text) kept++;
      if (scrubText(text) !== ruled) wrong.push(text);
    }
    expect(wrong).toEqual([]);
    expect(kept).toBeGreaterThan(5000);
  });

  it('fingerprints random base64, base64url and hex (all but a rare few short ones)', async () => {
    const { randomBytes } = await import('node:crypto');
    let missed = 0;
    for (let i = 0; i < 2000; i++) {
      if (!holdsSecret(randomBytes(30).toString('base64'))) missed++;
      if (!holdsSecret(randomBytes(24).toString('base64url'))) missed++;
      if (!holdsSecret(randomBytes(16).toString('hex'))) missed++;
    }
    // Measured: about 1 in 1,500 of 32-40 character values has no token shape (fewer the longer).
    expect(missed).toBeLessThan(30);
  });
});
