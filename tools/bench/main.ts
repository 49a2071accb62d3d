/**
 * `npm run bench` (node --expose-gc dist/tools/bench/main.js [--quick]): one run on loopback measures
 * entra-bas-proxy against baselines taken in the same run, prints a table per section, a PASS/FAIL
 * line per target and a JSON summary (also written to .bench-out/bench.json).
 *
 * Exit status: 0 when the bench ran (whatever the targets say; it is a report), 1 when the bench
 * itself broke (the upstream could not start, or an unexpected error here).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, type BenchChild } from './child.js';
import { errorText, round } from './common.js';
import { sectionDownloads } from './download-section.js';
import { sectionPathological, sectionSession, sectionStreamedRender } from './hostile-sections.js';
import { sectionClassifier, sectionClassifyHar } from './offline-sections.js';
import {
  sectionFirstRequest,
  sectionIntercept,
  sectionMemory,
  sectionTunnel,
  type BenchConfig,
  type UpstreamInfo,
} from './proxy-sections.js';
import { renderSection, renderTargets, type SectionResult } from './report.js';
import { sectionKql } from './kql-section.js';
import { sectionSignIns } from './signin-section.js';

// Section 7 renders 14 downloads of a 90k-exchange session and section 8 writes and reads two
// 1M-record sign-in exports (about 3 GB): minutes on 2 busy cores.
const HARD_LIMIT_MS = 30 * 60_000;

function config(argv: readonly string[], tmpDir: string): BenchConfig {
  const quick = argv.includes('--quick');
  const num = (name: string, dflt: number): number => {
    const v = Number(process.env[name]);
    return Number.isFinite(v) && v > 0 ? v : dflt;
  };
  return {
    quick,
    rounds: num('BENCH_ROUNDS', quick ? 1 : 3),
    warmupMs: num('BENCH_WARMUP_MS', quick ? 400 : 500),
    measureMs: num('BENCH_MEASURE_MS', quick ? 1000 : 1800),
    exchanges: num('BENCH_EXCHANGES', quick ? 10_000 : 100_000),
    memoryCapMs: num('BENCH_MEMORY_CAP_MS', quick ? 30_000 : 90_000),
    freshHosts: num('BENCH_FRESH_HOSTS', 10),
    harEntries: num('BENCH_HAR_ENTRIES', quick ? 10_000 : 100_000),
    classifyMs: num('BENCH_CLASSIFY_MS', quick ? 1000 : 2000),
    downloadExchanges: num('BENCH_DL_EXCHANGES', quick ? 10_000 : 90_000),
    downloads: num('BENCH_DOWNLOADS', 14),
    downloadFormat: process.env['BENCH_DL_FORMAT'] ?? 'json',
    proxyModule: process.env['BENCH_PROXY_MODULE']
      ? path.resolve(process.env['BENCH_PROXY_MODULE'])
      : null,
    signIns: num('BENCH_SIGNINS', quick ? 50_000 : 1_000_000),
    tmpDir,
    progress: (msg) =>
      process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`),
  };
}

type Section = (cfg: BenchConfig, up: UpstreamInfo) => Promise<Omit<SectionResult, 'seconds'>>;

const SECTIONS: readonly { id: string; title: string; run: Section }[] = [
  {
    id: '1',
    title: 'Intercepted Entra token POSTs vs bare http-mitm-proxy',
    run: sectionIntercept,
  },
  { id: '2', title: 'Tunneled non-Entra host vs node:net CONNECT tunnel', run: sectionTunnel },
  { id: '3', title: 'First request to a new intercepted host', run: sectionFirstRequest },
  { id: '4', title: 'Memory over many intercepted exchanges', run: sectionMemory },
  { id: '5', title: 'Pure classification pipeline', run: (cfg) => sectionClassifier(cfg) },
  { id: '6', title: 'classify of a big HAR with the CLI', run: (cfg) => sectionClassifyHar(cfg) },
  {
    id: '7',
    title: 'Dashboard report downloads during proxied traffic',
    run: sectionDownloads,
  },
  { id: '8', title: 'classify of sign-in log exports', run: (cfg) => sectionSignIns(cfg) },
  {
    id: '9',
    title: 'the kql reduction: fact tuples of 1M sign-ins',
    run: (cfg) => sectionKql(cfg),
  },
  { id: '10', title: 'Session reducer at 100k exchanges', run: (cfg) => sectionSession(cfg) },
  { id: '11', title: 'Pathological parser inputs', run: (cfg) => sectionPathological(cfg) },
  { id: '12', title: 'Streamed report rendering', run: (cfg) => sectionStreamedRender(cfg) },
];

async function main(): Promise<number> {
  const t0 = performance.now();
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'entra-bas-bench-'));
  const cfg = config(process.argv.slice(2), tmpDir);
  const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim());
  let upstream: BenchChild | null = null;
  const results: SectionResult[] = [];
  try {
    cfg.progress(
      `tmp dir ${tmpDir}; ${os.cpus().length} cpus; rounds ${cfg.rounds}, ${cfg.warmupMs} ms warm-up + ${cfg.measureMs} ms per point`,
    );
    try {
      upstream = await startChild({ role: 'upstream', tmpDir });
    } catch (err) {
      process.stderr.write(`bench: the local upstream did not start: ${errorText(err)}\n`);
      return 1;
    }
    const up: UpstreamInfo = { port: upstream.ready.port, ca: upstream.ready.caPem };
    for (const s of SECTIONS) {
      if (only && !only.includes(s.id)) continue;
      cfg.progress(`section ${s.id}: ${s.title}`);
      const s0 = performance.now();
      try {
        const r = await s.run(cfg, up);
        results.push({ ...r, seconds: (performance.now() - s0) / 1000 });
      } catch (err) {
        // One section failing (a module mid-edit, a crashed child) must not stop the others.
        results.push({
          id: s.id,
          title: s.title,
          error: errorText(err),
          header: [],
          rows: [],
          targets: [],
          notes: [],
          data: {},
          seconds: (performance.now() - s0) / 1000,
        });
      }
      process.stdout.write(renderSection(results.at(-1)!) + '\n');
    }
  } finally {
    await upstream?.close();
    rmSync(tmpDir, { recursive: true, force: true });
  }

  const targets = results.flatMap((r) => r.targets);
  const broken = results.filter((r) => r.error && r.targets.length === 0);
  process.stdout.write('\n## Targets (ratios against baselines measured in this run)\n');
  process.stdout.write(renderTargets(targets, broken) + '\n');
  const totalS = (performance.now() - t0) / 1000;
  const summary = {
    tool: 'entra-bas-proxy bench',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    config: {
      rounds: cfg.rounds,
      warmupMs: cfg.warmupMs,
      measureMs: cfg.measureMs,
      exchanges: cfg.exchanges,
      memoryCapMs: cfg.memoryCapMs,
      freshHosts: cfg.freshHosts,
      harEntries: cfg.harEntries,
      quick: cfg.quick,
    },
    totalSeconds: round(totalS, 1),
    passed: targets.filter((t) => t.pass).length,
    failed: targets.filter((t) => !t.pass).length,
    sectionErrors: results.filter((r) => r.error).map((r) => ({ id: r.id, error: r.error })),
    targets,
    sections: Object.fromEntries(
      results.map((r) => [
        r.id,
        {
          title: r.title,
          seconds: round(r.seconds, 1),
          error: r.error,
          notes: r.notes,
          data: r.data,
        },
      ]),
    ),
  };
  const outDir = path.resolve('.bench-out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'bench.json'), JSON.stringify(summary, null, 2) + '\n');
  const brief = {
    date: summary.date,
    totalSeconds: summary.totalSeconds,
    passed: summary.passed,
    failed: summary.failed,
    sectionErrors: summary.sectionErrors,
    targets: targets.map(
      (t) =>
        `${t.pass ? 'PASS' : 'FAIL'} [${t.section}] ${t.name}: ${t.value} ${t.unit} (goal ${t.op} ${t.threshold})`,
    ),
  };
  process.stdout.write(`\n## JSON summary (full details: ${path.join(outDir, 'bench.json')})\n`);
  process.stdout.write(JSON.stringify(brief, null, 2) + '\n');
  process.stdout.write(`\nbench finished in ${totalS.toFixed(1)} s\n`);
  return 0;
}

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: hard time limit (${HARD_LIMIT_MS / 1000} s) reached, giving up\n`);
  process.exit(1);
}, HARD_LIMIT_MS);
watchdog.unref();

main().then(
  (code) => {
    process.exitCode = code;
    // Undici sockets or timers must not keep a finished bench alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    process.stderr.write(
      `bench: broke: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
