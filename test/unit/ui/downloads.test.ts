/**
 * Dashboard report downloads (src/ui/downloads.ts) through the real dashboard server: streamed
 * with backpressure, a few renders at a time, the rest queued or refused with 503 + Retry-After,
 * and everything let go when a client hangs up. The renders here are endless or slow on purpose
 * (a FakeLive whose renderStream counts what it made); the real session-log renders are tested
 * end to end in test/integration/dashboard-downloads.test.ts.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { startDashboard, type RunningDashboard } from '../../../src/ui/server.js';
import type { DownloadsOptions } from '../../../src/ui/downloads.js';
import { createFakeLive, type FakeLive } from './fake-live.js';
import { get } from './http.js';

let dashboard: RunningDashboard | undefined;
const open: IncomingMessage[] = [];

afterEach(async () => {
  for (const res of open.splice(0)) res.destroy();
  await dashboard?.close();
  dashboard = undefined;
});

const CHUNK = 'x'.repeat(16 * 1024);

/** A render that never ends by itself: counts the bytes it made and whether it was stopped. */
interface Probe {
  made: number;
  started: number;
  returned: number;
  /** Throw after this many chunks (once). */
  failAfter?: number | undefined;
}

function endless(live: FakeLive, probe: Probe): void {
  live.renderStream = () => {
    probe.started++;
    return Promise.resolve(
      (async function* () {
        try {
          for (let i = 0; ; i++) {
            if (probe.failAfter !== undefined && i === probe.failAfter) {
              throw new Error('render broke');
            }
            probe.made += CHUNK.length;
            yield i % 2 === 0 ? CHUNK : Buffer.from(CHUNK);
            // Let the event loop turn now and then, as reading a file does.
            if (i % 8 === 0) await new Promise((r) => setImmediate(r));
          }
        } finally {
          probe.returned++;
        }
      })(),
    );
  };
}

async function start(
  live: FakeLive,
  downloads: Pick<DownloadsOptions, 'maxActive' | 'maxQueued' | 'queueTimeoutMs'> = {},
): Promise<string> {
  dashboard = await startDashboard({ live, logger: silentLogger(), downloads });
  return dashboard.url;
}

/** Starts a download and resolves with the response once its headers are in (body unread). */
function begin(url: string, path = '/report.json'): Promise<IncomingMessage> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname }, (res) => {
      open.push(res);
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads `n` bytes of a paused response, then pauses it again. */
async function readSome(res: IncomingMessage, n: number): Promise<void> {
  let got = 0;
  await new Promise<void>((resolve) => {
    const onData = (c: Buffer): void => {
      got += c.length;
      if (got >= n) {
        res.off('data', onData);
        res.pause();
        resolve();
      }
    };
    res.on('data', onData);
    res.resume();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('report downloads', () => {
  it('render only as fast as the client reads (backpressure)', async () => {
    const live = createFakeLive();
    const probe: Probe = { made: 0, started: 0, returned: 0 };
    endless(live, probe);
    const url = await start(live);
    const res = await begin(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="entra-bas-report.json"');
    await readSome(res, 1024 * 1024);
    // The client stops reading: the render stops once the socket buffers are full.
    await sleep(300);
    const stalled = probe.made;
    await sleep(500);
    expect(probe.made).toBe(stalled);
    // Socket buffers (both ends) and one write batch: a few MB at most, not the endless report.
    expect(stalled).toBeLessThan(1024 * 1024 + 16 * 1024 * 1024);
    // Reading again resumes it.
    await readSome(res, stalled + 1024 * 1024);
    expect(probe.made).toBeGreaterThan(stalled);
  });

  it('stop rendering and free their turn when the client hangs up mid-download', async () => {
    const live = createFakeLive();
    const probe: Probe = { made: 0, started: 0, returned: 0 };
    endless(live, probe);
    const url = await start(live, { maxActive: 1 });
    const first = await begin(url);
    await readSome(first, 256 * 1024);
    first.destroy();
    await expect.poll(() => probe.returned).toBe(1);
    const made = probe.made;
    await sleep(200);
    expect(probe.made).toBe(made);
    // The only render slot is free again: the next download starts at once.
    const second = await begin(url);
    expect(second.statusCode).toBe(200);
    await readSome(second, 64 * 1024);
    expect(probe.started).toBe(2);
  });

  it('render a few at a time: later ones wait their turn, beyond the queue 503 + Retry-After', async () => {
    const live = createFakeLive();
    const probe: Probe = { made: 0, started: 0, returned: 0 };
    endless(live, probe);
    const url = await start(live, { maxActive: 1, maxQueued: 1 });
    const first = await begin(url);
    await readSome(first, 64 * 1024);
    // The second waits (no headers yet), the third is refused.
    let secondRes: IncomingMessage | undefined;
    const second = begin(url).then((r) => (secondRes = r));
    await sleep(200);
    expect(secondRes).toBeUndefined();
    const third = await get(url, '/report.json');
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('10');
    expect(third.body).toContain('too many report downloads');
    expect(probe.started).toBe(1);
    // The first ends (client gone): the second gets its turn.
    first.destroy();
    const res2 = await second;
    expect(res2.statusCode).toBe(200);
    await readSome(res2, 64 * 1024);
    expect(probe.started).toBe(2);
  });

  it('forget a waiting client that hangs up; refuse one that waited too long', async () => {
    const live = createFakeLive();
    const probe: Probe = { made: 0, started: 0, returned: 0 };
    endless(live, probe);
    const url = await start(live, { maxActive: 1, maxQueued: 1, queueTimeoutMs: 400 });
    const first = await begin(url);
    await readSome(first, 64 * 1024);
    // A waiting request whose client hangs up is dropped from the line without a render.
    const u = new URL('/report.json', url);
    const waiting = request({ host: u.hostname, port: u.port, path: u.pathname });
    waiting.on('error', () => {
      // Expected: we hang up ourselves.
    });
    waiting.end();
    await sleep(150);
    waiting.destroy();
    // Its place in line is free: another one waits there (not refused at once as a full line
    // would be) until the time limit, then gets 503 with Retry-After.
    const t0 = performance.now();
    const late = await get(url, '/report.json');
    expect(late.status).toBe(503);
    expect(late.headers['retry-after']).toBe('10');
    expect(late.body).toContain('busy; try again shortly');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
    expect(probe.started).toBe(1);
    first.destroy();
    const next = await begin(url);
    expect(next.statusCode).toBe(200);
    await readSome(next, 16 * 1024);
    expect(probe.started).toBe(2);
  });

  it('cut the response (never a short file that looks complete) when the render fails midway', async () => {
    const live = createFakeLive();
    const probe: Probe = { made: 0, started: 0, returned: 0, failAfter: 20 };
    endless(live, probe);
    const url = await start(live);
    const res = await begin(url);
    expect(res.statusCode).toBe(200);
    const outcome = await new Promise<string>((resolve) => {
      res.on('end', () => resolve('complete'));
      res.on('error', () => resolve('error'));
      res.on('aborted', () => resolve('error'));
      res.resume();
    });
    expect(outcome).toBe('error');
    // The failure freed the slot.
    probe.failAfter = undefined;
    const again = await begin(url);
    expect(again.statusCode).toBe(200);
  });

  it('answer HEAD without rendering', async () => {
    const live = createFakeLive();
    const probe: Probe = { made: 0, started: 0, returned: 0 };
    endless(live, probe);
    const url = await start(live);
    const res = await get(url, '/report.html', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(probe.started).toBe(0);
  });
});
