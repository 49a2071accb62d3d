/**
 * A local HTTPS "upstream" for proxy tests: a test-only CA (made per run, never written to disk)
 * and a server answering token-endpoint-like JSON on 127.0.0.1, port 0.
 */
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createCertificateAuthority, LeafIssuer } from '../../src/proxy/certs.js';

export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  /** Requests seen, in order (method, url, host header, body). */
  readonly seen: {
    method: string;
    url: string;
    host: string;
    body: string;
    headers: http.IncomingHttpHeaders;
  }[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

const defaultHandler: Handler = (req, _body, res) => {
  if (req.url?.startsWith('/gzip')) {
    const payload = gzipSync(
      JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: 'x.y.z' }),
    );
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'x-ms-request-id': 'req-gz',
    });
    res.end(payload);
    return;
  }
  if (req.url?.startsWith('/hang')) return; // never answers
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'x-ms-request-id': '11111111-2222-3333-4444-555555555555',
  });
  res.end(
    JSON.stringify({
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: 'not-a-real-token',
    }),
  );
};

let shared: { caPem: string; issuer: LeafIssuer } | null = null;

export async function testCa(): Promise<{ caPem: string; issuer: LeafIssuer }> {
  if (!shared) {
    const ca = await createCertificateAuthority({
      commonName: 'entra-bas-proxy TEST-ONLY upstream CA',
    });
    shared = { caPem: ca.certPem, issuer: await LeafIssuer.create(ca) };
  }
  return shared;
}

export async function startTestUpstream(
  handler: Handler = defaultHandler,
  opts: { tls?: boolean } = {},
): Promise<TestUpstream> {
  const seen: TestUpstream['seen'] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        host: req.headers.host ?? '',
        body,
        headers: req.headers,
      });
      handler(req, body, res);
    });
  };
  const useTls = opts.tls ?? true;
  let server: http.Server;
  let caPem = '';
  if (useTls) {
    const { caPem: pem, issuer } = await testCa();
    caPem = pem;
    const leaf = await issuer.issue([
      '127.0.0.1',
      'localhost',
      'login.microsoftonline.com',
      'login.windows-ppe.net',
      'example.test',
    ]);
    server = https.createServer(
      { cert: leaf.certPem, key: leaf.keyPem, keepAlive: true },
      onRequest,
    );
  } else {
    server = http.createServer({ keepAlive: true }, onRequest);
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${useTls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    caPem,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
