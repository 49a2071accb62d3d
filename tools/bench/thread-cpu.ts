/**
 * `node dist/tools/bench/thread-cpu.js [bas|bare] [concurrency] [seconds]` (Linux): where a proxy's CPU
 * goes per intercepted token POST, thread by thread. One proxy in its own process in front of the
 * bench upstream, a closed-loop load through it, and the CPU time of every thread of the proxy
 * process (from /proc/<pid>/task/<tid>/stat) over the measured phase, divided by the requests.
 *
 * The main thread, V8's platform threads (garbage collection helpers) and the classification worker
 * show up as separate lines, which a sampling profile cannot tell apart on a saturated machine
 * (a descheduled thread's samples land on whatever it was doing). Threads are listed by id: the
 * main thread first, then V8's four platform threads, the classification worker last. Noisy like
 * every figure on a shared VM: run each side a few times, alternating.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startChild } from './child.js';
import { TOKEN_PATH, TOKEN_REQUEST_BODY, TOKEN_REQUEST_HEADERS } from './common.js';
import { runLoad, viaProxy, type LoadSpec } from './load.js';

const CLOCK_TICKS = 100;

/** CPU seconds of each thread of `pid`, keyed `tid:name`. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${tid}:${name}`, (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

async function main(): Promise<void> {
  const role = process.argv[2] === 'bare' ? 'bare' : 'bas';
  const concurrency = Number(process.argv[3] ?? 32);
  const seconds = Number(process.argv[4] ?? 5);
  const tmpDir = mkdtempSync(path.join(tmpdir(), 'entra-bas-threads-'));
  const up = await startChild({ role: 'upstream', tmpDir });
  const px = await startChild(
    {
      role,
      upstreamPort: up.ready.port,
      upstreamCa: up.ready.caPem,
      mapHosts: ['login.microsoftonline.com'],
      tmpDir,
    },
    60_000,
  );
  const dispatcher = viaProxy(px.ready.port, [px.ready.caPem]);
  const spec: LoadSpec = {
    url: `https://login.microsoftonline.com${TOKEN_PATH}`,
    method: 'POST',
    headers: { ...TOKEN_REQUEST_HEADERS },
    body: TOKEN_REQUEST_BODY,
    concurrency,
    warmupMs: 1000,
    durationMs: 200,
  };
  try {
    await runLoad(dispatcher, spec);
    const before = threadCpu(px.pid);
    const p0 = processCpu(px.pid);
    const u0 = processCpu(up.pid);
    const r = await runLoad(dispatcher, { ...spec, warmupMs: 0, durationMs: seconds * 1000 });
    const after = threadCpu(px.pid);
    const per = (s: number): string => `${((s * 1e6) / r.requests).toFixed(0)} us/req`;
    for (const [k, v] of after) {
      const d = v - (before.get(k) ?? 0);
      const tid = Number(k.split(':')[0]);
      const label = tid === px.pid ? 'main thread' : `thread ${tid}`;
      if (d > 0.01) process.stdout.write(`  ${label}: ${per(d)}\n`);
    }
    process.stdout.write(
      `${role} c${concurrency}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(1)} ms, ` +
        `proxy ${per(processCpu(px.pid) - p0)}, upstream ${per(processCpu(up.pid) - u0)}\n`,
    );
  } finally {
    await dispatcher.close();
    await px.close();
    await up.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`thread-cpu: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
