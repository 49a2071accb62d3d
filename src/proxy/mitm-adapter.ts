/**
 * The one module that talks to http-mitm-proxy. It only translates: CONNECTs that the policy does
 * not intercept become raw byte tunnels; intercepted requests are routed upstream (map-remote,
 * keep-alive agents) and, when the policy records them, copied into a CapturedExchange.
 * Classification happens elsewhere (the `onExchange` callback).
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Proxy, type IContext } from 'http-mitm-proxy';
import type { Logger } from '../core/logger.js';
import type { CapturedExchange } from '../core/captured.js';
import type { ExchangeError } from '../core/types.js';
import { BodyTap, exchangeError } from './capture.js';
import './console-filter.js';
import type { LeafIssuer } from './certs.js';
import type { InterceptionPolicy } from './policy.js';
import { createTlsTerminator } from './tls-terminator.js';
import type { Upstream } from './upstream.js';

export interface MitmAdapterOptions {
  readonly host: string;
  readonly port: number;
  readonly policy: InterceptionPolicy;
  readonly issuer: LeafIssuer;
  readonly upstream: Upstream;
  readonly captureLimit: number;
  readonly upstreamTimeoutMs: number;
  readonly logger: Logger;
  readonly nextId: () => string;
  readonly onExchange: (exchange: CapturedExchange) => void;
  /**
   * Asked before a recorded request is forwarded: a promise holds it until it settles (the recorder
   * is too far behind: backpressure under sustained overload), null lets it through at once.
   */
  readonly gate?: () => Promise<void> | null;
}

export interface MitmAdapter {
  readonly port: number;
  inFlight(): number;
  /** Waits until no recorded exchange is in flight, or `ms` elapsed. */
  drain(ms: number): Promise<void>;
  close(): Promise<void>;
}

interface Flight {
  readonly started: number;
  readonly host: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  readonly url: string;
  readonly req: BodyTap;
  readonly res: BodyTap;
  response: IncomingMessage | null;
  error: ExchangeError | null;
  done: boolean;
}

// http-mitm-proxy makes (or loads) a node-forge CA in `sslCaDir` when it starts listening. Our leaves
// come from tls-terminator.ts, so that CA would never sign anything: for our marker folder the
// library gets an inert stand-in instead, and nothing is generated or written to disk.
const NO_CA_DIR = '\0entra-bas-proxy:no-ca';
type CaCreate = (dir: string, cb: (err: Error | null, ca?: unknown) => void) => void;
const caModule = createRequire(import.meta.url)('http-mitm-proxy/dist/lib/ca.js') as {
  default: { create: CaCreate };
};
const originalCreate = caModule.default.create;
if (!(originalCreate as { patched?: boolean }).patched) {
  const create: CaCreate = (dir, cb) =>
    dir === NO_CA_DIR ? cb(null, {}) : originalCreate(dir, cb);
  Object.assign(create, { patched: true });
  caModule.default.create = create;
}

/** The `ws` module the library itself uses, for WebSocket upgrades on decrypted connections. */
interface UpgradeServer {
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    done: (ws: unknown) => void,
  ): void;
  close(): void;
}
const requireFromLibrary = createRequire(createRequire(import.meta.url).resolve('http-mitm-proxy'));
const { WebSocketServer } = requireFromLibrary('ws') as {
  WebSocketServer: new (opts: { noServer: true }) => UpgradeServer;
};

/** The library internals the adapter reuses (private in its typings). */
interface LibraryInternals {
  /** Its WebSocket relay (frame handlers, the upstream WebSocket). */
  _onWebSocketServerConnect(isSSL: boolean, ws: unknown, req: IncomingMessage): void;
  /** Its routing of a CONNECT's first bytes: plain HTTP goes to its HTTP server. */
  _onHttpServerConnectData(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Its request pipeline (onRequest/onResponse handlers, the upstream request). */
  _onHttpServerRequest(isSSL: boolean, req: IncomingMessage, res: ServerResponse): void;
}

/** http-mitm-proxy with our error handling: a 502 with one line, never the library's 504 dump. */
class Mitm extends Proxy {
  onFailure: (kind: string, ctx: IContext | null, err: Error) => void = () => undefined;
  override _onError(kind: string, ctx: IContext | null, err: Error): void {
    this.onFailure(kind, ctx, err);
  }
}

export function startMitm(opts: MitmAdapterOptions): Promise<MitmAdapter> {
  const { policy, upstream, logger: log } = opts;
  const mitm = new Mitm();
  const flights = new Map<IContext, Flight>();
  const tunnels = new Set<Duplex>();

  const lib = mitm as unknown as LibraryInternals;
  const upgrades = new WebSocketServer({ noServer: true });
  const terminator = createTlsTerminator({
    issuer: opts.issuer,
    logger: log,
    onRequest: (req, res) => lib._onHttpServerRequest(true, req, res),
    onUpgrade: (req, socket, head) =>
      upgrades.handleUpgrade(req, socket, head, (ws) =>
        lib._onWebSocketServerConnect(true, ws, req),
      ),
  });

  // WebSockets (relayed, not recorded) go where their requests would: map-remote and our agents.
  mitm.onWebSocketConnection((ctx, callback) => {
    const o = ctx.proxyToServerWebSocketOptions as { url: string; agent?: unknown } | undefined;
    if (o) {
      try {
        const u = new URL(o.url);
        const tls = u.protocol === 'wss:';
        const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
        const r = upstream.route(host, u.port ? Number(u.port) : tls ? 443 : 80, tls);
        const authority = r.host.includes(':') ? `[${r.host}]` : r.host;
        o.url = `${r.tls ? 'wss' : 'ws'}://${authority}:${r.port}${u.pathname}${u.search}`;
        o.agent = r.tls ? upstream.httpsAgent : upstream.httpAgent;
      } catch {
        // Not a URL we can route: the library connects as it would.
      }
    }
    callback();
  });
  // The library leaves the client's WebSocket open when the upstream one fails: close it, so the
  // client learns at once instead of waiting on a dead relay.
  mitm.onWebSocketError((ctx) => {
    const client = ctx.clientToProxyWebSocket as { terminate?: () => void } | undefined;
    client?.terminate?.();
  });

  // The library's own CONNECT continuation (its callback) is never called: every CONNECT is ours.
  mitm.onConnect((req, socket, head) => {
    const [host, port] = splitAuthority(req.url ?? '');
    const decision = policy.connect(host, port);
    if (decision === 'tunnel') return rawTunnel(socket, host, port, head, false);
    // Answer the CONNECT, then decide on the first bytes the client sends: TLS is decrypted here
    // (intercept) or tunneled (peek: a host whose TLS we do not touch), anything else is plain
    // HTTP for the library's HTTP server.
    const onFirst = (chunk: Buffer): void => {
      socket.pause();
      if (chunk[0] !== 0x16) lib._onHttpServerConnectData(req, socket, chunk);
      else if (decision === 'intercept') terminator.accept(socket, host, chunk);
      else rawTunnel(socket, host, port, chunk, true);
    };
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    // The client may have sent its first bytes along with the CONNECT.
    if (head.length > 0) return onFirst(head);
    socket.once('data', onFirst);
  });

  /** Not ours: a raw byte tunnel; the client sees the real server's certificate. */
  function rawTunnel(
    socket: Duplex,
    host: string,
    port: number,
    head: Buffer,
    answered: boolean,
  ): void {
    socket.pause();
    upstream.openTunnel(host, port).then(
      (up) => {
        tunnels.add(up);
        if (!answered) socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) up.write(head);
        up.pipe(socket).on('error', () => up.destroy());
        socket.pipe(up).on('error', () => socket.destroy());
        const end = (): void => {
          tunnels.delete(up);
          up.destroy();
          socket.destroy();
        };
        up.on('error', end).on('close', end);
        socket.on('error', end).on('close', end);
        socket.resume();
      },
      (err: unknown) => {
        const e = exchangeError(err, 'upstream', `${host}:${port}`);
        if (answered) socket.destroy();
        else
          socket.end(
            `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nentra-bas-proxy: ${e.message}\n`,
          );
      },
    );
  }

  mitm.onRequest((ctx, callback) => {
    const o = ctx.proxyToServerRequestOptions!;
    const isTls = ctx.isSSL;
    const host = String(o.host).toLowerCase();
    const port = Number(o.port);
    const url = originForm(ctx.clientToProxyRequest.url ?? '/');
    const r = upstream.route(host, port, isTls);
    o.host = r.host;
    o.port = r.port;
    o.path = url;
    if (r.tls !== isTls) ctx.isSSL = r.tls;
    o.agent = r.tls ? upstream.httpsAgent : upstream.httpAgent;
    if (!r.tls && upstream.viaProxy) {
      o.host = upstream.viaProxy.host;
      o.port = upstream.viaProxy.port;
      o.path = `http://${r.host}:${r.port}${url}`;
    }
    if (!policy.record(host, port, url.split('?', 1)[0] ?? '/')) return callback();
    const wait = opts.gate?.();
    if (wait) {
      void wait.then(() => {
        // The client may have given up while it waited: nothing to record then.
        if (ctx.proxyToClientResponse.closed) return callback();
        track(ctx, host, port, isTls, url);
        callback();
      });
      return;
    }
    track(ctx, host, port, isTls, url);
    return callback();
  });

  /** Copy a recorded request and its response as they stream through; finish() at the end. */
  function track(ctx: IContext, host: string, port: number, isTls: boolean, url: string): void {
    const f: Flight = {
      started: Date.now(),
      host,
      port,
      scheme: isTls ? 'https' : 'http',
      url,
      req: new BodyTap(opts.captureLimit),
      res: new BodyTap(opts.captureLimit),
      response: null,
      error: null,
      done: false,
    };
    flights.set(ctx, f);
    ctx.clientToProxyRequest.on('data', (c: Buffer) => f.req.push(c));
    const timer = setTimeout(() => {
      if (f.response) return;
      f.error = exchangeError({ code: 'ETIMEDOUT' }, 'upstream', `${host}:${port}`);
      ctx.proxyToServerRequest?.destroy();
      replyFailure(ctx, f.error.message);
    }, opts.upstreamTimeoutMs);
    timer.unref();
    ctx.onResponse((c, cb) => {
      clearTimeout(timer);
      f.response = c.serverToProxyResponse ?? null;
      f.response?.on('data', (chunk: Buffer) => f.res.push(chunk));
      cb();
    });
    ctx.proxyToClientResponse.once('close', () => {
      clearTimeout(timer);
      if (!ctx.proxyToClientResponse.writableFinished && !f.error) {
        f.error = exchangeError({ code: 'ECONNRESET' }, 'client', host);
        ctx.proxyToServerRequest?.destroy();
      }
      finish(ctx, f);
    });
  }

  function finish(ctx: IContext, f: Flight): void {
    if (f.done) return;
    f.done = true;
    flights.delete(ctx);
    const req = ctx.clientToProxyRequest;
    const res = f.response;
    // References only: the bytes and Node's header objects are decoded where it is classified.
    const exchange: CapturedExchange = {
      captured: true,
      id: opts.nextId(),
      started: f.started,
      durationMs: Date.now() - f.started,
      scheme: f.scheme,
      method: req.method ?? 'GET',
      host: f.host,
      port: f.port,
      url: f.url,
      requestHeaders: req.headers,
      requestBody: f.req.captured(),
      status: res?.statusCode ?? null,
      responseHeaders: res?.headers ?? {},
      responseBody: f.res.captured(),
      error: f.error,
    };
    try {
      opts.onExchange(exchange);
    } catch (err) {
      // The recorder never throws by contract; if it does, traffic must keep flowing.
      log.error(
        { err: err instanceof Error ? err.message : String(err) },
        'recording an exchange failed',
      );
    }
  }

  function replyFailure(ctx: IContext, message: string): void {
    const res = ctx.proxyToClientResponse;
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`entra-bas-proxy: ${message}\n`);
    } else if (!res.writableEnded) res.destroy();
  }

  mitm.onFailure = (kind, ctx, err) => {
    if (!ctx) {
      log.debug({ kind, code: (err as { code?: string }).code }, 'proxy socket error');
      return;
    }
    const f = flights.get(ctx);
    const fromClient = /^(CLIENT_TO_PROXY|PROXY_TO_CLIENT)/.test(kind);
    const target = `${String(ctx.clientToProxyRequest.headers.host ?? 'upstream')}`;
    const e = exchangeError(err, fromClient ? 'client' : 'upstream', target);
    if (f && !f.error) f.error = e;
    if (fromClient) {
      ctx.proxyToServerRequest?.destroy();
      return;
    }
    log.warn({ kind, error: e.code }, e.message);
    replyFailure(ctx, e.message);
  };

  return new Promise((resolve, reject) => {
    mitm.listen(
      {
        host: opts.host,
        port: opts.port,
        keepAlive: true,
        sslCaDir: NO_CA_DIR,
        httpAgent: upstream.httpAgent,
        httpsAgent: upstream.httpsAgent,
      },
      () => {
        server.off('error', reject);
        server.on('error', (e) => log.error({ err: e.message }, 'proxy server error'));
        resolve({
          port: mitm.httpPort,
          inFlight: () => flights.size,
          async drain(ms) {
            const until = Date.now() + ms;
            while (flights.size > 0 && Date.now() < until)
              await new Promise((r) => setTimeout(r, 20));
          },
          close: async () => {
            for (const t of tunnels) t.destroy();
            terminator.close();
            upgrades.close();
            mitm.close();
            server.closeAllConnections();
          },
        });
      },
    );
    // With the inert CA the library creates its server synchronously; listen errors (EADDRINUSE)
    // arrive only as an 'error' event on it.
    const server = (mitm as unknown as { httpServer: Server }).httpServer;
    server.once('error', reject);
  });
}

function splitAuthority(authority: string): [string, number] {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(authority);
  return [(m?.[1] ?? authority).toLowerCase(), m?.[2] ? Number(m[2]) : 443];
}

/** `http://h/p?q` (absolute form, plain-HTTP proxying) -> `/p?q`. */
function originForm(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}
