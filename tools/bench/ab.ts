/**
 * `npm run bench:ab -- A B [concurrency] [pairs] [ms]`: two proxies side by side on intercepted
 * token POSTs, measured in alternating order (A B, B A, ...), reported as the median of the
 * per-pair ratios A/B: throughput, p99 and proxy CPU per request (whole process, from /proc on
 * Linux, else NaN). On a shared VM whose speed drifts by tens of percent within minutes, only
 * alternating pairs compare.
 *
 * A variant is `ROLE[@DIR][,ENV=VALUE...]`: ROLE is `bas` or `bare`; DIR (default: this checkout) is
 * another checkout with its own dist/, to compare two builds; ENV=VALUE pairs are set in that
 * proxy's process. Example: `npm run bench:ab -- bare bare` measures the noise floor (the
 * baseline against itself); `npm run bench:ab -- bas@../old bas` compares this build to another.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchChild } from './child.js';
import { median, TOKEN_PATH, TOKEN_REQUEST_BODY, TOKEN_REQUEST_HEADERS } from './common.js';
import { runLoad, viaProxy, type LoadSpec } from './load.js';

interface Variant {
  readonly label: string;
  readonly role: 'bas' | 'bare';
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
}

interface Sample {
  readonly rps: number;
  readonly p99: number;
  readonly cpuUs: number;
}

// This file is dist/tools/bench/ab.js: the checkout is three levels up.
const HERE = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

function parseVariant(spec: string): Variant {
  const [head = '', ...pairs] = spec.split(',');
  const [role, dir] = head.split('@');
  if (role !== 'bas' && role !== 'bare')
    throw new Error(`variant ${spec}: role must be bas or bare`);
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`variant ${spec}: expected ENV=VALUE, got ${p}`);
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return { label: spec, role, dir: dir ? path.resolve(dir) : HERE, env };
}

function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function start(v: Variant, upstream: BenchChild, tmpDir: string): Promise<BenchChild> {
  // Each variant's own bench code (and so its own build of the proxy) starts its child.
  // A build from before the layout change (tools/ inside src/) has it at dist/bench/.
  const child = ['dist/tools/bench/child.js', 'dist/bench/child.js']
    .map((p) => path.join(v.dir, p))
    .find((p) => existsSync(p));
  if (!child) throw new Error(`${v.dir}: no dist/tools/bench/child.js (run npm run build there)`);
  const childUrl = pathToFileURL(child).href;
  const { startChild } = (await import(childUrl)) as typeof import('./child.js');
  const saved = { ...process.env };
  Object.assign(process.env, v.env);
  try {
    return await startChild(
      {
        role: v.role,
        upstreamPort: upstream.ready.port,
        upstreamCa: upstream.ready.caPem,
        mapHosts: ['login.microsoftonline.com'],
        tmpDir,
      },
      60_000,
    );
  } finally {
    for (const k of Object.keys(v.env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

async function main(): Promise<void> {
  const [a, b, conc = '32', pairs = '8', ms = '1500'] = process.argv.slice(2);
  if (!a || !b)
    throw new Error('usage: bench:ab -- VARIANT_A VARIANT_B [concurrency] [pairs] [ms]');
  const variants = [parseVariant(a), parseVariant(b)];
  const tmpDir = mkdtempSync(path.join(tmpdir(), 'entra-bas-ab-'));
  const { startChild } = await import('./child.js');
  const upstream = await startChild({ role: 'upstream', tmpDir });
  const running: { v: Variant; child: BenchChild; samples: Sample[] }[] = [];
  try {
    for (const v of variants)
      running.push({ v, child: await start(v, upstream, tmpDir), samples: [] });
    const spec: LoadSpec = {
      url: `https://login.microsoftonline.com${TOKEN_PATH}`,
      method: 'POST',
      headers: { ...TOKEN_REQUEST_HEADERS },
      body: TOKEN_REQUEST_BODY,
      concurrency: Number(conc),
      warmupMs: 0,
      durationMs: 0,
    };
    const dispatchers = running.map((r) => viaProxy(r.child.ready.port, [r.child.ready.caPem]));
    // Said with the figures: on a shared machine they mean little above a load of a few.
    const load = (): string => loadavg()[0]!.toFixed(1);
    const loadAtStart = load();
    for (const d of dispatchers) await runLoad(d, { ...spec, warmupMs: 1500 });
    for (let i = 0; i < Number(pairs); i++) {
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      for (const k of order) {
        const r = running[k]!;
        const d = dispatchers[k]!;
        await runLoad(d, { ...spec, warmupMs: 200 });
        const c0 = processCpuSeconds(r.child.pid);
        const res = await runLoad(d, { ...spec, durationMs: Number(ms) });
        const cpu = processCpuSeconds(r.child.pid) - c0;
        r.samples.push({ rps: res.rps, p99: res.p99Ms, cpuUs: (cpu * 1e6) / res.requests });
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    await Promise.all(dispatchers.map((d) => d.close()));
    for (const r of running) {
      const s = r.samples;
      process.stdout.write(
        `${r.v.label.padEnd(28)} req/s ${median(s.map((x) => x.rps)).toFixed(0)}  p99 ` +
          `${median(s.map((x) => x.p99)).toFixed(1)} ms  CPU ${median(s.map((x) => x.cpuUs)).toFixed(0)} us/req\n`,
      );
    }
    const [sa, sb] = [running[0]!.samples, running[1]!.samples];
    const ratio = (f: (x: Sample) => number): number[] => sa.map((x, i) => f(x) / f(sb[i]!));
    const rps = ratio((x) => x.rps);
    const p99 = ratio((x) => x.p99);
    const each = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
    process.stdout.write(
      `A/B, median of ${sa.length} alternating pairs: throughput ${median(rps).toFixed(3)}x, ` +
        `p99 ${median(p99).toFixed(3)}x, CPU/req ${median(ratio((x) => x.cpuUs)).toFixed(3)}x\n` +
        `throughput per pair: ${each(rps)}\np99 per pair: ${each(p99)}\n` +
        `load average (1 min): ${loadAtStart} at the start, ${load()} at the end\n`,
    );
  } finally {
    await Promise.all(running.map((r) => r.child.close()));
    await upstream.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:ab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
