/**
 * The dashboard with a 10,000-exchange session, and what its outputs may contain. Records reach
 * the dashboard already redacted; these tests check that the dashboard never adds anything: its
 * list views carry no evidence at all, and its page carries no session data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { startDashboard, type RunningDashboard } from '../../../src/ui/server.js';
import { createFakeLive, makeRecord, type FakeLive } from './fake-live.js';
import { get, openEvents } from './http.js';

const CANARY = 'CANARY-SECRET-7f3a9c';
const JWT_LIKE = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJl';

let dashboard: RunningDashboard | undefined;
afterEach(async () => {
  await dashboard?.close();
  dashboard = undefined;
});

function fill(live: FakeLive, n: number): void {
  const verdicts = ['covered', 'not-covered', 'conditional', 'not-applicable', 'unknown'] as const;
  for (let i = 0; i < n; i++) {
    live.add(
      makeRecord({
        id: `ex-${i}`,
        startedAt: new Date(Date.UTC(2026, 0, 1, 10) + i * 100).toISOString(),
        clientId: `app-${i % 25}`,
        verdict: verdicts[i % verdicts.length] ?? 'unknown',
      }),
    );
  }
}

describe('a 10,000-exchange session', () => {
  it('keeps /api/snapshot small and cheap', async () => {
    const live = createFakeLive();
    fill(live, 10_000);
    // What the route asks of the session, counted: its cost does not depend on the machine.
    const asked = { compact: 0, full: 0, get: 0, render: 0, recent: [] as number[] };
    const counted: FakeLive = {
      ...live,
      compactSnapshot: () => (asked.compact++, live.compactSnapshot()),
      snapshot: () => (asked.full++, live.snapshot()),
      get: (id) => (asked.get++, live.get(id)),
      render: (f) => (asked.render++, live.render(f)),
      renderStream: (f) => (asked.render++, live.renderStream(f)),
      recent: (limit) => (asked.recent.push(limit), live.recent(limit)),
    };
    dashboard = await startDashboard({ live: counted, logger: silentLogger() });
    const res = await get(dashboard.url, '/api/snapshot');
    expect(res.status).toBe(200);
    // One compact snapshot and the 500 most recent records: never the whole session.
    expect(asked).toEqual({ compact: 1, full: 0, get: 0, render: 0, recent: [500] });
    const data = JSON.parse(res.body) as {
      snapshot: { summary: { exchanges: number }; applications: { exchangeIds: string[] }[] };
      recent: unknown[];
    };
    expect(data.snapshot.summary.exchanges).toBe(10_000);
    expect(data.recent.length).toBe(500);
    for (const a of data.snapshot.applications)
      expect(a.exchangeIds.length).toBeLessThanOrEqual(20);
    expect(res.body.length).toBeLessThan(512 * 1024);
    // The limit is capped whatever the client asks.
    const big = JSON.parse((await get(dashboard.url, '/api/snapshot?limit=999999')).body) as {
      recent: unknown[];
    };
    expect(big.recent.length).toBe(2000);
  });

  it('streams a burst of 10,000 records to a client', async () => {
    const live = createFakeLive();
    dashboard = await startDashboard({ live, logger: silentLogger() });
    const sse = await openEvents(dashboard.url);
    try {
      await sse.next('snapshot');
      fill(live, 10_000);
      await expect
        .poll(() => sse.events.filter((e) => e.event === 'record').length, { timeout: 10_000 })
        .toBe(10_000);
    } finally {
      sse.close();
    }
  });

  it('finds an old record by id', async () => {
    const live = createFakeLive();
    fill(live, 10_000);
    dashboard = await startDashboard({ live, logger: silentLogger() });
    const res = await get(dashboard.url, '/api/exchanges/ex-3');
    expect(JSON.parse(res.body)).toMatchObject({ id: 'ex-3' });
  });
});

describe('secrets', () => {
  function plantedRecord() {
    const base = makeRecord({ id: 'planted' });
    return makeRecord({
      id: 'planted',
      evidence: {
        ...base.evidence,
        form: { code: CANARY, client_secret: CANARY },
        requestHeaders: { authorization: `Bearer ${JWT_LIKE}`, cookie: CANARY },
        claims: { raw: { token: JWT_LIKE } },
      },
    });
  }

  it('never puts evidence into the page, the snapshot or the event stream', async () => {
    const live = createFakeLive();
    live.add(plantedRecord());
    dashboard = await startDashboard({ live, logger: silentLogger() });
    const sse = await openEvents(dashboard.url);
    try {
      await sse.next('snapshot');
      live.add({ ...plantedRecord(), id: 'planted-2' });
      await sse.next('record');
      const outputs = [
        (await get(dashboard.url, '/')).body,
        (await get(dashboard.url, '/api/snapshot')).body,
        ...sse.events.map((e) => e.data),
      ];
      for (const out of outputs) {
        expect(out).not.toContain(CANARY);
        expect(out).not.toContain(JWT_LIKE);
      }
    } finally {
      sse.close();
    }
  });

  it('the page contains nothing from the session', async () => {
    const live = createFakeLive();
    live.add(makeRecord({ id: 'p1', clientId: CANARY, path: `/${CANARY}` }));
    dashboard = await startDashboard({ live, logger: silentLogger() });
    expect((await get(dashboard.url, '/')).body).not.toContain(CANARY);
  });

  it('serves a full record exactly as the session holds it (adds nothing)', async () => {
    const live = createFakeLive();
    const record = makeRecord({ id: 'exact' });
    live.add(record);
    dashboard = await startDashboard({ live, logger: silentLogger() });
    const body = (await get(dashboard.url, '/api/exchanges/exact')).body;
    expect(body).toBe(JSON.stringify(record));
  });
});
