/**
 * The http-mitm-proxy adapter on its own: real sockets on loopback, a local HTTPS upstream with a
 * test CA, undici as the client. What reaches `onExchange` is what the classifiers will see.
 */
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createRequire } from 'node:module';
import { ProxyAgent, WebSocket, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { RawExchange } from '../../src/core/types.js';
import { createCertificateAuthority, LeafIssuer } from '../../src/proxy/certs.js';
import { toRawExchange } from '../../src/core/captured.js';
import { startMitm, type MitmAdapter } from '../../src/proxy/mitm-adapter.js';
import { createPolicy } from '../../src/proxy/policy.js';
import { createUpstream } from '../../src/proxy/upstream.js';
import { startTestUpstream, testCa, type TestUpstream } from '../helpers/upstream.js';

/** ws, as installed for http-mitm-proxy (the same module the proxy relays WebSockets with). */
interface EchoSocket {
  on(event: 'message', fn: (m: unknown) => void): void;
  send(data: string): void;
}
const { WebSocketServer } = createRequire(
  createRequire(import.meta.url).resolve('http-mitm-proxy'),
)('ws') as {
  WebSocketServer: new (o: { server: https.Server }) => {
    on(
      event: 'connection',
      fn: (ws: EchoSocket, req: import('node:http').IncomingMessage) => void,
    ): void;
  };
};

let up: TestUpstream;
let plain: TestUpstream;
let untrusted: https.Server;
/** An HTTPS upstream that echoes WebSocket messages (ws, the library the proxy relays with). */
let wsEcho: https.Server;
let mitm: MitmAdapter;
let proxyCa: string;
const exchanges: RawExchange[] = [];
/** What the adapter's gate answers (a test sets it to hold recorded requests). */
let gateNow: Promise<void> | null = null;
/** What reached the global console while the proxy ran (http-mitm-proxy logs through it). */
const printed: string[] = [];

beforeAll(async () => {
  for (const m of ['debug', 'info', 'log', 'warn', 'error'] as const) {
    const original = console[m].bind(console);
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      printed.push(`console.${m}: ${args.map(String).join(' ')}`);
      original(...args);
    });
  }
  up = await startTestUpstream();
  plain = await startTestUpstream(undefined, { tls: false });
  // An upstream whose CA nobody trusts: the proxy must refuse it, never tunnel around it.
  const otherCa = await createCertificateAuthority({ commonName: 'TEST-ONLY untrusted CA' });
  const otherLeaf = await (await LeafIssuer.create(otherCa)).issue(['127.0.0.1']);
  untrusted = https.createServer({ cert: otherLeaf.certPem, key: otherLeaf.keyPem }, (_q, s) =>
    s.end('{}'),
  );
  await new Promise<void>((r) => untrusted.listen(0, '127.0.0.1', r));
  const untrustedPort = (untrusted.address() as AddressInfo).port;
  const { issuer: upIssuer } = await testCa();
  // Verified against the host the client asked for, as map-remote'd requests are.
  const wsLeaf = await upIssuer.issue(['127.0.0.1', 'login.windows.net']);
  wsEcho = https.createServer({ cert: wsLeaf.certPem, key: wsLeaf.keyPem });
  const wss = new WebSocketServer({ server: wsEcho });
  wss.on('connection', (ws, req) =>
    ws.on('message', (m) => ws.send(`echo ${String(m)} via ${req.headers.host ?? '?'}`)),
  );
  await new Promise<void>((r) => wsEcho.listen(0, '127.0.0.1', r));
  const wsPort = (wsEcho.address() as AddressInfo).port;
  const ca = await createCertificateAuthority({ commonName: 'TEST-ONLY proxy CA' });
  proxyCa = ca.certPem;
  let n = 0;
  mitm = await startMitm({
    host: '127.0.0.1',
    port: 0,
    policy: createPolicy({}),
    issuer: await LeafIssuer.create(ca),
    upstream: createUpstream({
      mapRemote: {
        'login.microsoftonline.com': up.url,
        'login.microsoftonline.us': 'https://127.0.0.1:1', // nothing listens there
        '169.254.169.254': plain.url,
        'example.test': up.url,
        'login.microsoftonline.de': `https://127.0.0.1:${untrustedPort}`,
        'login.windows.net': `https://127.0.0.1:${wsPort}`,
      },
      upstreamCa: [up.caPem],
    }),
    captureLimit: 64,
    upstreamTimeoutMs: 1_000,
    logger: silentLogger(),
    caPem: ca.certPem,
    nextId: () => `t-${++n}`,
    onExchange: (c) => exchanges.push(toRawExchange(c)),
    gate: () => gateNow,
  });
});

afterAll(async () => {
  vi.restoreAllMocks();
  await mitm.close();
  await up.close();
  await plain.close();
  untrusted.close();
  wsEcho.close();
});

function agent(): ProxyAgent {
  return new ProxyAgent({
    uri: `http://127.0.0.1:${mitm.port}`,
    requestTls: { ca: [proxyCa, up.caPem] },
  });
}

async function waitFor(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('mitm adapter', () => {
  it('decrypts an Entra host with a proxy-issued leaf and snapshots the exchange', async () => {
    const a = agent();
    const res = await request('https://login.microsoftonline.com/common/oauth2/v2.0/token', {
      method: 'POST',
      dispatcher: a,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'client-request-id': 'abc' },
      body:
        'grant_type=client_credentials&client_id=c1&scope=x%2F.default&client_secret=' +
        's'.repeat(100),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ token_type: 'Bearer' });
    await waitFor(() => exchanges.some((e) => e.url.includes('/oauth2/v2.0/token')));
    const x = exchanges.find((e) => e.url.includes('/oauth2/v2.0/token'))!;
    expect(x).toMatchObject({
      method: 'POST',
      host: 'login.microsoftonline.com',
      port: 443,
      scheme: 'https',
      status: 200,
      error: null,
    });
    expect(x.requestHeaders['client-request-id']).toBe('abc');
    expect(x.responseHeaders['x-ms-request-id']).toBe('11111111-2222-3333-4444-555555555555');
    // bounded copy: 64 bytes kept, the whole size counted
    expect(x.requestBody?.truncated).toBe(true);
    expect(x.requestBody?.text.length).toBe(64);
    expect(x.requestBody?.size).toBeGreaterThan(150);
    // the upstream got the whole body
    expect(up.seen.at(-1)?.body.length).toBeGreaterThan(150);
    await a.close();
  });

  it('holds a recorded request while the gate says so, then forwards and records it whole', async () => {
    let open = (): void => undefined;
    gateNow = new Promise<void>((r) => (open = r));
    const a = agent();
    const before = up.seen.length;
    const body = 'grant_type=refresh_token&client_id=held&refresh_token=' + 'r'.repeat(40);
    const pending = request('https://login.microsoftonline.com/held/oauth2/v2.0/token', {
      method: 'POST',
      dispatcher: a,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(up.seen.length).toBe(before); // not forwarded yet
    gateNow = null;
    open();
    const res = await pending;
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(up.seen.at(-1)?.body).toBe(body);
    await waitFor(() => exchanges.some((e) => e.url.startsWith('/held/')));
    const x = exchanges.find((e) => e.url.startsWith('/held/'));
    expect(x?.requestBody?.size).toBe(body.length);
    expect(x?.status).toBe(200);
    await a.close();
  });

  it('the client sees a leaf issued by the proxy CA for Entra hosts', async () => {
    const cert = await peerCert(mitm.port, 'login.microsoftonline.com', [proxyCa]);
    expect(cert.checkIssued(new X509Certificate(proxyCa))).toBe(true);
    expect(cert.subjectAltName).toContain('login.microsoftonline.com');
  });

  it('decrypts on the client socket: hostile or broken handshakes cost that connection only', async () => {
    const connectTo = (host: string): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const s = net.connect(mitm.port, '127.0.0.1', () =>
          s.write(`CONNECT ${host}:443 HTTP/1.1\r\nhost: ${host}:443\r\n\r\n`),
        );
        s.once('data', () => resolve(s));
        s.once('error', reject);
      });
    const closed = (s: net.Socket): Promise<void> =>
      new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
    // A TLS record header followed by garbage: the proxy drops the connection.
    const garbage = await connectTo('login.microsoftonline.com');
    garbage.on('error', () => undefined);
    garbage.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 6, 7, 8]));
    await closed(garbage);
    // A client that does not trust the proxy CA aborts the handshake.
    const wary = await connectTo('login.microsoftonline.com');
    await new Promise<void>((resolve) => {
      const t = tls.connect({ socket: wary, servername: 'login.microsoftonline.com' });
      t.once('error', () => resolve());
      t.once('secureConnect', () => resolve());
    });
    // One that hangs up in the middle of its handshake.
    const quitter = await connectTo('login.microsoftonline.com');
    quitter.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    quitter.destroy();
    // A ClientHello sent in the same segment as the CONNECT (no round trip): the proxy gets it as
    // the CONNECT's head and must decrypt from there.
    const eager = await new Promise<X509Certificate>((resolve, reject) => {
      const s = net.connect(mitm.port, '127.0.0.1', () => {
        let header = Buffer.alloc(0);
        let answered = false;
        const inner = new Duplex({
          read: () => undefined,
          write: (chunk: Buffer, _enc, cb) => void s.write(chunk, cb),
        });
        s.on('data', (d: Buffer) => {
          if (answered) return void inner.push(d);
          header = Buffer.concat([header, d]);
          const end = header.indexOf('\r\n\r\n');
          if (end === -1) return;
          answered = true;
          if (end + 4 < header.length) inner.push(header.subarray(end + 4));
        });
        s.cork();
        s.write('CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nhost: x\r\n\r\n');
        const t = tls.connect({
          socket: inner,
          servername: 'login.microsoftonline.com',
          ca: [proxyCa],
        });
        setTimeout(() => s.uncork(), 20);
        t.once('secureConnect', () => {
          const c = t.getPeerX509Certificate();
          t.destroy();
          s.destroy();
          if (c) resolve(c);
          else reject(new Error('no certificate'));
        });
        t.once('error', reject);
      });
    });
    expect(eager.checkIssued(new X509Certificate(proxyCa))).toBe(true);
    // Either way the proxy keeps serving everybody else.
    const a = agent();
    const res = await request('https://login.microsoftonline.com/after/hostile', { dispatcher: a });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await a.close();
  });

  it('relays a WebSocket on an intercepted host to where its requests go (map-remote)', async () => {
    const a = agent();
    const ws = new WebSocket('wss://login.windows.net/socket', { dispatcher: a });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.addEventListener('open', () => ws.send('hi'));
      ws.addEventListener('message', (e) => resolve(String(e.data)));
      ws.addEventListener('error', () => reject(new Error('websocket failed')));
    });
    expect(reply).toBe('echo hi via login.windows.net');
    ws.close();
    // An upstream that refuses: the client's WebSocket is closed, not left hanging.
    const dead = new WebSocket('wss://login.microsoftonline.us/socket', { dispatcher: a });
    const ended = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('still open'), 3000);
      dead.addEventListener('close', () => {
        clearTimeout(timer);
        resolve('closed');
      });
    });
    expect(ended).toBe('closed');
    await a.close();
  });

  it('tunnels other hosts untouched: the client sees the upstream certificate', async () => {
    const cert = await peerCert(mitm.port, 'example.test', [up.caPem]);
    expect(cert.checkIssued(new X509Certificate(proxyCa))).toBe(false);
    expect(cert.subjectAltName).toContain('127.0.0.1');
  });

  it('decodes gzip responses for the copy and keeps them compressed for the client', async () => {
    const a = agent();
    const res = await request('https://login.microsoftonline.com/gzip/token', { dispatcher: a });
    expect(res.headers['content-encoding']).toBe('gzip');
    await res.body.arrayBuffer();
    await waitFor(() => exchanges.some((e) => e.url === '/gzip/token'));
    const x = exchanges.find((e) => e.url === '/gzip/token')!;
    expect(x.responseBody?.text).toContain('token_type');
    await a.close();
  });

  it('captures plain-HTTP managed identity requests', async () => {
    const a = agent();
    const res = await request(
      'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/',
      {
        dispatcher: a,
        headers: { metadata: 'true' },
      },
    );
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await waitFor(() => exchanges.some((e) => e.host === '169.254.169.254'));
    const x = exchanges.find((e) => e.host === '169.254.169.254')!;
    expect(x).toMatchObject({ scheme: 'http', port: 80, method: 'GET' });
    expect(x.url).toMatch(/^\/metadata\/identity\/oauth2\/token\?api-version=2018-02-01/);
    expect(plain.seen.at(-1)?.url).toMatch(/^\/metadata\/identity/);
    await a.close();
  });

  it('reads plain HTTP inside a CONNECT to a local managed-identity endpoint', async () => {
    const a = agent();
    // undici tunnels even http:// targets through CONNECT
    const res = await request(
      `http://127.0.0.1:${plain.port}/MSI/token?resource=https%3A%2F%2Fvault.azure.net&api-version=2019-08-01`,
      {
        dispatcher: a,
        headers: { 'x-identity-header': 'h' },
      },
    );
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await waitFor(() => exchanges.some((e) => e.url.startsWith('/MSI/token')));
    expect(exchanges.find((e) => e.url.startsWith('/MSI/token'))).toMatchObject({
      host: '127.0.0.1',
      port: plain.port,
      scheme: 'http',
    });
    await a.close();
  });

  it('tunnels TLS to a local endpoint untouched (certificate pinning keeps working)', async () => {
    const cert = await peerCert(mitm.port, '127.0.0.1', [up.caPem], up.port);
    expect(cert.checkIssued(new X509Certificate(proxyCa))).toBe(false);
    expect(cert.subjectAltName).toContain('127.0.0.1');
  });

  it('turns an unreachable upstream into a 502 with one line, an exchange with an error, and keeps serving', async () => {
    const a = agent();
    const res = await request('https://login.microsoftonline.us/tenant/oauth2/v2.0/token', {
      method: 'POST',
      dispatcher: a,
      body: 'grant_type=password',
    });
    expect(res.statusCode).toBe(502);
    const text = await res.body.text();
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toMatch(/refused/);
    await waitFor(() => exchanges.some((e) => e.host === 'login.microsoftonline.us'));
    expect(exchanges.find((e) => e.host === 'login.microsoftonline.us')?.error?.code).toBe(
      'upstream-refused',
    );
    const again = await request(
      'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
      { dispatcher: a },
    );
    expect(again.statusCode).toBe(200);
    await again.body.text();
    await a.close();
  });

  it('verifies upstream TLS: an untrusted upstream certificate gives a 502 and an upstream-tls exchange', async () => {
    const a = agent();
    const res = await request('https://login.microsoftonline.de/common/oauth2/token', {
      method: 'POST',
      body: 'x=1',
      dispatcher: a,
    });
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toMatch(/TLS/);
    await waitFor(() => exchanges.some((e) => e.host === 'login.microsoftonline.de'));
    expect(exchanges.find((e) => e.host === 'login.microsoftonline.de')?.error?.code).toBe(
      'upstream-tls',
    );
    await a.close();
  });

  it('times out a silent upstream with a 502 and an upstream-timeout exchange', async () => {
    const a = agent();
    const res = await request('https://login.microsoftonline.com/hang', { dispatcher: a });
    expect(res.statusCode).toBe(502);
    await res.body.text();
    await waitFor(() => exchanges.some((e) => e.url === '/hang'));
    expect(exchanges.find((e) => e.url === '/hang')?.error?.code).toBe('upstream-timeout');
    await a.close();
  });

  // Last: it covers the traffic of every test above (resets, refused handshakes, unreachable,
  // untrusted and silent upstreams, WebSockets) plus clients that reset their CONNECT socket.
  it('the library prints nothing on the console: its failures are ours to report', async () => {
    for (const host of ['login.microsoftonline.com', 'example.org']) {
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(mitm.port, '127.0.0.1', () =>
          s.write(`CONNECT ${host}:443 HTTP/1.1\r\nhost: ${host}:443\r\n\r\n`),
        );
        s.once('data', () => {
          s.resetAndDestroy();
          resolve();
        });
        s.once('error', reject);
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(printed).toEqual([]);
  });
});

function peerCert(
  port: number,
  host: string,
  ca: string[],
  targetPort = 443,
): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(`CONNECT ${host}:${targetPort} HTTP/1.1\r\nhost: ${host}:${targetPort}\r\n\r\n`),
    );
    s.once('data', (d) => {
      if (!/^HTTP\/1\.1 200/.test(d.toString())) return reject(new Error(d.toString()));
      const t = tls.connect({ socket: s, servername: host, ca, rejectUnauthorized: false }, () => {
        const c = t.getPeerX509Certificate();
        t.destroy();
        if (c) resolve(c);
        else reject(new Error('no certificate'));
      });
      t.once('error', reject);
    });
    s.once('error', reject);
  });
}
