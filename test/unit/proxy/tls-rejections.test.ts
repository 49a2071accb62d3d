/**
 * Refused handshakes as the TLS terminator tells them (issue 14): real TLS clients on loopback that
 * do not trust the terminator's CA (Node, which hangs up after the ServerHello; OpenSSL, which
 * sends the unknown_ca alert), one that hangs up right after the handshake (as GnuTLS clients
 * do), and the closes that are not refusals (a request served, our timeouts, our shutdown).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import type { TlsRejection } from '../../../src/core/tls-rejections.js';
import { createCertificateAuthority, LeafIssuer } from '../../../src/proxy/certs.js';
import { createTlsTerminator, type TlsTerminator } from '../../../src/proxy/tls-terminator.js';

const HOST = 'login.microsoftonline.com';
let caPem: string;
let otherCaFile: string;
let dir: string;
let terminator: TlsTerminator;
let front: net.Server;
let port: number;
let seen: TlsRejection[] = [];

beforeAll(async () => {
  const ca = await createCertificateAuthority({ commonName: 'TEST-ONLY rejections CA' });
  const other = await createCertificateAuthority({ commonName: 'TEST-ONLY other CA' });
  caPem = ca.certPem;
  dir = mkdtempSync(join(tmpdir(), 'ebp-rej-'));
  otherCaFile = join(dir, 'other.pem');
  writeFileSync(otherCaFile, other.certPem);
  terminator = createTlsTerminator({
    issuer: await LeafIssuer.create(ca),
    logger: silentLogger(),
    onRequest: (_req, res) => res.end('ok'),
    onRejected: (r) => seen.push(r),
    headersTimeoutMs: 300,
    requestTimeoutMs: 600,
    checkIntervalMs: 100,
  });
  front = net.createServer((s) =>
    terminator.accept(s, HOST, Buffer.alloc(0), undefined, 'test-client/1.0'),
  );
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  port = (front.address() as AddressInfo).port;
});

afterAll(() => {
  terminator.close();
  front.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 10));
}

/** Waits until the terminator holds no connection, so every close was judged. */
const settled = (): Promise<void> => until(() => terminator.connections() === 0);

function connect(trust: boolean): Promise<tls.TLSSocket | Error> {
  return new Promise((resolve) => {
    const t = tls.connect(
      { port, host: '127.0.0.1', servername: HOST, ...(trust ? { ca: [caPem] } : {}) },
      () => resolve(t),
    );
    t.once('error', (e) => resolve(e));
  });
}

describe('refused TLS handshakes', () => {
  it('a Node client without the CA: closed-during-handshake, with the client and host', async () => {
    const r = await connect(false);
    expect(r).toBeInstanceOf(Error);
    await until(() => seen.length > 0);
    expect(seen).toEqual([
      { host: HOST, error: 'closed-during-handshake', client: 'test-client/1.0' },
    ]);
  });

  it.skipIf(!hasCommand('openssl'))(
    'an OpenSSL client without the CA: its alert code (unknown_ca)',
    async () => {
      const child = spawn(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${port}`,
          '-servername',
          HOST,
          '-CAfile',
          otherCaFile,
          '-verify_return_error',
        ],
        { stdio: ['pipe', 'ignore', 'ignore'] },
      );
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
      await until(() => seen.length > 0);
      expect(seen).toEqual([
        { host: HOST, error: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', client: 'test-client/1.0' },
      ]);
    },
  );

  it('a client that hangs up right after the handshake: closed-after-handshake', async () => {
    const t = await connect(true);
    if (t instanceof Error) throw t;
    t.end();
    await until(() => seen.length > 0);
    expect(seen.map((r) => r.error)).toEqual(['closed-after-handshake']);
  });

  it('is not told by a client that was served, nor by our timeouts or shutdown', async () => {
    const served = await connect(true);
    if (served instanceof Error) throw served;
    served.write(`GET / HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`);
    await new Promise((r) => served.once('data', r));
    served.end();
    // Idle past the headers timeout: the server closes it, the client did not refuse.
    const idle = await connect(true);
    if (idle instanceof Error) throw idle;
    idle.on('error', () => undefined);
    await new Promise((r) => idle.once('close', r));
    await settled();
    expect(seen).toEqual([]);
  });

  it('counts connections still deciding, and none once they are done', async () => {
    const raw = net.connect(port, '127.0.0.1');
    raw.on('error', () => undefined);
    await new Promise((r) => raw.once('connect', r));
    // A ClientHello has not even started: the terminator has not taken the socket yet.
    const t = await connect(true);
    if (t instanceof Error) throw t;
    expect(terminator.undecided()).toBeGreaterThanOrEqual(1);
    t.write(`GET / HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`);
    await new Promise((r) => t.once('data', r));
    raw.destroy();
    await until(() => terminator.undecided() === 0);
    expect(terminator.undecided()).toBe(0);
    t.destroy();
    await settled();
  });
});

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
