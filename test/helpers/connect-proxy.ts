/** A minimal CONNECT-only forward proxy (a stand-in for a corporate proxy) that counts what it tunnels. */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ConnectProxy {
  readonly url: string;
  readonly tunnels: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(
  route: (authority: string) => { host: string; port: number },
): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const authority = req.url ?? '';
    tunnels.push(authority);
    const target = route(authority);
    const up = net.connect(target.port, target.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up).add(client);
    const end = (): void => {
      up.destroy();
      client.destroy();
    };
    up.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
