/**
 * Property-based tests: random and hostile input thrown at every parser. Whatever comes in, the
 * parsers return (never throw) and say why when they could not read something. A hang fails the
 * test by its timeout; how quickly they return (hostile inputs against normal ones of the same
 * size, linear growth, the slowest random exchange) is measured by the bench, where it does not
 * depend on the machine's load: BENCH_ONLY=11 npm run bench.
 */
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExchange } from '../../../../src/classifiers/parse/index.js';
import {
  decodeHtmlEntities,
  findAutoPostForm,
} from '../../../../src/classifiers/parse/html-form.js';
import { inspectJwt } from '../../../../src/classifiers/parse/jwt.js';
import { detectLibrary } from '../../../../src/classifiers/parse/library.js';
import { parseUrlEncoded, splitUrl } from '../../../../src/classifiers/parse/params.js';
import { locationParams } from '../../../../src/classifiers/parse/redirect.js';
import {
  MAX_SAML_DEPTH,
  parseSamlParam,
  parseSamlXml,
} from '../../../../src/classifiers/parse/saml.js';
import { parseTelemetry } from '../../../../src/classifiers/parse/telemetry.js';
import type { RawBody, RawExchange } from '../../../../src/core/types.js';
import type { SamlResult } from '../../../../src/classifiers/parsed.js';
import {
  authnRequestXml,
  autoPostHtml,
  fakeJwt,
  makeRawExchange,
  samlPostParam,
  samlRedirectParam,
  samlResponseXml,
} from '../../../helpers/raw-exchange.js';
import { PARSER_SYNTAX } from '../../../../tools/bench/syntax.js';

const RUNS = { numRuns: 300 };

/** Strings biased towards the characters that matter to our parsers. */
const syntax = fc
  .array(
    fc.oneof(
      fc.constantFrom(...PARSER_SYNTAX),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

const anyText = fc.oneof(
  syntax,
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const paramNames = fc.constantFrom(
  'grant_type',
  'client_id',
  'scope',
  'code',
  'refresh_token',
  'access_token',
  'id_token',
  'client_assertion',
  'assertion',
  'request',
  'SAMLRequest',
  'SAMLResponse',
  'RelayState',
  'x-client-SKU',
  'x-client-VER',
  'X-CLIENT-SKU',
  'x-client-current-telemetry',
  '__proto__',
  'constructor',
  'toString',
  '',
);

const jwtish = fc.oneof(
  fc
    .tuple(
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
    )
    .map(([h, c]) => fakeJwt(h, c)),
  fc.tuple(anyText, anyText, anyText).map(([a, b, c]) => `eyJ${a}.${b}.${c}`),
  fc
    .array(fc.base64String({ maxLength: 40 }), { minLength: 1, maxLength: 6 })
    .map((p) => p.join('.')),
  anyText,
);

const validSaml = fc.constantFrom(
  samlRedirectParam(authnRequestXml()),
  samlPostParam(authnRequestXml()),
  samlPostParam(samlResponseXml()),
  samlPostParam(samlResponseXml({ inResponseTo: '_x' })),
  samlRedirectParam(samlResponseXml({ inResponseTo: '_x', onlySubjectConfirmation: true })),
);

const samlValue = fc.oneof(
  { arbitrary: validSaml, weight: 4 },
  fc.constant(samlPostParam('<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')),
  fc.base64String({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64')),
  fc.uint8Array({ maxLength: 200 }).map((b) => deflateRawSync(b).toString('base64')),
  anyText.map((t) => samlPostParam(t)),
  anyText.map((t) => samlRedirectParam(t)),
  anyText,
);

const params = fc.dictionary(paramNames, fc.oneof(anyText, jwtish, samlValue), { maxKeys: 8 });

const headerMap = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'content-type',
      'Content-Type',
      'origin',
      'x-client-sku',
      'X-Client-Ver',
      'x-client-current-telemetry',
      'location',
      'constructor',
    ),
    fc.string({ maxLength: 10 }),
  ),
  fc.oneof(
    anyText,
    fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/json',
      'text/html',
      'application/xml',
      '5|1007,0|',
      '5|61,2,,,|,',
    ),
  ),
  { maxKeys: 6 },
);

const body = fc.option(
  fc.record({
    text: fc.oneof(
      anyText,
      params.map((p) => new URLSearchParams(p).toString()),
      params.map((p) => JSON.stringify(p)),
      params.map((p) => autoPostHtml('https://x/acs', p)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    ),
    size: fc.nat(),
    truncated: fc.boolean(),
  }),
  { nil: null },
) as fc.Arbitrary<RawBody | null>;

const rawExchange: fc.Arbitrary<RawExchange> = fc
  .record({
    url: fc.oneof(
      anyText,
      params.map((p) => `/t/saml2?${new URLSearchParams(p).toString()}`),
      anyText.map((t) => `https://h${t}`),
    ),
    method: fc.constantFrom('GET', 'POST', 'OPTIONS', ''),
    status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }),
    requestHeaders: headerMap,
    responseHeaders: fc.oneof(
      headerMap,
      params.map((p) => ({
        location: `https://app/cb?${new URLSearchParams(p).toString()}#${new URLSearchParams(p).toString()}`,
      })),
    ),
    requestBody: body,
    responseBody: body,
  })
  .map((r) => makeRawExchange(r));

function assertSamlExplained(r: SamlResult): void {
  if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
  else expect(r.message.fingerprint).toMatch(/^[0-9a-f]{8}$/);
}

describe('properties: parseExchange', () => {
  it('never throws, and every SAML/JWT failure carries a reason', () => {
    fc.assert(
      fc.property(rawExchange, (raw) => {
        const px = parseExchange(raw);
        expect(Array.isArray(px.problems)).toBe(true);
        for (const p of px.problems) expect(typeof p).toBe('string');
        for (const s of px.saml) assertSamlExplained(s);
        for (const [name, j] of Object.entries(px.jwts)) {
          expect([
            'access_token',
            'id_token',
            'client_assertion',
            'assertion',
            'request',
            'refresh_token',
          ]).toContain(name);
          if (!j.ok) expect(j.error.length).toBeGreaterThan(0);
        }
        expect(() => JSON.stringify({ ...px, raw: undefined })).not.toThrow();
        // Lookups never reach the prototype chain.
        expect(px.header('__proto__')).toBeUndefined();
        expect(px.header('hasOwnProperty')).toBeUndefined();
        // Problems are built from fixed text, names and sizes: never from the values seen.
        const values = [
          ...Object.values(px.form),
          ...Object.values(px.query),
          ...Object.values(px.responseForm?.fields ?? {}),
        ];
        for (const v of values) {
          if (v.length >= 16) for (const p of px.problems) expect(p).not.toContain(v);
        }
        if (raw.requestBody?.truncated === true && raw.requestBody.text.length > 0) {
          expect(px.problems.some((p) => p.startsWith('request body truncated'))).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('a parsed form round-trips through URLSearchParams (first value wins)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 })),
          { maxLength: 10 },
        ),
        (pairs) => {
          const text = new URLSearchParams(pairs).toString();
          const px = parseExchange(
            makeRawExchange({
              requestHeaders: { 'content-type': 'application/x-www-form-urlencoded' },
              requestBody: { text, size: text.length, truncated: false },
            }),
          );
          const expected: Record<string, string> = {};
          for (const [k, v] of new URLSearchParams(text))
            if (!Object.hasOwn(expected, k) && k !== '')
              Object.defineProperty(expected, k, {
                value: v,
                enumerable: true,
                writable: true,
                configurable: true,
              });
          expect(px.form).toEqual(expected);
        },
      ),
      RUNS,
    );
  });
});

describe('properties: single parsers', () => {
  it('params, URLs and redirects never throw', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        parseUrlEncoded(s);
        const u = splitUrl(s);
        expect(typeof u.pathname).toBe('string');
        locationParams(s);
        decodeHtmlEntities(s);
        findAutoPostForm(s);
        parseTelemetry(s, null);
        detectLibrary(() => s, { 'x-client-SKU': s }, {});
      }),
      RUNS,
    );
  });

  it('parseUrlEncoded agrees with URLSearchParams on well-formed input', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'),
          fc.string({ maxLength: 20 }),
        ),
        (d) => {
          expect(parseUrlEncoded(new URLSearchParams(d).toString())).toEqual(
            Object.fromEntries(new URLSearchParams(new URLSearchParams(d).toString())),
          );
        },
      ),
      RUNS,
    );
  });

  it('inspectJwt never throws and explains failures', () => {
    fc.assert(
      fc.property(jwtish, (t) => {
        const r = inspectJwt(t);
        if (r.ok) {
          expect(r.jwt.fingerprint).toMatch(/^[0-9a-f]{8}$/);
          for (const v of Object.values(r.jwt.header)) expect(typeof v).toBe('string');
        } else {
          expect(r.error.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('SAML: random base64, random bytes through inflate, random XML-ish text', () => {
    fc.assert(
      fc.property(samlValue, fc.constantFrom('redirect', 'post'), (v, binding) => {
        assertSamlExplained(parseSamlParam(v, binding as 'redirect' | 'post', 'request'));
      }),
      RUNS,
    );
  });

  it('SAML: XML with a DTD or entity declaration is always refused, never expanded', () => {
    const dtd = fc
      .tuple(anyText, fc.constantFrom('<!DOCTYPE', '<!doctype', '<!ENTITY', '<!Entity'), anyText)
      .map(([a, d, b]) => `${a}${d}${b}`);
    fc.assert(
      fc.property(dtd, fc.constantFrom('redirect', 'post'), (xml, binding) => {
        expect(parseSamlXml(xml, 'post', 'request', 'f')).toEqual({
          ok: false,
          error: 'SAML message with a DTD refused',
        });
        const enc = binding === 'post' ? samlPostParam(`<${xml}`) : samlRedirectParam(`<${xml}`);
        expect(parseSamlParam(enc, binding as 'redirect' | 'post', 'request')).toEqual({
          ok: false,
          error: 'SAML message with a DTD refused',
        });
      }),
      RUNS,
    );
  });

  it('SAML: deep nesting is refused before parsing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_SAML_DEPTH + 1, max: 20_000 }),
        fc.constantFrom('a', 'saml:Assertion', 'x y="1"'),
        (depth, tag) => {
          const name = tag.split(' ')[0] ?? 'a';
          const xml = `<${tag}>`.repeat(depth) + `</${name}>`.repeat(depth);
          expect(parseSamlParam(samlRedirectParam(xml), 'redirect', 'request')).toEqual({
            ok: false,
            error: `SAML XML nested deeper than ${MAX_SAML_DEPTH} levels (refused)`,
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('SAML: deflate bombs are cut at 1 MiB', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_100_000, max: 20_000_000 }),
        fc.integer({ min: 0, max: 255 }),
        (size, byte) => {
          const bomb = deflateRawSync(Buffer.alloc(size, byte)).toString('base64');
          const r = parseSamlParam(bomb, 'redirect', 'request');
          expect(r).toEqual({ ok: false, error: 'SAML message inflates beyond 1 MiB (refused)' });
        },
      ),
      { numRuns: 10 },
    );
  });
});

// Linear time on these (4x the size: about 4x the time) is a bench target (BENCH_ONLY=11).
describe('hostile HTML: an answer, never a crash or a hang', () => {
  const soup = '&#x41;&amp;&bogus;'.repeat(30_000);
  const cases: ReadonlyArray<
    readonly [string, string, Record<string, string> | null, readonly string[]]
  > = [
    [
      'many unterminated inputs',
      '<form action="/x">' + '<input name="a" value="'.repeat(20_000),
      null,
      [],
    ],
    ['many unterminated forms', "<form action='".repeat(20_000), null, []],
    [
      'many attributes in an unterminated value',
      '<form><input value="' + ' a="'.repeat(50_000),
      null,
      [],
    ],
    [
      'many forms and inputs',
      '<form><input type=hidden name=a value=b>'.repeat(20_000),
      { a: 'b' },
      [],
    ],
    [
      'entity soup',
      `<form><input type=hidden name=SAMLResponse value="${soup}"></form>`,
      { SAMLResponse: 'A&&bogus;'.repeat(30_000) },
      ['SAMLResponse in response form: SAML parameter is not valid base64'],
    ],
  ];
  it.each(cases)('%s', (_name, html, fields, problems) => {
    const px = parseExchange(makeRawExchange({ responseHtml: html }));
    expect(px.responseForm?.fields ?? null).toEqual(fields);
    expect(px.problems).toEqual(problems);
  });
});
