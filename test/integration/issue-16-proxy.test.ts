/**
 * Issue 16, the proxy's own defects (items 2, 4, 5, 6a, 6b), against the real proxy on port 0,
 * real sockets, curl and undici:
 * - a request for the proxy's own address (every spelling) gets its page, never a loop;
 * - requests inside a tunnel go only to the CONNECT's target: another Host gets 421;
 * - the dashboard is not served through the proxy (403);
 * - silent connections are closed, idle ones capped;
 * - a malformed request inside a decrypted tunnel gets a 400.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/core/errors.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { createCertificateAuthority, LeafIssuer } from '../../src/proxy/certs.js';
import {
  startMitm,
  type MitmAdapter,
  type MitmAdapterOptions,
} from '../../src/proxy/mitm-adapter.js';
import { createPolicy } from '../../src/proxy/policy.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { createUpstream } from '../../src/proxy/upstream.js';
import { startTestUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/temp.js';

let up: TestUpstream;
let plain: TestUpstream;
let proxyCa: string;
let issuer: LeafIssuer;
const adapters: MitmAdapter[] = [];

beforeAll(async () => {
  up = await startTestUpstream();
  plain = await startTestUpstream(undefined, { tls: false });
  const ca = await createCertificateAuthority({ commonName: 'TEST-ONLY issue-16 proxy CA' });
  proxyCa = ca.certPem;
  issuer = await LeafIssuer.create(ca);
});

afterAll(async () => {
  for (const a of adapters) await a.close();
  await up.close();
  await plain.close();
});

async function adapter(
  o: Partial<MitmAdapterOptions> & {
    mapRemote?: Record<string, string>;
    upstreamProxy?: string;
  } = {},
): Promise<MitmAdapter> {
  const { mapRemote, upstreamProxy, ...rest } = o;
  const a = await startMitm({
    host: '127.0.0.1',
    port: 0,
    policy: createPolicy({}),
    issuer,
    upstream: createUpstream({
      mapRemote: {
        'login.microsoftonline.com': up.url,
        'login.microsoftonline.us': 'https://127.0.0.1:1', // nothing listens there
        '169.254.169.254': plain.url,
        'example.test': up.url,
        ...mapRemote,
      },
      upstreamCa: [up.caPem],
      upstreamProxy: upstreamProxy ?? null,
    }),
    captureLimit: 1024,
    upstreamTimeoutMs: 2_000,
    logger: silentLogger(),
    caPem: proxyCa,
    nextId: () => 'x',
    onExchange: () => undefined,
    ...rest,
  });
  adapters.push(a);
  return a;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** curl, as a user would run it; prints the status (and the CONNECT status), then the body. */
function curl(args: string[]): Promise<{ status: string; connect: string; body: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-s', '-g', '-m', '5', '-w', '\n%{http_code} %{http_connect}', ...args],
      { timeout: 10_000 },
      (_err, stdout) => {
        const at = stdout.lastIndexOf('\n');
        const [status = '', connect = ''] = stdout.slice(at + 1).split(' ');
        resolve({ status, connect, body: stdout.slice(0, at) });
      },
    );
  });
}

/** A raw CONNECT to `authority` through the proxy; resolves with the answer's first line. */
function connectRaw(
  port: number,
  authority: string,
): Promise<{ socket: net.Socket; line: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`),
    );
    s.once('data', (d: Buffer) =>
      resolve({ socket: s, line: d.toString().split('\r\n')[0] ?? '' }),
    );
    s.once('error', reject);
  });
}

async function tlsTunnel(port: number, host: string): Promise<tls.TLSSocket> {
  const { socket, line } = await connectRaw(port, `${host}:443`);
  expect(line).toMatch(/^HTTP\/1\.1 200/);
  return new Promise((resolve, reject) => {
    const t = tls.connect({ socket, servername: host, ca: [proxyCa] }, () => resolve(t));
    t.once('error', reject);
  });
}

/** Writes `text` and collects what comes back until the peer closes or `ms` of quiet. */
function exchange(s: net.Socket | tls.TLSSocket, text: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    let timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      s.off('data', onData);
      resolve(got);
    }
    function onData(d: Buffer): void {
      got += d.toString();
      clearTimeout(timer);
      timer = setTimeout(done, 200);
    }
    s.on('data', onData);
    s.once('close', done);
    s.on('error', () => undefined);
    s.write(text);
  });
}

/** Polls `count` until it is at most `want` (or 5 s passed); returns the last count. */
async function settled(count: () => Promise<number>, want: number): Promise<number> {
  let n = await count();
  for (let i = 0; i < 50 && n > want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    n = await count();
  }
  return n;
}

const closedWithin = (s: net.Socket, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

/** This machine's own non-loopback IPv4 addresses (none in some sandboxes). */
const interfaceIps = Object.values(networkInterfaces())
  .flat()
  .flatMap((i) => (i && i.family === 'IPv4' && !i.internal ? [i.address] : []));

describe('a request for the proxy itself (issue 16 item 2)', () => {
  it('answers every spelling of its own address with its page, holding no sockets', async () => {
    // Listening on every address, as --host 0.0.0.0 does: its interface addresses are "me" too.
    const a = await adapter({ host: '0.0.0.0' });
    const p = a.port;
    const spellings = [
      '127.0.0.1',
      'localhost',
      '127.1',
      '[::1]',
      '0.0.0.0',
      ...interfaceIps.slice(0, 1),
    ];
    for (const h of spellings) {
      for (let i = 0; i < 20; i++) {
        const proxied = await curl(['-x', `http://127.0.0.1:${p}`, `http://${h}:${p}/`]);
        expect(proxied.status, `proxied request for ${h}:${p}`).toBe('200');
        expect(proxied.body).toContain('entra-bas-proxy');
      }
      if (h !== '[::1]') {
        // Sent straight to the proxy (origin form), as a browser opening the address does.
        const direct = await curl([`http://${h}:${p}/`]);
        expect(direct.status, `direct request to ${h}:${p}`).toBe('200');
      }
    }
    // CONNECT to the proxy's own host:port: plain HTTP and TLS inside both get the page.
    const viaConnect = await curl(['-p', '-x', `http://127.0.0.1:${p}`, `http://localhost:${p}/`]);
    expect([viaConnect.connect, viaConnect.status]).toEqual(['200', '200']);
    const self = await tlsTunnelTo(p, `127.0.0.1:${p}`);
    const page = await exchange(self, `GET / HTTP/1.1\r\nhost: 127.0.0.1:${p}\r\n\r\n`);
    self.destroy();
    expect(page).toMatch(/^HTTP\/1\.1 200/);
    expect(page).toContain('/ca.pem');
    // Nothing is left behind: no loop holds sockets (before the fix: 512 per spelling).
    expect(await settled(() => a.connections(), 2)).toBeLessThanOrEqual(2);
  }, 120_000);

  it('serves the CA certificate, never the key', async () => {
    const a = await adapter();
    const res = await curl([`http://127.0.0.1:${a.port}/ca.pem`]);
    expect(res.status).toBe('200');
    expect(res.body.trim()).toBe(proxyCa.trim());
    expect(res.body).not.toMatch(/PRIVATE KEY/);
  });

  it('never forwards to itself through --map-remote', async () => {
    const port = await freePort();
    const a = await adapter({ port, mapRemote: { 'loop.test': `http://127.0.0.1:${port}` } });
    const res = await curl(['-x', `http://127.0.0.1:${a.port}`, 'http://loop.test/x']);
    expect(res.status).toBe('508');
    expect(res.body).toMatch(/map-remote/);
    const tunneled = await curl(['-p', '-x', `http://127.0.0.1:${a.port}`, 'http://loop.test/x']);
    expect(tunneled.connect).toBe('508');
    expect(await settled(() => a.connections(), 2)).toBeLessThanOrEqual(2);
  });

  it('refuses to start chained to itself (--upstream-proxy)', async () => {
    const port = await freePort();
    const err = await adapter({ port, upstreamProxy: `http://localhost:${port}` }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe('ERR_USAGE');
  });
});

async function tlsTunnelTo(port: number, authority: string): Promise<tls.TLSSocket> {
  const { socket, line } = await connectRaw(port, authority);
  expect(line).toMatch(/^HTTP\/1\.1 200/);
  const host = authority.replace(/:\d+$/, '');
  return new Promise((resolve, reject) => {
    const t = tls.connect(
      { socket, host, ...(net.isIP(host) ? {} : { servername: host }), ca: [proxyCa] },
      () => resolve(t),
    );
    t.once('error', reject);
  });
}

describe('requests inside a tunnel go to the CONNECT target only (issue 16 item 4)', () => {
  it('answers 421 when the Host names another host, and pins matching ones', async () => {
    const a = await adapter();
    const before = up.seen.length;
    // The tunnel was opened (and its leaf issued) for .us; the request asks for .com.
    const t = await tlsTunnel(a.port, 'login.microsoftonline.us');
    const res = await exchange(
      t,
      'GET /misdirected HTTP/1.1\r\nhost: login.microsoftonline.com\r\n\r\n',
    );
    t.destroy();
    expect(res).toMatch(/^HTTP\/1\.1 421/);
    expect(up.seen.length).toBe(before);
    // Host spelled differently (case, explicit default port) is the same target.
    const ok = await tlsTunnel(a.port, 'login.microsoftonline.com');
    const same = await exchange(
      ok,
      'GET /pinned HTTP/1.1\r\nhost: LOGIN.MicrosoftOnline.com:443\r\n\r\n',
    );
    expect(same).toMatch(/^HTTP\/1\.1 200/);
    const other = await exchange(
      ok,
      'GET /other HTTP/1.1\r\nhost: login.microsoftonline.com:8443\r\n\r\n',
    );
    ok.destroy();
    expect(other).toMatch(/^HTTP\/1\.1 421/);
    expect(up.seen.map((s) => s.url)).toContain('/pinned');
    expect(up.seen.map((s) => s.url)).not.toContain('/other');
  });

  it('refuses a WebSocket upgrade naming another host with 421', async () => {
    const a = await adapter();
    const t = await tlsTunnel(a.port, 'login.microsoftonline.com');
    const res = await exchange(
      t,
      'GET /socket HTTP/1.1\r\nhost: login.microsoftonline.us\r\nconnection: Upgrade\r\n' +
        'upgrade: websocket\r\nsec-websocket-version: 13\r\n' +
        'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    t.destroy();
    expect(res).toMatch(/^HTTP\/1\.1 421/);
  });

  it('pins plain HTTP inside a CONNECT too', async () => {
    const a = await adapter();
    const { socket, line } = await connectRaw(a.port, `127.0.0.1:${plain.port}`);
    expect(line).toMatch(/^HTTP\/1\.1 200/);
    const before = plain.seen.length;
    const res = await exchange(
      socket,
      'GET /metadata/identity/oauth2/token HTTP/1.1\r\nhost: 169.254.169.254\r\nmetadata: true\r\n\r\n',
    );
    socket.destroy();
    expect(res).toMatch(/^HTTP\/1\.1 421/);
    expect(plain.seen.length).toBe(before);
  });
});

describe('the dashboard is not served through the proxy (issue 16 item 5)', () => {
  let proxy: RunningProxy;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('ebp-issue16-');
    proxy = await startProxy({ certsDir: join(dir, 'certs'), ui: true, sessionLogPath: null });
  });
  afterAll(async () => {
    await proxy?.close({ drainMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every spelling of the dashboard address with a 403 page', async () => {
    const d = new URL(proxy.dashboardUrl!);
    const port = d.port;
    for (const h of ['127.0.0.1', 'localhost', '127.1', '[::1]', '0.0.0.0']) {
      const res = await curl(['-x', proxy.url, `http://${h}:${port}/api/snapshot`]);
      expect(res.status, `${h}:${port}`).toBe('403');
      expect(res.body).toContain('dashboard is not served through the proxy');
      const tunneled = await curl(['-p', '-x', proxy.url, `http://${h}:${port}/`]);
      expect(tunneled.connect, `CONNECT ${h}:${port}`).toBe('403');
    }
    // Opened directly (not through the proxy) it still works.
    const direct = await curl([`${proxy.dashboardUrl!}api/snapshot`]);
    expect(direct.status).toBe('200');
  });

  it("links the dashboard from the proxy's own page", async () => {
    const res = await curl([`${proxy.url}/`]);
    expect(res.status).toBe('200');
    expect(res.body).toContain(proxy.dashboardUrl!);
  });
});

describe('silent and idle connections (issue 16 item 6a)', () => {
  it('closes connections that send nothing: before a CONNECT, after it, after TLS', async () => {
    const a = await adapter({ firstBytesTimeoutMs: 300 });
    const silent = net.connect(a.port, '127.0.0.1');
    silent.on('error', () => undefined);
    const { socket: afterConnect } = await connectRaw(a.port, 'login.microsoftonline.com:443');
    afterConnect.on('error', () => undefined);
    const afterTls = await tlsTunnel(a.port, 'login.microsoftonline.com');
    afterTls.on('error', () => undefined);
    const [s1, s2, s3] = await Promise.all([
      closedWithin(silent, 4000),
      closedWithin(afterConnect, 4000),
      closedWithin(afterTls, 4000),
    ]);
    expect({ s1, s2, s3 }).toEqual({ s1: true, s2: true, s3: true });
    // A raw tunnel (a host we do not decrypt) may stay quiet: it is the real server's business.
    const { socket: raw, line } = await connectRaw(a.port, 'example.test:443');
    expect(line).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 700));
    const rawTls = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const t = tls.connect({ socket: raw, servername: 'example.test', ca: [up.caPem] }, () =>
        resolve(t),
      );
      t.once('error', reject);
    });
    const quiet = await exchange(rawTls, 'GET /quiet HTTP/1.1\r\nhost: example.test\r\n\r\n');
    rawTls.destroy();
    expect(quiet).toMatch(/^HTTP\/1\.1 200/);
    // A working client is not affected by a short limit while it is busy.
    const t = await tlsTunnel(a.port, 'login.microsoftonline.com');
    const res = await exchange(t, 'GET /busy HTTP/1.1\r\nhost: login.microsoftonline.com\r\n\r\n');
    t.destroy();
    expect(res).toMatch(/^HTTP\/1\.1 200/);
  });

  it('caps idle and silent connections: the oldest silent go first, a reused one stays', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }) as Logger;
    const a = await adapter({ maxIdleConnections: 4, logger });
    // A keep-alive client that has done real work, now idle between requests.
    const worker = await tlsTunnel(a.port, 'login.microsoftonline.com');
    const first = await exchange(
      worker,
      'GET /one HTTP/1.1\r\nhost: login.microsoftonline.com\r\n\r\n',
    );
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    // A flood of connections that never send anything.
    const flood: net.Socket[] = [];
    for (let i = 0; i < 10; i++) {
      const s = net.connect(a.port, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      flood.push(s);
    }
    const stillOpen = (): number => flood.filter((s) => !s.destroyed && !s.readableEnded).length;
    await settled(() => Promise.resolve(stillOpen()), 3);
    const open = flood.filter((s) => !s.destroyed && !s.readableEnded);
    // The worker's connection counts, so at most 3 silent ones stay; the oldest were closed.
    expect(open.length).toBeLessThanOrEqual(3);
    expect(flood[0]!.destroyed || flood[0]!.readableEnded).toBe(true);
    const second = await exchange(
      worker,
      'GET /two HTTP/1.1\r\nhost: login.microsoftonline.com\r\n\r\n',
    );
    expect(second).toMatch(/^HTTP\/1\.1 200/);
    worker.destroy();
    for (const s of flood) s.destroy();
    const warnings = lines.filter((l) => /"level":40/.test(l) && /closing the oldest/.test(l));
    expect(warnings).toHaveLength(1);
  });
});

describe('malformed requests inside a decrypted tunnel (issue 16 item 6b)', () => {
  it('answers 400 Bad Request, as Node does on plain connections', async () => {
    const a = await adapter();
    const t = await tlsTunnel(a.port, 'login.microsoftonline.com');
    const res = await exchange(
      t,
      'GET / HTTP/1.1\r\nhost: login.microsoftonline.com\r\nbad header\r\n\r\n',
    );
    t.destroy();
    expect(res).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    // The same request on a plain connection, for comparison: Node's own answer.
    const s = net.connect(a.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const plainRes = await exchange(s, 'GET / HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n');
    s.destroy();
    expect(plainRes).toMatch(/^HTTP\/1\.1 400 Bad Request/);
  });
});
