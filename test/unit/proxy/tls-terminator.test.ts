/**
 * The TLS terminator on its own: sockets handed to it by a plain TCP server on loopback (as the
 * adapter hands over answered CONNECTs), a real TLS client. Slow or silent clients are dropped.
 */
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { createCertificateAuthority, LeafIssuer } from '../../../src/proxy/certs.js';
import { createTlsTerminator, type TlsTerminator } from '../../../src/proxy/tls-terminator.js';

let caPem: string;
let terminator: TlsTerminator;
let front: net.Server;
let port: number;

beforeAll(async () => {
  const ca = await createCertificateAuthority({ commonName: 'TEST-ONLY terminator CA' });
  caPem = ca.certPem;
  terminator = createTlsTerminator({
    issuer: await LeafIssuer.create(ca),
    logger: silentLogger(),
    onRequest: (req, res) => res.end(`hello ${req.headers.host ?? ''}`),
    handshakeTimeoutMs: 300,
    headersTimeoutMs: 300,
    requestTimeoutMs: 600,
    checkIntervalMs: 100,
  });
  front = net.createServer((s) =>
    terminator.accept(s, 'login.microsoftonline.com', Buffer.alloc(0), undefined),
  );
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  port = (front.address() as AddressInfo).port;
});

afterAll(() => {
  terminator.close();
  front.close();
});

const secure = (): Promise<tls.TLSSocket> =>
  new Promise((resolve, reject) => {
    const t = tls.connect(
      { port, host: '127.0.0.1', servername: 'login.microsoftonline.com', ca: [caPem] },
      () => resolve(t),
    );
    t.once('error', reject);
  });

const closedWithin = (s: net.Socket, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('createTlsTerminator', () => {
  it('serves HTTP/1.1 over the leaf for the CONNECT host, keep-alive included', async () => {
    const t = await secure();
    expect(t.getPeerX509Certificate()?.subjectAltName).toContain('login.microsoftonline.com');
    const answers: string[] = [];
    t.on('data', (d: Buffer) => answers.push(d.toString()));
    t.write('GET / HTTP/1.1\r\nhost: a\r\n\r\nGET / HTTP/1.1\r\nhost: b\r\n\r\n');
    for (let i = 0; i < 100 && !answers.join('').includes('hello b'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(answers.join('')).toContain('hello a');
    expect(answers.join('')).toContain('hello b');
    t.destroy();
  });

  it('drops a client that never starts its handshake', async () => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    expect(await closedWithin(s, 3000)).toBe(true);
    for (let i = 0; i < 50 && terminator.connections() > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(terminator.connections()).toBe(0);
  });

  it('drops a client that never finishes its request headers', async () => {
    const t = await secure();
    t.on('error', () => undefined);
    t.write('GET / HTTP/1.1\r\nhost: slow\r\n');
    expect(await closedWithin(t, 3000)).toBe(true);
  });
});
