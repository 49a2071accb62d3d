/**
 * #12 bad input, "a 2 GB file": `classify` on 2 GB sign-in exports (sparse files: a valid head, then
 * 2 GB of NUL bytes, no line end) gives a one-line error or a bounded-memory result, never a crash
 * or a hang. Node cannot hold 2 GB in one string (its limit is about 512 MiB), and the CLI runs here
 * with a 128 MB heap: reading a whole file, or a whole record, would fail.
 */
import {
  appendFileSync,
  closeSync,
  openSync,
  readFileSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/types.js';
import { makeTenant, tenantRows, writeAdminCsv } from '../../tools/bench/signin-gen.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const GB2 = 2 * 1024 ** 3;
const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=128' };

/** `head`, then NUL bytes up to 2 GB (a hole: no disk used). */
function sparse(path: string, head: string): string {
  writeFileSync(path, head);
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, GB2);
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('classify on a 2 GB sign-in export', () => {
  const tenant = makeTenant(3, 9);
  const rows = [...tenantRows(tenant, 3, 1)].map((x) => x.row);

  it('a CSV whose last record never ends: the rows before it, the rest skipped and counted', async () => {
    const dir = tempDir('signins-2gb');
    const small = join(dir, 'head.csv');
    await writeAdminCsv(small, rows);
    const file = sparse(join(dir, 'InteractiveSignIns_2gb.csv'), readFileSync(small, 'utf8'));
    const out = join(dir, 'r.json');
    const r = await runCli(['classify', file, '--out', out, '--out', join(dir, 'r.html')], {
      env,
      timeoutMs: 240_000,
    });
    expect(r.stderr).toContain('InteractiveSignIns_2gb.csv: skipped 1 row (1 too large)');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    const counted = report.exchanges.reduce((n, x) => n + (x.signIns?.total ?? 0), 0);
    expect(counted).toBe(rows.length);
  }, 300_000);

  it('JSON lines with a line over 64 MiB: the lines around it, the long one skipped and counted', async () => {
    const dir = tempDir('signins-2gb');
    const file = join(dir, 'lines.ndjson');
    const [a, b, c] = rows.map((r) => JSON.stringify(r));
    writeFileSync(file, `${a}\n${b}\n`);
    const fd = openSync(file, 'r+');
    try {
      // A 70 MB line of NUL bytes (a hole), then one more row.
      ftruncateSync(fd, 70 * 1024 ** 2);
    } finally {
      closeSync(fd);
    }
    appendFileSync(file, `\n${c}\n`);
    const out = join(dir, 'r.json');
    const r = await runCli(['classify', file, '--out', out], { env, timeoutMs: 120_000 });
    expect(r.stderr).toContain('lines.ndjson: skipped 1 row (1 too large)');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.exchanges.reduce((n, x) => n + (x.signIns?.total ?? 0), 0)).toBe(3);
  }, 180_000);

  it('a Graph page cut off by garbage: one line, the JSON error and where', async () => {
    const dir = tempDir('signins-2gb');
    const file = sparse(
      join(dir, 'page.json'),
      `{"@odata.context":"x","value":[${JSON.stringify(rows[0])},`,
    );
    const r = await runCli(['classify', file, '--out', join(dir, 'r.json')], {
      env,
      timeoutMs: 240_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/page\.json: invalid JSON \(unexpected character .* at offset \d+\)/);
  }, 300_000);

  it('2 GB of nothing: one line, not a sign-in export', async () => {
    const dir = tempDir('signins-2gb');
    const file = sparse(join(dir, 'zeros.json'), '');
    const r = await runCli(
      ['classify', file, '--format', 'signins', '--out', join(dir, 'r.json')],
      {
        env,
        timeoutMs: 60_000,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/zeros\.json: neither JSON nor CSV/);
  }, 120_000);
});
