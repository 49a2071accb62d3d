/**
 * The sign-in reading cut into chunks (read.ts) and folded per chunk (chunk.ts, the pool's
 * `signin-chunk` task), parts merged in order (fold.ts): the records, counts, skips and joins are
 * those of folding every row one by one, whatever the chunk size and the number of workers.
 */
import { isAscii } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../../src/session/pool.js';
import {
  chunkRows,
  pageRows,
  signInChunk,
  type SignInChunk,
} from '../../../../src/sources/signins/chunk.js';
import {
  createSignInFold,
  foldChunk,
  MAX_HOURS,
  type SignInFold,
} from '../../../../src/sources/signins/fold.js';
import { foldSignIns } from '../../../../src/sources/signins/read.js';
import { readSignIns } from '../../../helpers/read-signins.js';
import {
  makeTenant,
  prng,
  tenantRows,
  writeAdminCsv,
  writeAdminJson,
  writeDiag,
  writeGraph,
} from '../../../../tools/bench/signin-gen.js';
import { tempDir } from '../../../helpers/temp.js';

const dir = tempDir('signin-chunks');
const tenant = makeTenant(23, 5);
const rows = [...tenantRows(tenant, 1500, 4)].map((x) => x.row);
const ids = rows.map((r) => String(r['correlationId']).toLowerCase());

/** Everything a fold gives: records, rows, the join of every correlation id. */
function view(fold: SignInFold) {
  return {
    rows: fold.rows,
    records: fold.records(),
    joins: ids.map((id) => fold.joins.get(id)),
    full: fold.joins.full,
  };
}

/** The reference: every row read and added one by one in this thread. */
async function oneByOne(path: string) {
  const fold = createSignInFold();
  const it = readSignIns(path);
  for await (const r of it) fold.add(r);
  return { ...view(fold), skipped: Object.fromEntries(it.stats.skipped) };
}

async function chunked(path: string, pool: Pool | null, chunkSize: number) {
  const fold = createSignInFold();
  const stats = await foldSignIns(path, fold, {
    chunkSize,
    ...(pool ? { run: (c) => pool.run('signin-chunk', c), inFlight: 3 } : {}),
  });
  return { ...view(fold), skipped: Object.fromEntries(stats.skipped) };
}

describe('sign-in chunks folded in parallel', () => {
  let pool: Pool;
  const files: [string, string][] = [];
  beforeAll(async () => {
    pool = await createPool({ size: 2 });
    const write = async (name: string, w: (p: string) => Promise<void>): Promise<void> => {
      const p = join(dir, name);
      await w(p);
      files.push([name, p]);
    };
    await write('graph.json', (p) => writeGraph(p, rows, { pageSize: 40 }));
    // Pages and blobs over 128 KB: their records parsed a group at a time (pageRows).
    await write('graph-pages.json', (p) => writeGraph(p, rows, { pageSize: 150 }));
    await write('blobs.ndjson', (p) => writeDiag(p, rows, { blobs: 150 }));
    await write('InteractiveSignIns_x.csv', (p) => writeAdminCsv(p, rows));
    await write('admin.json', (p) => writeAdminJson(p, rows));
    await write('diag.ndjson', (p) => writeDiag(p, rows));
    // Bad rows among good ones: skipped and counted the same way in every chunking.
    const p = join(dir, 'mixed.ndjson');
    writeFileSync(
      p,
      rows
        .slice(0, 300)
        .map((r, i) => (i % 37 === 5 ? 'not json' : i % 41 === 7 ? '{"x":1}' : JSON.stringify(r)))
        .join('\n') + '\n',
    );
    files.push(['mixed.ndjson', p]);
  }, 60_000);
  afterAll(async () => {
    await pool.close();
  });

  it('gives the same records, counts, skips and joins for any chunking and any workers', async () => {
    expect(pool.size).toBe(2);
    for (const [name, path] of files) {
      const ref = await oneByOne(path);
      expect(ref.rows, name).toBeGreaterThan(200);
      expect(ref.records.length, name).toBeGreaterThan(20);
      for (const [p, size] of [
        [null, 1 << 20],
        [null, 777],
        [pool, 1 << 20],
        [pool, 4093],
      ] as const) {
        expect(
          await chunked(path, p, size),
          `${name}, ${p ? 2 : 0} workers, chunks of ${size}`,
        ).toEqual(ref);
      }
    }
  }, 120_000);

  it('reuses a chunk buffer only once its chunk is read, however late the run reads it', async () => {
    const path = files.find(([n]) => n === 'graph.json')?.[1] as string;
    const ref = await oneByOne(path);
    const fold = createSignInFold();
    const buffers = new Set<ArrayBufferLike>();
    let chunks = 0;
    await foldSignIns(path, fold, {
      chunkSize: 4093,
      inFlight: 3,
      // Each chunk is read late, after the reader has cut the next ones.
      run: async (c) => {
        chunks++;
        if (c.bytes) buffers.add(c.bytes.buffer);
        await new Promise((r) => setTimeout(r, 2));
        return signInChunk(c);
      },
    });
    expect({ ...view(fold), skipped: {} }).toEqual({ ...ref, skipped: {} });
    expect(chunks).toBeGreaterThan(10);
    // Spent buffers took later chunks: fewer buffers than chunks, and all shared.
    expect(buffers.size).toBeLessThan(chunks / 2);
    for (const b of buffers) expect(b).toBeInstanceOf(SharedArrayBuffer);
  }, 60_000);

  it('merging parts keeps the latest MAX_HOURS hours, as adding rows does', async () => {
    // One app failing in 3 * MAX_HOURS distinct hours, in shuffled order, in many chunks.
    const base = Date.parse('2026-01-01T00:00:00Z');
    const hours = Array.from({ length: 3 * MAX_HOURS }, (_, i) => i).sort(
      (a, b) => ((a * 7919) % 601) - ((b * 7919) % 601),
    );
    const p = join(dir, 'hours.ndjson');
    writeFileSync(
      p,
      hours
        .map((h) =>
          JSON.stringify({
            appId: 'app-1',
            createdDateTime: new Date(base + h * 3_600_000).toISOString(),
            status: { errorCode: 50_000 },
            tokenIssuerType: h % 2 ? 'AzureADBackupAuth' : 'AzureAD',
          }),
        )
        .join('\n'),
    );
    const ref = await oneByOne(p);
    const got = await chunked(p, pool, 1000);
    expect(got).toEqual(ref);
    expect(got.records[0]?.signIns?.failedHours).toHaveLength(MAX_HOURS);
  }, 60_000);

  it('reads a chunk of ASCII (decoded as Latin-1) and of UTF-8 as the same text', () => {
    const header = ['Date (UTC)', 'Application', 'Application ID'];
    for (const name of ['Contoso app', 'Café – 日本 ✓', 'Ã©']) {
      const csv = Buffer.from(`2026-01-01T00:00:00.000Z,${name},app-1\r\n`, 'utf8');
      const a = signInChunk({ mode: 'csv-admin', hint: null, bytes: csv, header });
      const line = Buffer.from(`${JSON.stringify({ appId: 'app-1', appDisplayName: name })}\n`);
      const b = signInChunk({ mode: 'lines', hint: null, bytes: line });
      expect([a, b].map((r) => r.part.groups.map((g) => g.appName))).toEqual([[name], [name]]);
    }
  });
});

/**
 * A Graph page or records blob on one long line is parsed a group of records at a time
 * (chunk.ts pageRows): it gives JSON.parse's rows exactly, or nothing (false: the line is parsed
 * whole), or throws (signInChunk reads the chunk again, each line whole). Never other rows.
 */
describe('a long page parsed a group of records at a time', () => {
  const page = (recs: unknown[], extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#auditLogs/signIns',
      value: recs,
      '@odata.nextLink': 'https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=1',
      ...extra,
    });
  const recs = rows.slice(0, 120);
  /** What JSON.parse of the whole line gives rowsOf (a page's value, else a blob's records). */
  const parsed = (line: string): unknown[] => {
    const v = JSON.parse(line) as Record<string, unknown>;
    const a = Array.isArray(v['value']) ? v['value'] : v['records'];
    return Array.isArray(a) ? a : [];
  };
  /** pageRows on `line`: true (its rows checked against JSON.parse's), false or 'threw'. */
  const cut = (line: string): boolean | 'threw' => {
    const b = Buffer.from(`${line}\n`, 'utf8');
    const got: unknown[] = [];
    let r: boolean | 'threw';
    try {
      r = pageRows(b, 0, b.length - 1, isAscii(b) ? 'latin1' : 'utf8', (x) => got.push(x));
    } catch {
      r = 'threw';
    }
    if (r === true) expect(got).toEqual(parsed(line));
    if (r === false) expect(got).toEqual([]);
    return r;
  };
  /** A chunk of lines, read as signInChunk does and each line whole (the reference). */
  const both = (lines: string[], last = false) => {
    const c: SignInChunk = {
      mode: 'lines',
      hint: null,
      bytes: Buffer.from(lines.join('\n') + (last ? '' : '\n')),
      ...(last ? { last } : {}),
    };
    const skipped = new Map<string, number>();
    let truncated = false;
    const part = foldChunk((add) => {
      truncated = chunkRows(c, add, (why) => skipped.set(why, (skipped.get(why) ?? 0) + 1));
    });
    return { got: signInChunk(c), ref: { part, skipped: [...skipped], truncated, tuples: false } };
  };
  const policies = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `ca-${i}`,
      displayName: `Policy ${i}`,
      result: 'success',
    }));

  it('cuts Graph pages, records blobs and non-ASCII pages, with nested arrays of "id" items', () => {
    expect(JSON.stringify(recs).length).toBeGreaterThan(4 * 32 * 1024);
    expect(cut(page(recs))).toBe(true);
    expect(
      cut(
        JSON.stringify({
          records: recs.map((r) => ({
            time: r['createdDateTime'],
            category: 'SignInLogs',
            properties: r,
          })),
        }),
      ),
    ).toBe(true);
    const named = recs.map((r, i) => ({ ...r, appDisplayName: `Café ${i} – 日本 ✓` }));
    expect(cut(page(named))).toBe(true);
    const ca = recs.map((r) => ({ ...r, appliedConditionalAccessPolicies: policies(12) }));
    expect(cut(page(ca))).toBe(true);
  });

  it('gives nothing or throws where a cut would go wrong', () => {
    const cases: [string, string, (boolean | 'threw')[]][] = [
      // Nested items that open as a record does: a group edge inside a record does not parse.
      [
        'nested record-like items',
        page(
          recs.map((r) => ({
            ...r,
            extra: [
              { id: 'n1', createdDateTime: 'x' },
              { id: 'n2', createdDateTime: 'y' },
            ],
          })),
        ),
        ['threw'],
      ],
      [
        'a "]" after the array',
        page(recs, { '@odata.nextLink': 'https://x/?$filter=a[0]' }),
        [false],
      ],
      ['a second "value" key, empty', `${page(recs).slice(0, -1)},"value":[]}`, [false, 'threw']],
      [
        'a nested "value" array first',
        page(recs).replace('{"@odata.context"', '{"meta":{"value":[1,2]},"@odata.context"'),
        [false],
      ],
      [
        'an escaped key ending in "value"',
        page(recs).replace('{"@odata.context"', '{"a\\"value":[1],"@odata.context"'),
        [false],
      ],
      [
        'a string holding "value":[',
        page(recs).replace('{"@odata.context"', '{"s":"\\"value\\":[","@odata.context"'),
        [true],
      ],
      // The array found is not the one rowsOf reads: the line emptied there tells.
      ['only a nested "value" array', JSON.stringify({ meta: { value: recs } }), [false]],
      [
        'an empty "value" spelled with an escape, then a nested one',
        JSON.stringify({ meta: { value: recs } }).replace('{"meta"', '{"\\u0076alue":[],"meta"'),
        [false],
      ],
      [
        'a "value" of [1] spelled with an escape, then a nested one',
        JSON.stringify({ meta: { value: recs } }).replace('{"meta"', '{"\\u0076alue":[1],"meta"'),
        [false],
      ],
      ['spaced JSON', JSON.stringify({ value: recs }).replace('"value":[', '"value": ['), [false]],
      ['a top-level array', `[${page(recs)}]`, [false]],
      ['truncated', page(recs).slice(0, -5000), [false, 'threw']],
      [
        'not JSON late in the array',
        page(recs).replace(/"appId":"/g, (m, at: number) => (at > 150_000 ? '"appId:"' : m)),
        ['threw'],
      ],
    ];
    for (const [name, line, outcomes] of cases) expect(outcomes, name).toContain(cut(line));
  });

  it('never gives other rows than JSON.parse, whatever is changed in a page', () => {
    const base = page(
      recs
        .slice(0, 60)
        .map((r, i) => (i % 7 ? r : { ...r, appliedConditionalAccessPolicies: policies(5) })),
    );
    const rand = prng(12);
    const bits = [
      '[',
      ']',
      '{',
      '}',
      ',',
      '"',
      '\\',
      ':',
      ' ',
      '1',
      '},{"id":"x","createdDateTime":',
      '"value":[',
      ']}',
      '"records":[',
    ];
    const seen = new Set<boolean | 'threw'>();
    for (let i = 0; i < 300; i++) {
      const at = Math.floor(rand() * base.length);
      const bit = bits[Math.floor(rand() * bits.length)] ?? '';
      const op = Math.floor(rand() * 3);
      const line =
        op === 0
          ? base.slice(0, at) + base.slice(at + 1)
          : op === 1
            ? base.slice(0, at) + bit + base.slice(at)
            : base.slice(0, at);
      seen.add(cut(line));
    }
    // Every outcome happened: the property was tested on each.
    expect([...seen].sort()).toEqual([false, true, 'threw'].sort());
  });

  it('reads a chunk with a bad or cut-off long page as reading each line whole does', () => {
    const good = page(recs);
    const bad = good.replace(/"appId":"/g, (m, at: number) => (at > 150_000 ? '"appId:"' : m));
    const nested = page(
      recs.map((r) => ({
        ...r,
        extra: [
          { id: 'n1', createdDateTime: 'x' },
          { id: 'n2', createdDateTime: 'y' },
        ],
      })),
    );
    for (const [lines, last] of [
      [[good, bad, good], false],
      [[good, nested, '{"x":1}', good], false],
      [[good, good.slice(0, -3000)], true],
      [[good, good.slice(0, -3000)], false],
    ] as const) {
      const { got, ref } = both([...lines], last);
      expect(got).toEqual(ref);
      expect(got.part.rows).toBeGreaterThanOrEqual(recs.length);
    }
    expect(both([good, good.slice(0, -3000)], true).got.truncated).toBe(true);
    expect(both([good, bad], false).got.skipped).toEqual([['not JSON', 1]]);
  });
});
