import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { EventHub, sseFrame, type EventHubOptions } from '../../../src/ui/event-hub.js';
import { createFakeLive, makeRecord, type FakeLive } from './fake-live.js';
import { get, openEvents } from './http.js';

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
  it('refuses clients beyond maxClients with 503', async () => {
    const { url } = await serve(createFakeLive(), { maxClients: 1 });
    const first = await openEvents(url);
    try {
      await first.next('snapshot');
      const second = await get(url, '/api/events');
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBe('5');
    } finally {
      first.close();
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
