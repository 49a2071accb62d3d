import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { EventHub, sseFrame, type EventHubOptions } from '../../../src/ui/event-hub.js';
import { createFakeLive, makeRecord, type FakeLive } from './fake-live.js';
import { openEvents } from './http.js';

let server: Server | undefined;
let hub: EventHub | undefined;

afterEach(async () => {
  hub?.close();
  hub = undefined;
  await new Promise<void>((resolve) => {
    if (server === undefined) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
  server = undefined;
});

async function serve(
  live: FakeLive,
  opts: Partial<EventHubOptions> = {},
): Promise<{ url: string; hub: EventHub }> {
  const h = new EventHub({ live, logger: silentLogger(), ...opts });
  hub = h;
  server = createServer((_req, res) => {
    h.attach(res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, hub: h };
}

describe('sseFrame', () => {
  it('is one event with JSON data on a single line', () => {
    expect(sseFrame('record', { a: 'x\ny' })).toBe('event: record\ndata: {"a":"x\\ny"}\n\n');
  });
});

describe('EventHub', () => {
  it('lets the oldest client go for a new one at maxClients, asking it to wait before reconnecting', async () => {
    const live = createFakeLive();
    const { url, hub: h } = await serve(live, { maxClients: 2, evictedRetryMs: 30_000 });
    const a = await openEvents(url);
    const b = await openEvents(url);
    let c: Awaited<ReturnType<typeof openEvents>> | undefined;
    try {
      await a.next('snapshot');
      await b.next('snapshot');
      let aText = '';
      a.res.on('data', (chunk: string) => (aText += chunk));
      const aEnded = new Promise<void>((resolve) => a.res.once('end', resolve));
      c = await openEvents(url);
      expect(c.res.statusCode).toBe(200);
      await c.next('snapshot');
      await aEnded;
      expect(aText).toContain('retry: 30000\n\n');
      expect(h.clientCount).toBe(2);
      live.add(makeRecord({ id: 'after-eviction' }));
      expect(JSON.parse((await b.next('record')).data)).toMatchObject({ id: 'after-eviction' });
      expect(JSON.parse((await c.next('record')).data)).toMatchObject({ id: 'after-eviction' });
      expect(a.events.some((e) => e.event === 'record')).toBe(false);
    } finally {
      a.close();
      b.close();
      c?.close();
    }
  });

  it('lets a client that stopped reading go before an older one that keeps up', async () => {
    const live = createFakeLive();
    const { url, hub: h } = await serve(live, {
      maxClients: 2,
      maxBufferedBytes: 256 * 1024 * 1024,
    });
    const reader = await openEvents(url);
    const stuck = await openEvents(url);
    let fresh: Awaited<ReturnType<typeof openEvents>> | undefined;
    try {
      await reader.next('snapshot');
      await stuck.next('snapshot');
      stuck.res.pause();
      stuck.res.socket.pause();
      // Enough output (about 16 MB) that the stuck client's socket buffers fill and the server
      // holds the rest.
      const path = `/${'y'.repeat(280)}`;
      const host = `${'h'.repeat(240)}.example`;
      for (let i = 0; i < 20_000; i++) live.add(makeRecord({ id: `fill-${i}`, path, host }));
      await expect
        .poll(() => reader.events.filter((e) => e.event === 'record').length, { timeout: 20_000 })
        .toBe(20_000);
      fresh = await openEvents(url);
      await fresh.next('snapshot');
      expect(h.clientCount).toBe(2);
      // The reader (the oldest) was kept: it still gets what comes next, and so does the new one.
      live.add(makeRecord({ id: 'last' }));
      expect(JSON.parse((await fresh.next('record')).data)).toMatchObject({ id: 'last' });
      await expect
        .poll(() => reader.events.some((e) => e.event === 'record' && e.data.includes('"last"')))
        .toBe(true);
    } finally {
      reader.close();
      stuck.close();
      fresh?.close();
    }
  });

  it('sends heartbeats and throttles snapshots', async () => {
    const live = createFakeLive();
    const { url, hub: h } = await serve(live, { heartbeatMs: 20, snapshotThrottleMs: 200 });
    const sse = await openEvents(url);
    try {
      await sse.next('snapshot');
      expect(h.clientCount).toBe(1);
      for (let i = 0; i < 50; i++) live.add(makeRecord({ id: `r${i}` }));
      await expect.poll(() => sse.events.filter((e) => e.event === 'record').length).toBe(50);
      await sse.next('snapshot', 1);
      // 50 records within the throttle window: one snapshot after the first, not 50.
      expect(sse.events.filter((e) => e.event === 'snapshot').length).toBeLessThanOrEqual(3);
    } finally {
      sse.close();
    }
  });

  it('drops a client that stops reading instead of buffering without bound', async () => {
    const live = createFakeLive();
    const { url, hub: h } = await serve(live, { maxBufferedBytes: 64 * 1024 });
    const sse = await openEvents(url);
    await sse.next('snapshot');
    sse.res.pause();
    sse.res.socket.pause();
    const big = 'x'.repeat(250);
    for (let i = 0; i < 20_000 && h.clientCount > 0; i++) {
      live.add(makeRecord({ id: `big-${i}`, path: `/${big}` }));
    }
    await expect.poll(() => h.clientCount).toBe(0);
    sse.close();
  });

  it('keeps a failing session listener from escaping', async () => {
    const live = createFakeLive();
    const { url } = await serve(live);
    const sse = await openEvents(url);
    try {
      await sse.next('snapshot');
      live.compactSnapshot = () => {
        throw new Error('boom');
      };
      expect(() => live.add(makeRecord({ id: 'ok' }))).not.toThrow();
      await sse.next('record');
    } finally {
      sse.close();
    }
  });
});
