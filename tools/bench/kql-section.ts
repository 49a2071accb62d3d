/**
 * Section 9: the reduction the `kql` query buys. The same generated sign-ins as section 8
 * (1,000,000 of 200 apps by default) summarized the way the query does it in the engine
 * (signin-tuples.ts), then the tuple table classified: in this process (read, fold, judge, record
 * into a session log: `classify` without Node's start and module loading; best of 3) and by the
 * real CLI to JSON + HTML, measured in the same run as the CLI's own start (`--version`) and a
 * classify of the raw rows' first 100,000 as a Log Analytics CSV for scale. Target: the tuple
 * table classifies in under a second.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyFiles } from '../../src/session/classify-files.js';
import { round } from './common.js';
import { run } from './offline-sections.js';
import type { BenchConfig } from './proxy-sections.js';
import { target, type SectionResult } from './report.js';
import { laRow, makeTenant, tenantRows, writeLa } from './signin-gen.js';
import { TupleEngine, writeTuples } from './signin-tuples.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const TIMEOUT_MS = 10 * 60_000;
const RAW_SAMPLE = 100_000;

export async function sectionKql(cfg: BenchConfig): Promise<Omit<SectionResult, 'seconds'>> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing (npm run build)`);
  const n = cfg.signIns;
  const tenant = makeTenant(200, 1);
  cfg.progress(`9 kql: summarizing ${n} generated sign-ins as the query does`);
  const engine = new TupleEngine();
  const sample: Record<string, unknown>[] = [];
  const g0 = performance.now();
  for (const { row } of tenantRows(tenant, n, 2)) {
    engine.add(laRow(row));
    if (sample.length < Math.min(RAW_SAMPLE, n)) sample.push(row);
  }
  const tuples = engine.tuples();
  const engineS = (performance.now() - g0) / 1000;
  const files = {
    csv: path.join(cfg.tmpDir, 'tuples.csv'),
    api: path.join(cfg.tmpDir, 'tuples-api.json'),
    raw: path.join(cfg.tmpDir, 'raw-sample.csv'),
  };
  await writeTuples(files.csv, tuples, 'csv');
  await writeTuples(files.api, tuples, 'la-api');
  await writeLa(files.raw, sample, 'csv');
  const rows: (string | number)[][] = [];
  const notes: string[] = [
    `${n} sign-ins of ${tenant.length} apps -> ${tuples.length} fact tuples (${round(n / tuples.length, 0)}x fewer); generating and summarizing them here took ${round(engineS, 1)} s (the engine's work, not the tool's)`,
    'the CLI rows include Node starting and loading the report modules (the --version row is the bare start): on a busy machine they dominate',
    `tuple table: ${round(statSync(files.csv).size / 1024, 1)} KiB as CSV, ${round(statSync(files.api).size / 1024, 1)} KiB as a query API response`,
  ];
  const exec = async (label: string, args: string[]): Promise<number> => {
    cfg.progress(`9 kql: ${label}`);
    const r = await run(args, cfg.tmpDir, TIMEOUT_MS);
    const ok = r.code === 0 && !r.timedOut;
    rows.push([
      label,
      ok ? 'exit 0' : `exit ${r.code ?? r.signal}`,
      round(r.wallS, 2),
      round(r.peakRssMb, 0),
    ]);
    if (!ok)
      notes.push(`${label} FAILURE: ${r.stderr.split('\n').slice(-3).join(' | ').slice(0, 400)}`);
    return ok ? r.wallS : Number.NaN;
  };
  const out = (f: string): string[] => [
    '--out',
    path.join(cfg.tmpDir, `${f}.json`),
    '--out',
    path.join(cfg.tmpDir, `${f}.html`),
  ];
  let inProcessS = Number.POSITIVE_INFINITY;
  let recorded = 0;
  for (const [i, file] of [files.csv, files.csv, files.csv].entries()) {
    const t0 = performance.now();
    const r = await classifyFiles({
      files: [file],
      keep: { log: path.join(cfg.tmpDir, `k-in-process-${i}.session.ndjson`) },
    });
    inProcessS = Math.min(inProcessS, (performance.now() - t0) / 1000);
    recorded = r.signIns.rows;
  }
  rows.push([
    `in process: classify tuples.csv (read, fold, judge, record; best of 3)`,
    recorded === n ? 'ok' : `${recorded} of ${n} sign-ins`,
    round(inProcessS, 3),
    '',
  ]);
  if (recorded !== n) inProcessS = Number.NaN;
  const startS = await exec('floor: entra-bas-proxy --version (CLI start)', [CLI, '--version']);
  const csvS = await exec(`classify tuples.csv (${tuples.length} tuples) --out .json --out .html`, [
    CLI,
    'classify',
    files.csv,
    ...out('k-csv'),
  ]);
  const apiS = await exec('classify tuples-api.json (query API shape) --out .json --out .html', [
    CLI,
    'classify',
    files.api,
    ...out('k-api'),
  ]);
  const rawS = await exec(`for scale: classify ${sample.length} raw rows (Log Analytics CSV)`, [
    CLI,
    'classify',
    files.raw,
    ...out('k-raw'),
  ]);
  for (const f of Object.values(files)) rmSync(f, { force: true });
  return {
    id: '9',
    title: `the kql reduction: ${n} sign-ins of ${tenant.length} apps as fact tuples`,
    error: null,
    header: ['command', 'status', 'wall s', 'peak RSS MB'],
    rows,
    targets: [target('9', 'classify of the tuple table (in process)', inProcessS, 's', '<', 1)],
    notes,
    data: {
      signIns: n,
      apps: tenant.length,
      tuples: tuples.length,
      classifyInProcessS: round(inProcessS, 3),
      reduction: round(n / tuples.length, 0),
      cliStartS: round(startS, 3),
      classifyCsvS: round(csvS, 3),
      classifyApiS: round(apiS, 3),
      rawSample: sample.length,
      classifyRawSampleS: round(rawS, 3),
    },
  };
}
