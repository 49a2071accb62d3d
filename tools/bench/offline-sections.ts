/** Sections 5-6: the pure classification pipeline, and the `classify` command on a big HAR. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExchangeRecord, RawExchange } from '../../src/core/types.js';
import { median, quantile, round } from './common.js';
import { harEntraCount, writeHar } from './har-gen.js';
import { entraSpec, toRawExchange } from './mix.js';
import type { BenchConfig } from './proxy-sections.js';
import { target, type SectionResult } from './report.js';

// ---------------------------------------------------------------------------------------------
// 5. classifyExchange(raw) on a realistic mix, one core (this process).
// ---------------------------------------------------------------------------------------------

export async function sectionClassifier(cfg: BenchConfig): Promise<Omit<SectionResult, 'seconds'>> {
  const { classifyExchange } = (await import('../../src/classifiers/index.js')) as {
    classifyExchange: (raw: RawExchange) => ExchangeRecord;
  };
  const N = 1800;
  const specs = Array.from({ length: N }, (_, i) => entraSpec(i));
  const raws = specs.map((s, i) => toRawExchange(s, i));
  // What the mix classifies to: a bench on the error path would measure nothing useful.
  const verdicts: Record<string, number> = {};
  const unparseable: Record<string, number> = {};
  for (let i = 0; i < N; i++) {
    const rec = classifyExchange(raws[i]!);
    verdicts[rec.verdict] = (verdicts[rec.verdict] ?? 0) + 1;
    if (rec.reasons.some((r) => r.code === 'unparseable')) {
      const k = specs[i]!.kind;
      unparseable[k] = (unparseable[k] ?? 0) + 1;
    }
  }
  let sink = 0;
  // Warm-up (JIT), bounded in time.
  const warmEnd = performance.now() + Math.min(1000, cfg.classifyMs / 2);
  for (let k = 0; performance.now() < warmEnd && k < 2_000_000; k++)
    sink += classifyExchange(raws[k % N]!).reasons.length;
  // Throughput: batches of 100 over the mix for a fixed time. The machine may be shared, so the
  // rate is also taken per CPU-second of this process ("one core"), next to the wall-clock rate.
  let count = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + cfg.classifyMs;
  while (performance.now() < end && count < 50_000_000) {
    for (let j = 0; j < 100; j++) sink += classifyExchange(raws[(count + j) % N]!).reasons.length;
    count += 100;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  const cpuSecs = (cpu1.user + cpu1.system) / 1e6;
  const perWallSec = count / secs;
  const perCpuSec = count / cpuSecs;
  // Per-exchange cost: each call timed on its own.
  const CALLS = cfg.quick ? 5_000 : 20_000;
  const costs: number[] = [];
  const byKind = new Map<string, number[]>();
  for (let k = 0; k < CALLS; k++) {
    const i = k % N;
    const a = process.hrtime.bigint();
    sink += classifyExchange(raws[i]!).reasons.length;
    const us = Number(process.hrtime.bigint() - a) / 1000;
    costs.push(us);
    const kind = specs[i]!.kind;
    let arr = byKind.get(kind);
    if (!arr) byKind.set(kind, (arr = []));
    arr.push(us);
  }
  // Share of the time: median cost x frequency in the mix (medians resist preemption spikes).
  const weighted = [...byKind.entries()].map(([kind, xs]) => ({
    kind,
    n: xs.length,
    medianUs: median(xs),
    p99Us: quantile(xs, 0.99),
  }));
  const totalW = weighted.reduce((sum, k) => sum + k.medianUs * k.n, 0);
  const kinds = weighted.map((k) => ({ ...k, share: (100 * k.medianUs * k.n) / totalW }));
  kinds.sort((a, b) => b.share - a.share);
  const rows: (string | number)[][] = [
    [
      'all (mix of 18 kinds)',
      count / cpuSecs,
      perWallSec,
      median(costs),
      quantile(costs, 0.99),
      100,
    ],
    ...kinds.map((k) => [
      `  ${k.kind} (${((100 * k.n) / CALLS).toFixed(1)}% of mix)`,
      1e6 / k.medianUs,
      Number.NaN,
      k.medianUs,
      k.p99Us,
      k.share,
    ]),
  ];
  const notes = [
    `verdicts over the mix: ${Object.entries(verdicts)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ')}`,
    `${count} classifications in ${secs.toFixed(2)} s wall, ${cpuSecs.toFixed(2)} s CPU (checksum ${sink % 997}); per-kind ex/s = 1 / median cost`,
  ];
  if (Object.keys(unparseable).length > 0)
    notes.push(`UNPARSEABLE (error path) by kind: ${JSON.stringify(unparseable)}`);
  return {
    id: '5',
    title: 'Pure classification: classifyExchange(raw), one core',
    error: null,
    header: ['exchanges', 'ex/s per CPU-s', 'ex/s wall', 'median us', 'p99 us', '% of time'],
    rows,
    targets: [
      target(
        '5',
        'classifyExchange throughput (mix), per CPU-second',
        perCpuSec,
        'ex/s',
        '>=',
        20_000,
      ),
    ],
    notes,
    data: {
      exchangesPerCpuSecond: round(perCpuSec, 0),
      exchangesPerWallSecond: round(perWallSec, 0),
      medianUs: round(median(costs), 2),
      p99Us: round(quantile(costs, 0.99), 2),
      byKind: kinds.map((k) => ({
        kind: k.kind,
        medianUs: round(k.medianUs, 2),
        p99Us: round(k.p99Us, 2),
        sharePct: round(k.share, 1),
      })),
      verdicts,
      unparseable,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 6. `classify big.har --out x.json --out x.html` as a child process: wall time and peak RSS.
// ---------------------------------------------------------------------------------------------

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** Six times the target: enough to say how far off a slow run is, without eating the bench's time. */
const CLASSIFY_TIMEOUT_MS = 60_000;

export interface RunResult {
  code: number | null;
  signal: string | null;
  wallS: number;
  peakRssMb: number;
  /** User + system CPU seconds of the child (all its threads), NaN without /usr/bin/time. */
  cpuS: number;
  stderr: string;
  timedOut: boolean;
}

export function run(args: readonly string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  const useTime = existsSync('/usr/bin/time');
  const [cmd, argv] = useTime
    ? ['/usr/bin/time', ['-v', process.execPath, ...args]]
    : [process.execPath, [...args]];
  return new Promise((resolve) => {
    const t0 = performance.now();
    // Its own process group: a timeout kills /usr/bin/time and the node process under it.
    const cp = spawn(cmd, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let err = '';
    let hwmKb = 0;
    let timedOut = false;
    cp.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString('utf8')).slice(-20_000);
    });
    // Without /usr/bin/time: poll the high-water mark of the node process itself.
    const poll = useTime
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${cp.pid}/status`, 'utf8'));
            if (m?.[1]) hwmKb = Math.max(hwmKb, Number(m[1]));
          } catch {
            // The process is gone between two polls: keep the last reading.
            hwmKb = Math.max(hwmKb, 0);
          }
        }, 25);
    const kill = setTimeout(() => {
      timedOut = true;
      try {
        if (cp.pid) process.kill(-cp.pid, 'SIGKILL');
      } catch {
        cp.kill('SIGKILL');
      }
    }, timeoutMs);
    cp.on('close', (code, signal) => {
      clearTimeout(kill);
      if (poll) clearInterval(poll);
      const wallS = (performance.now() - t0) / 1000;
      let cpuS = Number.NaN;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(err);
        if (m?.[1]) hwmKb = Number(m[1]);
        const user = /User time \(seconds\):\s*([\d.]+)/.exec(err)?.[1];
        const sys = /System time \(seconds\):\s*([\d.]+)/.exec(err)?.[1];
        if (user !== undefined && sys !== undefined) cpuS = Number(user) + Number(sys);
        // Keep the command's own messages, not the /usr/bin/time report.
        err = err.split(/\n\s*Command being timed:/)[0] ?? err;
      }
      resolve({ code, signal, wallS, peakRssMb: hwmKb / 1024, cpuS, stderr: err.trim(), timedOut });
    });
  });
}

export async function sectionClassifyHar(
  cfg: BenchConfig,
): Promise<Omit<SectionResult, 'seconds'>> {
  const har = path.join(cfg.tmpDir, 'big.har');
  cfg.progress(`6 classify: writing a ${cfg.harEntries}-entry HAR`);
  const g0 = performance.now();
  const bytes = await writeHar(har, cfg.harEntries);
  const genS = (performance.now() - g0) / 1000;
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing (npm run build)`);
  cfg.progress('6 classify: running the CLI');
  const outJson = path.join(cfg.tmpDir, 'x.json');
  const outHtml = path.join(cfg.tmpDir, 'x.html');
  const r = await run(
    [CLI, 'classify', har, '--out', outJson, '--out', outHtml],
    cfg.tmpDir,
    CLASSIFY_TIMEOUT_MS,
  );
  const size = (f: string): number => (existsSync(f) ? statSync(f).size / 1048576 : Number.NaN);
  const ok = r.code === 0 && !r.timedOut;
  const rssKnown = r.peakRssMb > 0;
  const status = r.timedOut
    ? `timed out (${CLASSIFY_TIMEOUT_MS / 1000} s), killed`
    : ok
      ? 'exit 0'
      : `exit ${r.code ?? r.signal ?? '?'}`;
  const notes = [
    `HAR: ${cfg.harEntries} entries (${harEntraCount(cfg.harEntries)} sign-in), ${(bytes / 1048576).toFixed(1)} MiB, written in ${genS.toFixed(1)} s`,
    `outputs: x.json ${size(outJson).toFixed(1)} MiB, x.html ${size(outHtml).toFixed(1)} MiB`,
  ];
  const lastLines = r.stderr
    .split('\n')
    .filter((l) => l.trim())
    .slice(-4);
  if (lastLines.length > 0)
    notes.push(`${ok ? 'stderr' : 'FAILURE'}: ${lastLines.join(' | ').slice(0, 600)}`);
  const rows = [
    [
      'classify big.har --out x.json --out x.html',
      status,
      r.timedOut ? `> ${r.wallS.toFixed(0)}` : r.wallS,
      rssKnown ? r.peakRssMb : 'not measured',
    ],
  ];
  const targets = ok
    ? [
        target('6', `classify ${cfg.harEntries}-entry HAR: wall time`, r.wallS, 's', '<', 10),
        target('6', `classify ${cfg.harEntries}-entry HAR: peak RSS`, r.peakRssMb, 'MB', '<', 300),
      ]
    : r.timedOut
      ? [
          target(
            '6',
            `classify ${cfg.harEntries}-entry HAR: wall time (killed after ${r.wallS.toFixed(0)} s)`,
            r.wallS,
            's',
            '<',
            10,
          ),
        ]
      : [
          target(
            '6',
            `classify ${cfg.harEntries}-entry HAR (command FAILED: ${status})`,
            Number.NaN,
            's',
            '<',
            10,
          ),
        ];
  return {
    id: '6',
    title: `classify of a generated HAR (${cfg.harEntries} entries) with the real CLI`,
    error:
      ok || r.timedOut
        ? null
        : `the classify command failed: ${status}; ${lastLines.join(' | ').slice(0, 400)}`,
    header: ['command', 'status', 'wall s', 'peak RSS MB'],
    rows,
    targets,
    notes,
    data: {
      entries: cfg.harEntries,
      signInEntries: harEntraCount(cfg.harEntries),
      harMiB: round(bytes / 1048576, 1),
      exitCode: r.code,
      timedOut: r.timedOut,
      wallS: round(r.wallS, 2),
      peakRssMb: round(r.peakRssMb, 1),
      jsonMiB: round(size(outJson), 1),
      htmlMiB: round(size(outHtml), 1),
      stderrTail: lastLines,
    },
  };
}
