/**
 * The sign-in reading cut into chunks (read.ts) and folded per chunk (chunk.ts, the pool's
 * `signin-chunk` task), parts merged in order (fold.ts): the records, counts, skips and joins are
 * those of folding every row one by one, whatever the chunk size and the number of workers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../../src/session/pool.js';
import { signInChunk } from '../../../../src/sources/signins/chunk.js';
import {
  createSignInFold,
  MAX_HOURS,
  type SignInFold,
} from '../../../../src/sources/signins/fold.js';
import { foldSignIns, readSignIns } from '../../../../src/sources/signins/read.js';
import {
  makeTenant,
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
