/**
 * A bench child process: one target (upstream, entra-bas-proxy, bare http-mitm-proxy or the
 * node:net tunnel) on its own event loop. Talks to the orchestrator over IPC: `init` -> `ready`,
 * `stats` (CPU, and memory after global.gc() when asked) and `close`.
 */
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ProxyServer from '../../src/proxy/server.js';
import type { FromWorker, ToWorker, WorkerInit } from './common.js';
import { errorText, sleep } from './common.js';
import { entraSpec, toRawExchange } from './mix.js';
import { startBareMitm, startNetTunnel, startUpstream, type Listening } from './targets.js';

const counter = { n: 0, connections: 0 };
const errors = { n: 0, first: null as string | null };
let target: Listening | null = null;
let countFn: () => number = () => counter.n;
let dashboardUrl: string | null = null;

function send(m: FromWorker): void {
  process.send?.(m);
}

async function start(init: WorkerInit): Promise<void> {
  const t0 = performance.now();
  const tmp = init.tmpDir ?? mkdtempSync('/tmp/bas-bench-');
  const upstreamPort = init.upstreamPort ?? 0;
  const upstreamCa = init.upstreamCa ?? '';
  switch (init.role) {
    case 'upstream':
      target = await startUpstream(counter);
      break;
    case 'bare':
      target = await startBareMitm({
        upstreamPort,
        upstreamCa,
        sslCaDir: mkdtempSync(path.join(tmp, 'bare-ca-')),
        errors,
      });
      break;
    case 'tunnel':
      target = await startNetTunnel({ upstreamPort, hosts: init.mapHosts ?? [] });
      break;
    case 'bas': {
      const { startProxy } = (
        init.proxyModule
          ? await import(pathToFileURL(init.proxyModule).href)
          : await import('../../src/proxy/server.js')
      ) as typeof ProxyServer;
      const origin = `https://127.0.0.1:${upstreamPort}`;
      const mapRemote: Record<string, string> = {};
      for (const h of init.mapHosts ?? []) mapRemote[h] = origin;
      const proxy = await startProxy({
        host: '127.0.0.1',
        port: 0,
        certsDir: mkdtempSync(path.join(tmp, 'bas-ca-')),
        mapRemote,
        upstreamCa: [upstreamCa],
        intercept: init.intercept ?? [],
        sessionLogPath: path.join(tmp, `session-${process.pid}.ndjson`),
        ui: init.ui ?? false,
        baseEnv: {},
      });
      countFn = () => proxy.recorder.count();
      dashboardUrl = proxy.dashboardUrl;
      // A long session made quickly: exchanges of the mix go straight into the real recorder
      // (classification worker, session log, aggregates), as if they had been proxied.
      for (let i = 0; i < (init.prefill ?? 0); i++) {
        proxy.recorder.submit(toRawExchange(entraSpec(i), i));
        if (i % 1000 === 999) await proxy.recorder.backlog(4000);
      }
      await proxy.settle();
      target = {
        port: proxy.port,
        caPem: proxy.caPem,
        close: () => void proxy.close({ drainMs: 500 }),
      };
      break;
    }
  }
  send({
    type: 'ready',
    port: target.port,
    caPem: target.caPem,
    startupMs: performance.now() - t0,
    dashboardUrl,
  });
}

async function stats(gc: boolean): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  if (gc && g) {
    // Several passes with pauses: weak refs, finalizers and freed sockets settle between them.
    for (let i = 0; i < 4; i++) {
      g();
      await sleep(50);
    }
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  send({
    type: 'stats',
    cpuUser: cpu.user,
    cpuSystem: cpu.system,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    count: countFn(),
    connections: counter.connections,
    errors: errors.n,
    firstError: errors.first,
  });
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    start(m).catch((err: unknown) => {
      send({ type: 'error', message: errorText(err) });
      setTimeout(() => process.exit(1), 50);
    });
  } else if (m.type === 'stats') {
    void stats(m.gc);
  } else if (m.type === 'close') {
    target?.close();
    setTimeout(() => process.exit(0), 200).unref();
    process.disconnect?.();
  }
});
process.on('disconnect', () => {
  target?.close();
  setTimeout(() => process.exit(0), 200).unref();
});
// A hard bound: a forgotten worker never outlives the bench by much.
setTimeout(() => process.exit(2), 10 * 60_000).unref();
