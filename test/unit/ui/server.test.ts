import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ToolError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { startDashboard, type RunningDashboard } from '../../../src/ui/server.js';
import { createFakeLive, makeRecord, type FakeLive } from './fake-live.js';
import { get, openEvents } from './http.js';

let dashboard: RunningDashboard | undefined;

afterEach(async () => {
  await dashboard?.close();
  dashboard = undefined;
});

async function start(live: FakeLive = createFakeLive()): Promise<{ url: string; live: FakeLive }> {
  dashboard = await startDashboard({ live, logger: silentLogger() });
  return { url: dashboard.url, live };
}

describe('startDashboard', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com'])(
    'refuses to listen on %s',
    async (host) => {
      const err = await startDashboard({
        live: createFakeLive(),
        host,
        logger: silentLogger(),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).code).toBe('ERR_USAGE');
    },
  );

  it('listens on 127.0.0.1 and a free port by default', async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('reports a port already in use as ERR_LISTEN', async () => {
    const { url } = await start();
    const port = Number(new URL(url).port);
    const err = await startDashboard({
      live: createFakeLive(),
      port,
      logger: silentLogger(),
    }).catch((e: unknown) => e);
    expect((err as ToolError).code).toBe('ERR_LISTEN');
  });

  it('close() is idempotent and ends open event streams', async () => {
    const { url } = await start();
    const sse = await openEvents(url);
    const ended = new Promise((resolve) => sse.res.on('close', resolve));
    await Promise.all([dashboard?.close(), dashboard?.close()]);
    await ended;
  });
});

describe('routes', () => {
  it('serves the page with a nonce CSP, nosniff and no CORS', async () => {
    const { url } = await start();
    const res = await get(url, '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const csp = String(res.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.body).toContain(`<script nonce="${nonce}">`);
    expect(res.body).toContain(`<style nonce="${nonce}">`);
    // A fresh nonce per response.
    const again = await get(url, '/');
    expect(again.headers['content-security-policy']).not.toBe(csp);
  });

  it('answers HEAD without a body', async () => {
    const { url } = await start();
    const res = await get(url, '/', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
  });

  it('returns the compact snapshot and recent records', async () => {
    const live = createFakeLive();
    live.add(makeRecord({ id: 'a' }));
    live.add(makeRecord({ id: 'b', verdict: 'covered', clientId: 'other' }));
    const { url } = await start(live);
    const res = await get(url, '/api/snapshot');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const data = JSON.parse(res.body) as {
      snapshot: { summary: { exchanges: number }; applications: { exchangeCount: number }[] };
      recent: { id: string; reasonCodes: string[]; evidence?: unknown }[];
    };
    expect(data.snapshot.summary.exchanges).toBe(2);
    expect(data.snapshot.applications).toHaveLength(2);
    expect(data.recent.map((r) => r.id)).toEqual(['a', 'b']);
    expect(data.recent[0]?.reasonCodes).toEqual(['spa-auth-code-pkce']);
    expect(data.recent[0]?.evidence).toBeUndefined();
    const limited = JSON.parse((await get(url, '/api/snapshot?limit=1')).body) as typeof data;
    expect(limited.recent.map((r) => r.id)).toEqual(['b']);
  });

  it('returns one full record with its evidence, 404 otherwise', async () => {
    const live = createFakeLive();
    const record = makeRecord({ id: 'ex/with space' });
    live.add(record);
    const { url } = await start(live);
    const res = await get(url, `/api/exchanges/${encodeURIComponent('ex/with space')}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(record);
    expect((await get(url, '/api/exchanges/nope')).status).toBe(404);
    expect((await get(url, '/api/exchanges/%E0%A4%A')).status).toBe(404);
    expect((await get(url, '/nope')).status).toBe(404);
  });

  it.each([
    ['json', 'application/json; charset=utf-8'],
    ['md', 'text/markdown; charset=utf-8'],
    ['html', 'text/html; charset=utf-8'],
    ['xml', 'application/xml; charset=utf-8'],
    ['har', 'application/json; charset=utf-8'],
  ])('serves /report.%s as a download', async (format, type) => {
    const live = createFakeLive();
    live.add(makeRecord());
    const { url } = await start(live);
    const res = await get(url, `/report.${format}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="entra-bas-report.${format}"`,
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toBe(await live.render(format as 'json'));
  });

  it('answers 500 without details when rendering fails', async () => {
    const live = createFakeLive();
    live.renderStream = () => Promise.reject(new Error('secret-ish internal detail'));
    const { url } = await start(live);
    const res = await get(url, '/report.json');
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('secret-ish');
  });

  it('keeps live updates for a real page with 40 idle event-stream clients connected', async () => {
    const live = createFakeLive();
    const { url } = await start(live);
    const u = new URL(url);
    const idle: Socket[] = [];
    try {
      // Clients that open the event stream, take its first bytes and then never read again.
      for (let i = 0; i < 40; i++) {
        const s = connect(Number(u.port), u.hostname);
        idle.push(s);
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.once('data', () => {
            s.pause();
            resolve();
          });
          s.write(`GET /api/events HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
        });
      }
      const page = await openEvents(url);
      try {
        expect(page.res.statusCode).toBe(200);
        await page.next('snapshot');
        live.add(makeRecord({ id: 'seen-live' }));
        expect(JSON.parse((await page.next('record')).data)).toMatchObject({ id: 'seen-live' });
      } finally {
        page.close();
      }
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});

describe('refusals', () => {
  it.each(['evil.example', 'evil.example:80', 'localhost.evil.example', '10.0.0.1'])(
    'refuses Host %j (DNS rebinding)',
    async (host) => {
      const { url } = await start();
      for (const path of ['/', '/api/snapshot', '/report.json', '/api/events']) {
        const res = await get(url, path, { headers: { host } });
        expect(res.status).toBe(403);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      }
    },
  );

  it('refuses a request without a Host header', async () => {
    const { url } = await start();
    const res = await get(url, '/api/snapshot', { setHost: false });
    expect([400, 403]).toContain(res.status);
  });

  it.each(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST'])('accepts Host %s', async (name) => {
    const { url } = await start();
    const res = await get(url, '/api/snapshot', {
      headers: { host: `${name}:${new URL(url).port}` },
    });
    expect(res.status).toBe(200);
  });

  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS'])('refuses %s with 405', async (method) => {
    const { url } = await start();
    const res = await get(url, '/api/snapshot', { method });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('refuses foreign origins and cross-site fetches of data', async () => {
    const { url } = await start();
    const foreign = await get(url, '/api/snapshot', {
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const nullOrigin = await get(url, '/report.har', { headers: { origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    const crossSite = await get(url, '/report.json', {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    const sameOrigin = await get(url, '/api/snapshot', {
      headers: { origin: url.slice(0, -1), 'sec-fetch-site': 'same-origin' },
    });
    expect(sameOrigin.status).toBe(200);
    // The page itself may be opened from a link anywhere.
    const page = await get(url, '/', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(page.status).toBe(200);
  });
});

describe('events', () => {
  it('streams a snapshot first, then each new record (compact, without evidence)', async () => {
    const live = createFakeLive();
    const { url } = await start(live);
    const sse = await openEvents(url);
    try {
      expect(sse.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const first = await sse.next('snapshot');
      expect(JSON.parse(first.data)).toMatchObject({ summary: { exchanges: 0 } });
      live.add(makeRecord({ id: 'streamed-1', clientId: 'app-x' }));
      const rec = JSON.parse((await sse.next('record')).data) as Record<string, unknown>;
      expect(rec).toMatchObject({ id: 'streamed-1', clientId: 'app-x', verdict: 'not-covered' });
      expect(rec.evidence).toBeUndefined();
      const later = await sse.next('snapshot', sse.events.indexOf(first) + 1);
      expect(JSON.parse(later.data)).toMatchObject({ summary: { exchanges: 1 } });
    } finally {
      sse.close();
    }
  });

  it('unsubscribes from the session when the last client leaves', async () => {
    const live = createFakeLive();
    const { url } = await start(live);
    const sse = await openEvents(url);
    await sse.next('snapshot');
    expect(live.listenerCount()).toBe(1);
    sse.close();
    await expect.poll(() => live.listenerCount()).toBe(0);
  });
});
