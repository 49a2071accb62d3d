/**
 * Section 8: `classify` of a realistic sign-in log export (Graph beta JSON pages and the
 * admin-center CSV, 1,000,000 records by default) with the real CLI to JSON + HTML, against a floor
 * measured in the same run on the same file: a bare read + JSON.parse / CSV split (signin-floor.ts,
 * one thread). Targets: at least 100,000 records/s, at least 0.5x the floor's rate, peak RSS under
 * 300 MB. classify parses in the pool (one worker per CPU, up to 4: the `signin-chunk` task), so
 * its rate depends on idle cores: the load average before each run and the CPU seconds of each
 * (all threads) are reported beside the wall times; CPU s per record against the floor's is the
 * figure a busy machine does not move.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './common.js';
import { run } from './offline-sections.js';
import type { BenchConfig } from './proxy-sections.js';
import { target, type SectionResult, type Target } from './report.js';
import { makeTenant, tenantRows, writeAdminCsv, writeGraph } from './signin-gen.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./signin-floor.js', import.meta.url));
const TIMEOUT_MS = 10 * 60_000;

export async function sectionSignIns(cfg: BenchConfig): Promise<Omit<SectionResult, 'seconds'>> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing (npm run build)`);
  const n = cfg.signIns;
  const tenant = makeTenant(200, 1);
  const rows: (string | number)[][] = [];
  const targets: Target[] = [];
  const notes: string[] = [];
  const data: Record<string, unknown> = { records: n, apps: tenant.length };
  for (const kind of ['json', 'csv'] as const) {
    const file = path.join(
      cfg.tmpDir,
      kind === 'json' ? 'signins.json' : 'InteractiveSignIns_bench.csv',
    );
    cfg.progress(`8 sign-ins: writing ${n} records as ${kind}`);
    const g0 = performance.now();
    const gen = (function* () {
      for (const x of tenantRows(tenant, n, 2)) yield x.row;
    })();
    if (kind === 'json') await writeGraph(file, gen);
    else await writeAdminCsv(file, gen);
    const mib = statSync(file).size / 1048576;
    notes.push(
      `${kind}: ${n} records of ${tenant.length} apps, ${mib.toFixed(0)} MiB, written in ${((performance.now() - g0) / 1000).toFixed(0)} s`,
    );
    cfg.progress(`8 sign-ins: floor (${kind})`);
    const floorLoad = os.loadavg()[0] ?? Number.NaN;
    const floor = await run([FLOOR, file, kind], cfg.tmpDir, TIMEOUT_MS);
    cfg.progress(`8 sign-ins: classify (${kind})`);
    const load = os.loadavg()[0] ?? Number.NaN;
    const out = path.join(cfg.tmpDir, `s-${kind}`);
    const ours = await run(
      [CLI, 'classify', file, '--out', `${out}.json`, '--out', `${out}.html`],
      cfg.tmpDir,
      TIMEOUT_MS,
    );
    const ok = ours.code === 0 && !ours.timedOut && floor.code === 0;
    const rate = ok ? n / ours.wallS : Number.NaN;
    const floorRate = floor.code === 0 ? n / floor.wallS : Number.NaN;
    rows.push([
      `floor: read + ${kind === 'json' ? 'JSON.parse' : 'CSV split'}`,
      floor.code === 0 ? 'ok' : `exit ${floor.code}`,
      round(floor.wallS, 2),
      round(floorRate, 0),
      round(floor.peakRssMb, 0),
      round(floor.cpuS, 2),
      round(floorLoad, 1),
    ]);
    rows.push([
      `classify ${path.basename(file)} --out .json --out .html`,
      ok ? 'exit 0' : `exit ${ours.code ?? ours.signal}${ours.timedOut ? ' (timed out)' : ''}`,
      round(ours.wallS, 2),
      round(rate, 0),
      round(ours.peakRssMb, 0),
      round(ours.cpuS, 2),
      round(load, 1),
    ]);
    notes.push(
      `${kind}: CPU s (all threads) classify / floor = ${round(ours.cpuS / floor.cpuS, 2)}x; pool of ${Math.min(4, Math.max(1, os.availableParallelism()))} workers on ${os.availableParallelism()} CPUs`,
    );
    if (!ok && ours.stderr)
      notes.push(`${kind} FAILURE: ${ours.stderr.split('\n').slice(-3).join(' | ').slice(0, 400)}`);
    const html = `${out}.html`;
    if (existsSync(html))
      notes.push(
        `${kind}: HTML report ${(statSync(html).size / 1048576).toFixed(1)} MiB (per-application roll-ups, one row per folded record)`,
      );
    targets.push(target('8', `classify ${kind}: records/s`, rate, '/s', '>=', 100_000));
    targets.push(target('8', `classify ${kind}: rate vs floor`, rate / floorRate, 'x', '>=', 0.5));
    targets.push(
      target('8', `classify ${kind}: peak RSS`, ok ? ours.peakRssMb : Number.NaN, 'MB', '<', 300),
    );
    data[kind] = {
      mib: round(mib, 1),
      floorS: round(floor.wallS, 2),
      floorRssMb: round(floor.peakRssMb, 1),
      classifyS: round(ours.wallS, 2),
      classifyRssMb: round(ours.peakRssMb, 1),
      floorCpuS: round(floor.cpuS, 2),
      classifyCpuS: round(ours.cpuS, 2),
      cpuRatio: round(ours.cpuS / floor.cpuS, 3),
      loadAvg: round(load, 2),
      rate: round(rate, 0),
      ratio: round(rate / floorRate, 3),
    };
    rmSync(file, { force: true });
  }
  return {
    id: '8',
    title: `classify of sign-in log exports (${n} records, Graph JSON and admin-center CSV)`,
    error: null,
    header: ['command', 'status', 'wall s', 'records/s', 'peak RSS MB', 'CPU s', 'load avg'],
    rows,
    targets,
    notes,
    data,
  };
}
