/**
 * Sections 9-11: the speed targets that used to be wall-clock bounds in unit tests (they flaked on a
 * loaded machine), as ratios against baselines measured in the same run.
 *
 * 9. The session reducer (src/classifiers/session.ts) at 100k exchanges: adding stays O(1) per
 *    record whatever the session's length, a dashboard poll (add + summary + applications) does not
 *    grow with it, and the first summary after many adds costs a fraction of adding them.
 *    (Was: test/unit/classifiers/session.test.ts, addMs < 3000, firstMs < 500, pollMs < 20.)
 * 10. Pathological parser inputs: each hostile input's parse time as a ratio of a normal input of
 *    the same size, same function, same run: linear inputs stay near 1, a quadratic or exponential
 *    path would be hundreds or more. (Was: the `ms < 250/500/2000` bounds in
 *    test/unit/classifiers/parse/{properties,saml,saml-reference}.test.ts.)
 * 11. Streamed report rendering (json, har, html) of 100k exchanges, per record, as a ratio of
 *    JSON.stringify of the same records. (Was: test/unit/report/streaming.test.ts, < 20 s.)
 *
 * Every time is the minimum of interleaved repeats (normal, hostile, normal, hostile...): the
 * minimum is the cost of the work, the rest is the machine's load.
 */
import { deflateRawSync } from 'node:zlib';
import type { ExchangeRecord, RawExchange } from '../../src/core/types.js';
import { round } from './common.js';
import { entraSpec, toRawExchange } from './mix.js';
import type { BenchConfig } from './proxy-sections.js';
import { target, type SectionResult, type Target } from './report.js';
import { PARSER_SYNTAX } from './syntax.js';

/** Milliseconds of one call of `f`, after a full GC (so a collection owed by earlier work does not land in it). */
function timeOnce(f: () => unknown, gc = true): number {
  if (gc) global.gc?.();
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Min over `repeats` interleaved runs of each function, in ms (index-aligned with `fs`). */
function minTimes(fs: readonly (() => unknown)[], repeats: number, gc = true): number[] {
  const best = fs.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < fs.length; i++) best[i] = Math.min(best[i]!, timeOnce(fs[i]!, gc));
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// 9. The session reducer at 100k exchanges.
// ---------------------------------------------------------------------------------------------

interface SessionLike {
  add(r: ExchangeRecord): void;
  summary(): unknown;
  applications(): unknown[];
}

const CLIENTS = 50;
const N = 100_000;
const CHUNK = 10_000;

export async function sectionSession(cfg: BenchConfig): Promise<Omit<SectionResult, 'seconds'>> {
  const { createSession } = (await import('../../src/classifiers/session.js')) as {
    createSession: () => SessionLike;
  };
  const { classifyExchange } = (await import('../../src/classifiers/index.js')) as {
    classifyExchange: (raw: RawExchange) => ExchangeRecord;
  };
  // Realistic records: the bench's Entra mix, classified, spread over 50 applications.
  const base = Array.from({ length: 1800 }, (_, i) =>
    classifyExchange(toRawExchange(entraSpec(i), i)),
  );
  const records: ExchangeRecord[] = Array.from({ length: N }, (_, i) => ({
    ...base[i % base.length]!,
    id: `e${i}`,
    clientId: `client-${i % CLIENTS}`,
    managedIdentity: null,
  }));
  const late = Array.from({ length: 100 }, (_, k) => ({
    ...base[k]!,
    id: `late${k}`,
    clientId: 'client-7',
    managedIdentity: null,
  }));

  /** One session of `n` records, polled every 10k adds as the dashboard does. */
  const run = (n: number): { chunkUs: number[]; firstMs: number; pollMs: number; apps: number } => {
    const s = createSession();
    const chunkUs: number[] = [];
    for (let c = 0; c < n; c += CHUNK) {
      const end = Math.min(n, c + CHUNK);
      const t0 = performance.now();
      for (let i = c; i < end; i++) s.add(records[i]!);
      chunkUs.push(((performance.now() - t0) * 1000) / (end - c));
      if (end < n) {
        s.summary();
        s.applications();
      }
    }
    // The adds since the last poll are folded in the first summary/applications after them.
    const firstMs = timeOnce(() => {
      s.summary();
      s.applications();
    });
    const t2 = performance.now();
    for (const r of late) {
      s.add(r);
      s.summary();
      s.applications();
    }
    const pollMs = (performance.now() - t2) / late.length;
    return { chunkUs, firstMs, pollMs, apps: s.applications().length };
  };

  // The baseline: what writing each record to the session log costs (JSON.stringify), per record.
  const stringifyUs = (): number => {
    const t0 = performance.now();
    let sink = 0;
    for (let i = 0; i < CHUNK; i++) sink += JSON.stringify(records[i]).length;
    return sink > 0 ? ((performance.now() - t0) * 1000) / CHUNK : Number.NaN;
  };

  run(CHUNK); // warm-up (JIT)
  const rounds = Math.max(3, cfg.rounds);
  let addFirst = Infinity;
  let addLast = Infinity;
  let addAll = Infinity;
  let first100k = Infinity;
  let first10k = Infinity;
  let poll100k = Infinity;
  let poll1k = Infinity;
  let json = Infinity;
  let apps = 0;
  for (let r = 0; r < rounds; r++) {
    json = Math.min(json, stringifyUs());
    const big = run(N);
    const small = run(CHUNK);
    const tiny = run(1000);
    apps = big.apps;
    addFirst = Math.min(addFirst, big.chunkUs[0]!);
    addLast = Math.min(addLast, big.chunkUs.at(-1)!);
    addAll = Math.min(addAll, big.chunkUs.reduce((a, b) => a + b, 0) / big.chunkUs.length);
    first100k = Math.min(first100k, big.firstMs);
    first10k = Math.min(first10k, small.firstMs);
    poll100k = Math.min(poll100k, big.pollMs);
    poll1k = Math.min(poll1k, tiny.pollMs);
    global.gc?.();
  }
  const addTotalMs = (addAll * N) / 1000;
  const rows: (string | number)[][] = [
    ['JSON.stringify(record) (baseline)', json, Number.NaN],
    ['add, first 10k of 100k', addFirst, Number.NaN],
    ['add, last 10k of 100k', addLast, Number.NaN],
    ['add, all 100k', addAll, addTotalMs],
    [
      'first summary+applications, 10k session (9,999 adds since last poll... of 10k)',
      Number.NaN,
      first10k,
    ],
    [
      'first summary+applications, 100k session (10k adds since the last poll)',
      Number.NaN,
      first100k,
    ],
    ['poll (add+summary+applications), 1k session', Number.NaN, poll1k],
    ['poll (add+summary+applications), 100k session', Number.NaN, poll100k],
  ];
  const targets: Target[] = [
    target(
      '9',
      'session add at 100k: last 10k / first 10k (µs per add)',
      addLast / addFirst,
      'x',
      '<=',
      2,
    ),
    target(
      '9',
      'session add (100k) / JSON.stringify of the record',
      addAll / json,
      'x',
      '<=',
      0.6,
      'was addMs < 3000 per 100k (30 µs per add); JSON.stringify measured 50 µs on 2026-12-06',
    ),
    target(
      '9',
      'first summary+applications at 100k / adding the 100k',
      first100k / addTotalMs,
      'x',
      '<=',
      0.17,
      'was firstMs < 500 vs addMs < 3000',
    ),
    target('9', 'poll at 100k / poll at 1k', poll100k / poll1k, 'x', '<=', 50),
    target(
      '9',
      'poll at 100k / one add',
      (poll100k * 1000) / addAll,
      'adds',
      '<=',
      667,
      'was pollMs < 20 vs addMs < 3000 per 100k (30 µs per add)',
    ),
  ];
  return {
    id: '9',
    title: `Session reducer at ${N} exchanges (${CLIENTS} applications)`,
    error: null,
    header: ['what', 'µs per record', 'ms'],
    rows,
    targets,
    notes: [
      `min of ${rounds} rounds; ${apps} applications; records: the bench's Entra mix, classified`,
      `ratios: add growth ${round(addLast / addFirst, 2)}, poll growth (100x the exchanges) ${round(poll100k / poll1k, 2)}`,
    ],
    data: { addFirst, addLast, addAll, first10k, first100k, poll1k, poll100k, json },
  };
}

// ---------------------------------------------------------------------------------------------
// 10. Pathological parser inputs vs normal inputs of the same size.
// ---------------------------------------------------------------------------------------------

/** A normal SAML response of at least `bytes` characters: many attributes, as big IdPs send. */
function normalSamlXml(bytes: number, valueHex = false): string {
  const head =
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2025-01-01T00:00:00Z" InResponseTo="_q1">' +
    '<saml:Issuer>https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/</saml:Issuer>' +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    '<saml:Assertion ID="_a1" Version="2.0" IssueInstant="2025-01-01T00:00:00Z"><saml:Issuer>https://sts.windows.net/x/</saml:Issuer>' +
    '<saml:Subject><saml:NameID>user@contoso.example</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="_q1" Recipient="https://app.example/acs"/></saml:SubjectConfirmation></saml:Subject><saml:AttributeStatement>';
  const tail = '</saml:AttributeStatement></saml:Assertion></samlp:Response>';
  const parts = [head];
  let size = head.length + tail.length;
  let seed = 12345;
  for (let i = 0; size < bytes; i++) {
    let v = `value-${i}`;
    if (valueHex) {
      v = '';
      for (let k = 0; k < 4; k++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        v += seed.toString(16).padStart(8, '0');
      }
    }
    const a = `<saml:Attribute Name="http://schemas.example/claims/c${i}"><saml:AttributeValue>${v}</saml:AttributeValue></saml:Attribute>`;
    parts.push(a);
    size += a.length;
  }
  parts.push(tail);
  return parts.join('');
}

/** A normal auto-post form page of at least `bytes` characters. */
function normalHtml(bytes: number): string {
  const head =
    '<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://app.example/signin-oidc">';
  const tail =
    '<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script>document.forms[0].submit()</script></body></html>';
  const parts = [head];
  let size = head.length + tail.length;
  for (let i = 0; size < bytes; i++) {
    const p = `<input type="hidden" name="field${i}" value="v${i}-abcdefghijklmnopqrstuvwxyz&amp;x" />`;
    parts.push(p);
    size += p.length;
  }
  parts.push(tail);
  return parts.join('');
}

function htmlExchange(html: string): RawExchange {
  return {
    id: 'ex-1',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 42,
    scheme: 'https',
    method: 'POST',
    host: 'login.microsoftonline.com',
    port: 443,
    url: '/common/oauth2/v2.0/token',
    requestHeaders: { host: 'login.microsoftonline.com' },
    requestBody: null,
    status: 200,
    responseHeaders: { 'content-type': 'text/html; charset=utf-8' },
    responseBody: { text: html, size: Buffer.byteLength(html), truncated: false },
    error: null,
    source: 'proxy',
  };
}

/** mulberry32: a small seeded PRNG, so the random inputs are the same in every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PARSER_SYNTAX (what the property tests bias towards) plus parameter names and telemetry. */
const SYNTAX = [
  ...PARSER_SYNTAX,
  'grant_type',
  'client_id',
  'SAMLRequest',
  'SAMLResponse',
  'x-client-SKU',
  'x-client-current-telemetry',
  'access_token',
  'id_token',
  '__proto__',
  'constructor',
  '5|1007,0|',
  '5|61,2,,,|,',
];

/** Random exchanges in the spirit of properties.test.ts: syntax soup in URL, form, headers, HTML. */
function randomExchanges(n: number): RawExchange[] {
  const rnd = prng(20261206);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const soup = (max: number): string => {
    const parts: string[] = [];
    const k = Math.floor(rnd() * max);
    for (let i = 0; i < k; i++)
      parts.push(rnd() < 0.7 ? pick(SYNTAX) : String.fromCharCode(Math.floor(rnd() * 0x3000)));
    return parts.join('');
  };
  const out: RawExchange[] = [];
  for (let i = 0; i < n; i++) {
    const form = Array.from(
      { length: 1 + Math.floor(rnd() * 8) },
      () => `${soup(6)}=${soup(40)}`,
    ).join('&');
    const kind = i % 4;
    const text =
      kind === 0
        ? form
        : kind === 1
          ? `<form action="${soup(10)}">${Array.from({ length: 8 }, () => `<input type=hidden name="${soup(4)}" value="${soup(30)}">`).join('')}`
          : kind === 2
            ? Buffer.from(`<samlp:Response ID="${soup(5)}">${soup(60)}</samlp:Response>`).toString(
                'base64',
              )
            : deflateRawSync(Buffer.from(soup(120))).toString('base64');
    const body = { text, size: text.length, truncated: rnd() < 0.2 };
    out.push({
      ...htmlExchange(''),
      url: `/t/saml2?${kind >= 2 ? `SAMLRequest=${encodeURIComponent(text)}&` : ''}${form}`,
      method: pick(['GET', 'POST', 'OPTIONS', '']),
      requestHeaders: {
        host: 'login.microsoftonline.com',
        'content-type': pick([
          'application/x-www-form-urlencoded',
          'application/json',
          'text/html',
          soup(5),
        ]),
        'x-client-sku': soup(8),
        'x-client-current-telemetry': soup(10),
      },
      requestBody: body,
      responseHeaders: {
        'content-type': pick(['text/html', 'application/json', soup(5)]),
        location: `https://app/cb?${form}#${form}`,
      },
      responseBody: kind === 1 ? body : null,
    });
  }
  return out;
}

interface Case {
  readonly name: string;
  /** The old unit-test bound (ms), and its file. */
  readonly wasMs: number;
  readonly wasFile: string;
  /** The hostile input at `k` times its test size, ready to run. */
  readonly hostile: (k: number) => () => unknown;
  /** A normal input of the size of hostile(1). */
  readonly normal: () => unknown;
  readonly bytes: number;
  /** Target: hostile / normal at most this (see OLD_BOUND_NOTE). */
  readonly max: number;
  /** The two sizes of the linearity check (x the test size); [2, 8] unless said. */
  readonly growth?: readonly [number, number];
}

const OLD_BOUND_NOTE =
  "hostile/normal goal = the old test bound in ms / the normal input's ms measured on 2026-12-06 (2 cores, load ~20), rounded down: the old bound in units of a normal input";

export async function sectionPathological(
  cfg: BenchConfig,
): Promise<Omit<SectionResult, 'seconds'>> {
  const { parseSamlParam, parseSamlXml } = await import('../../src/classifiers/parse/saml.js');
  const { isPlainWellFormedXml } = await import('../../src/classifiers/parse/well-formed.js');
  const { parseExchange } = await import('../../src/classifiers/parse/index.js');

  const cases: Case[] = [];
  const xmlCase = (name: string, xml: (k: number) => string, max: number): void => {
    const bytes = xml(1).length;
    const normal = normalSamlXml(bytes);
    cases.push({
      name,
      wasMs: 2000,
      wasFile: 'saml-reference.test.ts',
      bytes,
      max,
      // 8x would pass 1 MiB, which parseSamlXml refuses at once.
      growth: [1, 4],
      hostile: (k) => {
        const x = xml(k);
        return () => parseSamlXml(x, 'post', 'request', 'f');
      },
      normal: () => parseSamlXml(normal, 'post', 'request', 'f'),
    });
  };
  xmlCase(
    'parseSamlXml: 20,000 distinct sibling names',
    (k) =>
      `<Response>${Array.from({ length: 20_000 * k }, (_, i) => `<a${i}/>`).join('')}</Response>`,
    250,
  );
  xmlCase(
    'parseSamlXml: 20,000 repeated siblings + InResponseTo',
    (k) =>
      `<Response>${'<a><b/></a>'.repeat(20_000 * k)}<SubjectConfirmationData InResponseTo="q"/></Response>`,
    200,
  );
  const wellFormed: readonly (readonly [string, (k: number) => string, number])[] = [
    [
      'long value and many entities',
      (k) => `<a x="${'v'.repeat(500_000 * k)}">${'t&amp;'.repeat(100_000 * k)}</a>`,
      25,
    ],
    [
      '60 nested elements with attributes',
      (k) => `<a>${'<b x="1" y="2">'.repeat(60 * k)}${'</b>'.repeat(60 * k)}</a>`,
      50_000,
    ],
    ['50,000 duplicate attributes', (k) => `<a ${'x="1" '.repeat(50_000 * k)}/>`, 300],
    [
      '50,000 distinct attributes',
      (k) => `<a${Array.from({ length: 50_000 * k }, (_, i) => ` x${i}="1"`).join('')}/>`,
      100,
    ],
    ['100,000 unterminated entities', (k) => `<a>${'&amp'.repeat(100_000 * k)}</a>`, 200],
  ];
  for (const [name, xml, max] of wellFormed) {
    const bytes = xml(1).length;
    const normal = normalSamlXml(bytes);
    cases.push({
      name: `isPlainWellFormedXml: ${name}`,
      wasMs: 500,
      wasFile: 'saml-reference.test.ts',
      bytes,
      max,
      hostile: (k) => {
        const x = xml(k);
        return () => isPlainWellFormedXml(x);
      },
      normal: () => isPlainWellFormedXml(normal),
    });
  }
  /** A normal HTTP-Redirect SAML parameter inflating to at least `bytes` (random attribute values). */
  const normalRedirect = (bytes: number): string =>
    deflateRawSync(Buffer.from(normalSamlXml(bytes, true))).toString('base64');
  // A deflate bomb: 50 MiB of spaces, refused once inflating passes 1 MiB. The normal input: a
  // normal message of the same encoded size.
  const bomb = (k: number): string =>
    deflateRawSync(Buffer.alloc(50 * 1024 * 1024 * k, 0x20)).toString('base64');
  const bomb1 = bomb(1);
  let normalBomb = '';
  for (let b = 1000; normalBomb.length < bomb1.length; b = Math.ceil(b * 1.2))
    normalBomb = normalRedirect(b);
  cases.push({
    name: 'parseSamlParam: deflate bomb (50 MiB of spaces)',
    wasMs: 2000,
    wasFile: 'saml.test.ts',
    bytes: bomb1.length,
    max: 25,
    // 8x would deflate 400 MiB here: 1x and 4x are enough to see the refusal does not grow.
    growth: [1, 4],
    hostile: (k) => {
      const x = k === 1 ? bomb1 : bomb(k);
      return () => parseSamlParam(x, 'redirect', 'request');
    },
    normal: () => parseSamlParam(normalBomb, 'redirect', 'request'),
  });
  // Deep nesting, refused before parsing (properties.test.ts: depth up to 20,000). The normal
  // input inflates to the same size.
  for (const [tag, max] of [
    ['a', 13],
    ['saml:Assertion', 2],
    ['x y="1"', 6],
  ] as const) {
    const name = tag.split(' ')[0] ?? 'a';
    const deepXml = (k: number): string =>
      `<${tag}>`.repeat(20_000 * k) + `</${name}>`.repeat(20_000 * k);
    const bytes = deepXml(1).length;
    const normal = normalRedirect(bytes);
    cases.push({
      name: `parseSamlParam: <${tag}> nested 20,000 deep`,
      wasMs: 250,
      wasFile: 'properties.test.ts',
      bytes,
      max,
      hostile: (k) => {
        const x = deflateRawSync(Buffer.from(deepXml(k))).toString('base64');
        return () => parseSamlParam(x, 'redirect', 'request');
      },
      normal: () => parseSamlParam(normal, 'redirect', 'request'),
    });
  }
  const hostileHtml: readonly (readonly [
    string,
    (k: number) => string,
    (readonly [number, number])?,
  ])[] = [
    [
      'many unterminated inputs',
      (k) => '<form action="/x">' + '<input name="a" value="'.repeat(20_000 * k),
    ],
    // Up to 2x, the regex's work on this one is cheaper per byte (measured 2026-12-06: 1x 5 ms, 2x 20,
    // 4x 45, 8x 90-130, 16x 230): its growth is taken from 4x to 16x.
    ['many unterminated forms', (k) => "<form action='".repeat(20_000 * k), [4, 16]],
    // Irregular above ~1.6 MB (measured 2026-12-06, ms at 1x..16x: 4, 7.6, 17-20, 60-128, 137-218):
    // its growth is taken from 1x to 4x (4.3-4.8x).
    [
      'many attributes in an unterminated value',
      (k) => '<form><input value="' + ' a="'.repeat(50_000 * k),
      [1, 4],
    ],
    ['many forms and inputs', (k) => '<form><input type=hidden name=a value=b>'.repeat(20_000 * k)],
    [
      'entity soup',
      (k) =>
        '<form><input type=hidden name=SAMLResponse value="' +
        '&#x41;&amp;&bogus;'.repeat(30_000 * k) +
        '"></form>',
    ],
  ];
  for (const [name, html, growth] of hostileHtml) {
    const bytes = html(1).length;
    const normal = htmlExchange(normalHtml(bytes));
    cases.push({
      name: `parseExchange, HTML: ${name}`,
      wasMs: 500,
      wasFile: 'properties.test.ts',
      bytes,
      max: 350,
      ...(growth ? { growth } : {}),
      hostile: (k) => {
        const x = htmlExchange(html(k));
        return () => parseExchange(x);
      },
      normal: () => parseExchange(normal),
    });
  }

  const repeats = Math.max(5, cfg.rounds * 2 + 1);
  const rows: (string | number)[][] = [];
  const targets: Target[] = [];
  for (const c of cases) {
    // Linearity from 2x to 8x the test's size: at 1x some inputs still fit in caches and the
    // young generation, which makes 1x -> 4x look worse than linear when it is not.
    const [lo, hi] = c.growth ?? [2, 8];
    const h1 = c.hostile(1);
    const hLo = lo === 1 ? h1 : c.hostile(lo);
    const hHi = c.hostile(hi);
    minTimes([c.normal, h1, hLo, hHi], 2); // warm-up (JIT)
    const [n, a, x, y] = minTimes([c.normal, h1, hLo, hHi], repeats) as [
      number,
      number,
      number,
      number,
    ];
    rows.push([c.name, c.bytes, n, a, a / n, `${lo}x->${hi}x: ${round(y / x, 2)}`]);
    targets.push(
      target(
        '10',
        `${c.name}: hostile / normal`,
        a / n,
        'x',
        '<=',
        c.max,
        `was ${c.wasFile} < ${c.wasMs} ms`,
      ),
      target(
        '10',
        `${c.name}: hostile at ${hi}x size / at ${lo}x`,
        y / x,
        'x',
        '<=',
        10,
        'linear: 4; quadratic: 16',
      ),
    );
  }

  // Random inputs (the property tests' kind): the slowest one against a normal token exchange.
  const SAMPLES = cfg.quick ? 1000 : 3000;
  const randoms = randomExchanges(SAMPLES);
  const normalRaws = Array.from({ length: 200 }, (_, i) => toRawExchange(entraSpec(i), i));
  for (const r of randoms) parseExchange(r); // warm-up
  const normalMs = normalRaws.map((r) => minTimes([() => parseExchange(r)], 3, false)[0]!);
  normalMs.sort((a, b) => a - b);
  const normalMedian = normalMs[Math.floor(normalMs.length / 2)]!;
  let slowest = 0;
  let slowestBytes = 0;
  for (const r of randoms) {
    let ms = timeOnce(() => parseExchange(r), false);
    // Re-time only the slow ones: the minimum of 5 tells a slow input from a preempted call.
    if (ms > 10 * normalMedian) ms = Math.min(ms, ...minTimes([() => parseExchange(r)], 5, false));
    if (ms > slowest) {
      slowest = ms;
      slowestBytes = (r.requestBody?.size ?? 0) + r.url.length;
    }
  }
  rows.push([
    `parseExchange: slowest of ${SAMPLES} random exchanges vs median normal token exchange`,
    slowestBytes,
    normalMedian,
    slowest,
    slowest / normalMedian,
    Number.NaN,
  ]);
  targets.push(
    target(
      '10',
      `parseExchange: slowest of ${SAMPLES} random exchanges / median normal exchange`,
      slowest / normalMedian,
      'x',
      '<=',
      1000,
      'was properties.test.ts < 250 ms per call (about 25,000 normal exchanges)',
    ),
  );
  return {
    id: '10',
    title: 'Pathological parser inputs vs normal inputs of the same size',
    error: null,
    header: ['input', 'bytes', 'normal ms', 'hostile ms', 'hostile/normal', 'growth (size x4)'],
    rows,
    targets,
    notes: [
      `min of ${repeats} interleaved runs per input (normal, hostile, hostile at 2x and 8x size, ...)`,
      OLD_BOUND_NOTE,
    ],
    data: Object.fromEntries(rows.map((r) => [String(r[0]), r.slice(1)])),
  };
}

// ---------------------------------------------------------------------------------------------
// 11. Streamed report rendering of 100k exchanges.
// ---------------------------------------------------------------------------------------------

/**
 * renderReport(json|har|html) over 100k records read lazily, the chunks only counted: the cost per
 * record as a ratio of JSON.stringify of the same records (the floor of writing any report of
 * them). (Was: test/unit/report/streaming.test.ts, < 20 s per format, "~1 s when idle"; the test
 * keeps its memory bounds.)
 */
export async function sectionStreamedRender(
  cfg: BenchConfig,
): Promise<Omit<SectionResult, 'seconds'>> {
  const { createSession } = await import('../../src/classifiers/session.js');
  const { classifyExchange } = (await import('../../src/classifiers/index.js')) as {
    classifyExchange: (raw: RawExchange) => ExchangeRecord;
  };
  const { buildReportHead } = await import('../../src/report/build.js');
  const { renderReport } = await import('../../src/report/formats.js');
  const n = cfg.quick ? 20_000 : N;
  const base = Array.from({ length: 1800 }, (_, i) =>
    classifyExchange(toRawExchange(entraSpec(i), i)),
  );
  const recordAt = (i: number): ExchangeRecord => ({ ...base[i % base.length]!, id: `e${i}` });
  const s = createSession();
  for (let i = 0; i < n; i++) s.add(recordAt(i));
  const head = buildReportHead({
    applications: s.applications(),
    summary: s.summary(),
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T01:00:00.000Z',
    sources: [{ kind: 'proxy', name: 'http://127.0.0.1:8080' }],
    version: '0.0.0-bench',
  });
  const input = {
    head,
    exchanges: async function* (): AsyncIterable<ExchangeRecord> {
      for (let i = 0; i < n; i++) yield recordAt(i);
    },
  };
  /** µs per record of the floor: each record made and stringified, as the stream makes them. */
  const floor = async (): Promise<{ us: number; bytes: number }> => {
    let bytes = 0;
    const t0 = performance.now();
    for await (const r of input.exchanges()) bytes += JSON.stringify(r).length;
    return { us: ((performance.now() - t0) * 1000) / n, bytes };
  };
  const render = async (
    format: 'json' | 'har' | 'html',
  ): Promise<{ us: number; bytes: number }> => {
    let bytes = 0;
    const t0 = performance.now();
    for await (const chunk of renderReport(format, input)) bytes += chunk.length;
    return { us: ((performance.now() - t0) * 1000) / n, bytes };
  };
  const formats = ['json', 'har', 'html'] as const;
  const rounds = cfg.quick ? 1 : 2;
  let floorUs = Infinity;
  let floorBytes = 0;
  const best = new Map<string, { us: number; bytes: number }>();
  for (let r = 0; r < rounds; r++) {
    // Interleaved: the floor next to each format, so load changes hit both.
    for (const f of formats) {
      const fl = await floor();
      if (fl.us < floorUs) ({ us: floorUs, bytes: floorBytes } = fl);
      const x = await render(f);
      if (x.us < (best.get(f)?.us ?? Infinity)) best.set(f, x);
      global.gc?.();
    }
  }
  const rows: (string | number)[][] = [
    [`JSON.stringify of each record (floor)`, floorUs, floorBytes / 1048576, 1],
  ];
  const targets: Target[] = [];
  // Goals: 5x the ratio measured on 2026-12-06 (json 1.2, har 1.9, html 2.6), rounded up: an alarm
  // for a renderer that starts doing per-record work out of proportion, whatever the machine.
  const goal: Record<(typeof formats)[number], number> = { json: 6, har: 10, html: 13 };
  for (const f of formats) {
    const x = best.get(f)!;
    rows.push([`renderReport(${f})`, x.us, x.bytes / 1048576, x.us / floorUs]);
    targets.push(
      target(
        '11',
        `renderReport(${f}) of ${n} records / JSON.stringify of them`,
        x.us / floorUs,
        'x',
        '<=',
        goal[f],
        'was streaming.test.ts < 20 s per format',
      ),
    );
  }
  return {
    id: '11',
    title: `Streamed report rendering of ${n} exchanges`,
    error: null,
    header: ['what', 'µs per record', 'MiB out', 'x floor'],
    rows,
    targets,
    notes: [`min of ${rounds} interleaved rounds; records: the bench's Entra mix, classified`],
    data: Object.fromEntries(rows.map((r) => [String(r[0]), r.slice(1)])),
  };
}
