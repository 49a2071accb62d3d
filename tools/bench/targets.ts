/**
 * What the bench worker processes run: the local HTTPS upstream (token-endpoint-like), a bare
 * http-mitm-proxy with the minimum hook to reach that upstream, and a minimal node:net CONNECT
 * tunnel. entra-bas-proxy itself is started through `startProxy` (worker.ts).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { TOKEN_RESPONSE_BODY, TOKEN_RESPONSE_HEADERS } from './common.js';

export interface Listening {
  readonly port: number;
  readonly caPem: string;
  close(): void;
}

/** Names on the upstream's leaf: what the proxies send as SNI after map-remote. */
export const UPSTREAM_NAMES = [
  '127.0.0.1',
  'localhost',
  'login.microsoftonline.com',
  'example.test',
  '*.bench.test',
];

/** An HTTPS server with a test-only CA answering every request with a ~1.5 KB token response. */
export async function startUpstream(counter: {
  n: number;
  connections: number;
}): Promise<Listening> {
  const { createCertificateAuthority, LeafIssuer } = await import('../../src/proxy/certs.js');
  const ca = await createCertificateAuthority({
    commonName: 'entra-bas-proxy BENCH-ONLY upstream CA',
  });
  const issuer = await LeafIssuer.create(ca);
  const leaf = await issuer.issue(UPSTREAM_NAMES);
  const body = Buffer.from(TOKEN_RESPONSE_BODY);
  const headers = { ...TOKEN_RESPONSE_HEADERS, 'content-length': String(body.length) };
  const server = https.createServer(
    { cert: leaf.certPem, key: leaf.keyPem, keepAlive: true, keepAliveTimeout: 30_000 },
    (req, res) => {
      req.on('data', () => undefined);
      req.on('end', () => {
        counter.n++;
        res.writeHead(200, headers);
        res.end(body);
      });
    },
  );
  server.on('secureConnection', () => counter.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    caPem: ca.certPem,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * A bare http-mitm-proxy: its own node-forge CA in `sslCaDir` (made on the first listen), keep-alive
 * on, an https.Agent trusting the upstream's CA, and one onRequest hook that sends every decrypted
 * request to the local upstream. Nothing else.
 */
export async function startBareMitm(o: {
  upstreamPort: number;
  upstreamCa: string;
  sslCaDir: string;
  errors: { n: number; first: string | null };
}): Promise<Listening> {
  // The library narrates every per-host server and socket error on the console; keep stdout clean.
  const noteError = (...args: unknown[]): void => {
    o.errors.n++;
    o.errors.first ??= args
      .map((a) => (a instanceof Error ? a.message : String(a)))
      .join(' ')
      .slice(0, 300);
  };
  console.debug = () => undefined;
  console.error = noteError;
  const { Proxy } = await import('http-mitm-proxy');
  const proxy = new Proxy();
  proxy.onError((_ctx, err) => noteError(err ?? 'error'));
  proxy.onRequest((ctx, callback) => {
    const opts = ctx.proxyToServerRequestOptions;
    if (opts) {
      opts.host = '127.0.0.1';
      opts.port = o.upstreamPort;
    }
    return callback();
  });
  await new Promise<void>((resolve) =>
    proxy.listen(
      {
        host: '127.0.0.1',
        port: 0,
        keepAlive: true,
        sslCaDir: o.sslCaDir,
        httpsAgent: new https.Agent({ keepAlive: true, ca: [o.upstreamCa] }),
      },
      () => resolve(),
    ),
  );
  const caPem = readFileSync(path.join(o.sslCaDir, 'certs', 'ca.pem'), 'utf8');
  return { port: proxy.httpPort, caPem, close: () => proxy.close() };
}

/** The reference: a minimal CONNECT tunnel on node:net, mapping `hosts` to the upstream. */
export async function startNetTunnel(o: {
  upstreamPort: number;
  hosts: readonly string[];
}): Promise<Listening> {
  const mapped = new Set(o.hosts);
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host = '', portText = '443'] = (req.url ?? '').split(':');
    const target = mapped.has(host)
      ? { host: '127.0.0.1', port: o.upstreamPort }
      : { host, port: Number(portText) };
    const up = net.connect(target, () => {
      up.setNoDelay(true);
      client.setNoDelay(true);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    const end = (): void => {
      up.destroy();
      client.destroy();
    };
    up.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    caPem: '',
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
