/**
 * A minimal forward proxy for testing the flow drivers without the real MITM proxy: CONNECT to a
 * mapped host is tunnelled (TCP) to the sim's HTTPS port, so clients see the sim's own certificate
 * (trust sim.caPem as the "proxy CA"); absolute-URI plain-HTTP requests go to the sim's HTTP port.
 * Unmapped hosts are refused, so a test fails instead of reaching the internet.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface TunnelProxy {
  readonly url: string;
  /** `CONNECT host:port` and `METHOD http://host/path` lines seen, in order. */
  readonly seen: string[];
  close(): Promise<void>;
}

export async function startTunnelProxy(map: Record<string, string>): Promise<TunnelProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    seen.push(`${req.method ?? 'GET'} ${target.href}`);
    const to = map[target.hostname];
    if (to === undefined) {
      res.writeHead(502).end('unmapped host');
      return;
    }
    const up = new URL(to);
    const fwd = httpRequest(
      {
        host: up.hostname,
        port: up.port,
        method: req.method,
        path: target.pathname + target.search,
        headers: req.headers,
      },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      },
    );
    fwd.on('error', () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client: Socket, head) => {
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    seen.push(`CONNECT ${host}:${port}`);
    const to = map[host];
    if (to === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const up = new URL(to);
    const upstream = connect(Number(up.port), up.hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
