/**
 * Section 7: report downloads from the live dashboard while traffic flows through the proxy.
 *
 * One proxy (its own child, dashboard on) holds a session of N exchanges, recorded quickly through
 * its real recorder (worker.ts `prefill`). A closed loop of proxied token POSTs measures latency
 * alone, then while D downloads of /report.FORMAT run in parallel. The proxy's RSS is sampled from
 * /proc every 50 ms (Linux; elsewhere from the child's own stats, less often).
 *
 *   BENCH_ONLY=7 npm run bench                              this build
 *   BENCH_ONLY=7 BENCH_PROXY_MODULE=/other/dist/src/proxy/server.js npm run bench   another build
 *   BENCH_DL_EXCHANGES (90000; --quick 10000), BENCH_DOWNLOADS (14), BENCH_DL_FORMAT (json)
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { startChild, type BenchChild } from './child.js';
import { quantile, round, sleep, TOKEN_PATH, TOKEN_REQUEST_BODY } from './common.js';
import { TOKEN_REQUEST_HEADERS } from './common.js';
import { viaProxy } from './load.js';
import type { BenchConfig, UpstreamInfo } from './proxy-sections.js';
import { target, type SectionResult } from './report.js';

const MB = 1024 * 1024;
const LOAD_CONCURRENCY = 4;

interface Download {
  status: number;
  bytes: number;
  seconds: number;
  retryAfter: string | null;
  error: string | null;
}

/** VmRSS of a process in bytes (Linux), or null. */
function procRss(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a child's RSS until stopped; `peak` is the largest sample. */
function rssSampler(child: BenchChild): { peak(): number; last(): number; stop(): void } {
  let peak = 0;
  let last = 0;
  const take = (v: number): void => {
    last = v;
    peak = Math.max(peak, v);
  };
  const useProc = procRss(child.pid) !== null;
  let busy = false;
  const timer = setInterval(
    () => {
      if (useProc) {
        const v = procRss(child.pid);
        if (v !== null) take(v);
        return;
      }
      if (busy) return;
      busy = true;
      child.stats().then(
        (s) => {
          take(s.rss);
          busy = false;
        },
        () => (busy = false),
      );
    },
    useProc ? 50 : 250,
  );
  return { peak: () => peak, last: () => last, stop: () => clearInterval(timer) };
}

async function download(url: string, agent: Agent): Promise<Download> {
  const t0 = performance.now();
  try {
    const res = await request(url, {
      dispatcher: agent,
      headersTimeout: 15 * 60_000,
      bodyTimeout: 5 * 60_000,
    });
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    const ra = res.headers['retry-after'];
    return {
      status: res.statusCode,
      bytes,
      seconds: (performance.now() - t0) / 1000,
      retryAfter: typeof ra === 'string' ? ra : null,
      error: null,
    };
  } catch (err) {
    return {
      status: 0,
      bytes: 0,
      seconds: (performance.now() - t0) / 1000,
      retryAfter: null,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/** A closed loop of proxied token POSTs until `stop()`; latencies kept per phase. */
function proxiedLoad(
  proxyPort: number,
  ca: string,
): {
  phase(name: string): void;
  stop(): Promise<Map<string, { lat: number[]; errors: number; firstError: string | null }>>;
} {
  const d = viaProxy(proxyPort, [ca]);
  const url = `https://login.microsoftonline.com${TOKEN_PATH}`;
  const phases = new Map<string, { lat: number[]; errors: number; firstError: string | null }>();
  let current = 'warm-up';
  phases.set(current, { lat: [], errors: 0, firstError: null });
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const p = phases.get(current)!;
      const s = performance.now();
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: d,
          headers: { ...TOKEN_REQUEST_HEADERS },
          body: TOKEN_REQUEST_BODY,
        });
        await res.body.arrayBuffer();
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
        p.lat.push(performance.now() - s);
      } catch (err) {
        p.errors++;
        p.firstError ??= err instanceof Error ? err.message : String(err);
        p.lat.push(performance.now() - s);
        await sleep(5);
      }
    }
  };
  const running = Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
  return {
    phase(name) {
      phases.set(name, { lat: [], errors: 0, firstError: null });
      current = name;
    },
    async stop() {
      stopped = true;
      await running;
      await d.close();
      return phases;
    },
  };
}

export async function sectionDownloads(
  cfg: BenchConfig,
  up: UpstreamInfo,
): Promise<Omit<SectionResult, 'seconds'>> {
  const n = cfg.downloadExchanges;
  const format = cfg.downloadFormat;
  cfg.progress(
    `7 downloads: recording ${n} exchanges${cfg.proxyModule ? ` (proxy from ${cfg.proxyModule})` : ''}`,
  );
  const t0 = performance.now();
  const bas = await startChild(
    {
      role: 'bas',
      upstreamPort: up.port,
      upstreamCa: up.ca,
      mapHosts: ['login.microsoftonline.com'],
      tmpDir: cfg.tmpDir,
      ui: true,
      prefill: n,
      ...(cfg.proxyModule ? { proxyModule: cfg.proxyModule } : {}),
    },
    10 * 60_000,
  );
  const prefillS = (performance.now() - t0) / 1000;
  const agent = new Agent({ connections: cfg.downloads + 2 });
  const sampler = rssSampler(bas);
  try {
    const dash = bas.ready.dashboardUrl;
    if (!dash) throw new Error('the proxy started without a dashboard');
    cfg.progress(`7 downloads: ${n} exchanges recorded in ${prefillS.toFixed(1)} s`);
    const load = proxiedLoad(bas.ready.port, bas.ready.caPem);
    await sleep(cfg.warmupMs);
    load.phase('alone');
    await sleep(Math.max(3000, cfg.measureMs));
    const rssBefore = sampler.peak();
    cfg.progress(`7 downloads: ${cfg.downloads} parallel downloads of /report.${format}`);
    load.phase('downloads');
    const dl0 = performance.now();
    const downloads = await Promise.all(
      Array.from({ length: cfg.downloads }, () =>
        download(new URL(`report.${format}`, dash).href, agent),
      ),
    );
    const dlSeconds = (performance.now() - dl0) / 1000;
    const rssPeak = sampler.peak();
    load.phase('after');
    await sleep(1000);
    const phases = await load.stop();
    const alone = phases.get('alone')!;
    const during = phases.get('downloads')!;
    const ok = downloads.filter((d) => d.status === 200);
    const reportBytes = Math.max(0, ...ok.map((d) => d.bytes));
    const p99Alone = quantile(alone.lat, 0.99);
    const p99During = quantile(during.lat, 0.99);
    const statuses: Record<string, number> = {};
    for (const d of downloads) statuses[d.status] = (statuses[d.status] ?? 0) + 1;
    const rows: (string | number)[][] = [
      ['exchanges in the session', n],
      [`report.${format} size (MB)`, round(reportBytes / MB, 1)],
      ['downloads (status: count)', JSON.stringify(statuses)],
      ['all downloads done (s)', round(dlSeconds, 1)],
      ['slowest download (s)', round(Math.max(...downloads.map((d) => d.seconds)), 1)],
      ['proxy RSS before downloads (MB)', round(rssBefore / MB, 0)],
      ['proxy peak RSS during downloads (MB)', round(rssPeak / MB, 0)],
      ['proxied requests alone: count / p50 / p99 ms', fmtLat(alone.lat)],
      ['proxied requests during downloads: count / p50 / p99 / max ms', fmtLat(during.lat, true)],
      ['proxied errors during downloads', during.errors],
    ];
    const notes: string[] = [];
    if (during.firstError) notes.push(`first proxied error: ${during.firstError}`);
    for (const d of downloads) if (d.error) notes.push(`download failed: ${d.error}`);
    if (ok.some((d) => d.bytes !== reportBytes)) {
      notes.push('downloads differ in size (each holds the exchanges recorded when it started)');
    }
    return {
      id: '7',
      title: `${cfg.downloads} parallel downloads of /report.${format} (${n} exchanges) during proxied traffic`,
      error: null,
      header: ['measure', 'value'],
      rows,
      targets: [
        // Memory must not scale with session size x downloads (held in memory, each download
        // cost about twice the report's size; streamed, a fixed amount per render).
        target(
          '7',
          `proxy RSS growth during ${cfg.downloads} downloads / (downloads x report size)`,
          round((rssPeak - rssBefore) / Math.max(1, cfg.downloads * reportBytes), 3),
          'x',
          '<=',
          0.1,
        ),
        target(
          '7',
          'p99 of proxied requests: during downloads / alone',
          round(p99During / p99Alone, 2),
          'x',
          '<=',
          10,
        ),
        target('7', 'downloads answered 200', ok.length, 'of ' + cfg.downloads, '>=', 1),
      ],
      notes,
      data: {
        exchanges: n,
        format,
        prefillSeconds: round(prefillS, 1),
        reportBytes,
        downloads: downloads.map((d) => ({ ...d, seconds: round(d.seconds, 2) })),
        downloadSeconds: round(dlSeconds, 2),
        rssBeforeMB: round(rssBefore / MB, 1),
        rssPeakMB: round(rssPeak / MB, 1),
        alone: latData(alone.lat, alone.errors),
        during: latData(during.lat, during.errors),
        proxyModule: cfg.proxyModule ?? null,
      },
    };
  } finally {
    sampler.stop();
    await agent.close();
    await bas.close();
  }
}

function fmtLat(lat: readonly number[], max = false): string {
  const parts = [
    lat.length,
    round(quantile(lat, 0.5), 1),
    round(quantile(lat, 0.99), 1),
    ...(max ? [round(maxOf(lat), 1)] : []),
  ];
  return parts.join(' / ');
}

function maxOf(xs: readonly number[]): number {
  return xs.reduce((m, x) => (Number.isNaN(m) || x > m ? x : m), Number.NaN);
}

function latData(lat: readonly number[], errors: number): Record<string, number> {
  return {
    requests: lat.length,
    errors,
    p50Ms: round(quantile(lat, 0.5), 2),
    p99Ms: round(quantile(lat, 0.99), 2),
    maxMs: round(maxOf(lat), 2),
  };
}
