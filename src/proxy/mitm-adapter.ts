/**
 * The one module that talks to http-mitm-proxy. It only translates: CONNECTs that the policy does
 * not intercept become raw byte tunnels; intercepted requests are routed upstream (map-remote,
 * keep-alive agents) and, when the policy records them, copied into a CapturedExchange.
 * Classification happens elsewhere (the `onExchange` callback).
 *
 * Every CONNECT, request and upgrade is admitted before the library sees it (front-door.ts): a
 * request inside a tunnel goes only to the CONNECT's target, one for the proxy itself gets its
 * page, one for the dashboard a 403, and nothing is forwarded or tunneled to ourselves.
 */
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Proxy, type IContext } from 'http-mitm-proxy';
import type { Logger } from '../core/logger.js';
import { clientLabel, type TlsRejection } from '../core/tls-rejections.js';
import type { CapturedExchange } from '../core/captured.js';
import { ToolError } from '../core/errors.js';
import type { ExchangeError } from '../core/types.js';
import { authorityText, type Target, type Tunnel } from './admission.js';
import { BodyTap, exchangeError } from './capture.js';
import './console-filter.js';
import type { LeafIssuer } from './certs.js';
import { createConnectionLimits } from './connection-limits.js';
import type { InterceptionPolicy } from './policy.js';
import { createFrontDoor } from './front-door.js';
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
  /** The CA's public certificate, offered on the proxy's own page. */
  readonly caPem: string;
  /** How long a new connection or an answered CONNECT may stay silent (default 30 s). */
  readonly firstBytesTimeoutMs?: number;
  /** Client connections kept idle or silent at most (default 2048); the oldest go first. */
  readonly maxIdleConnections?: number;
  /**
   * Asked before a recorded request is forwarded: a promise holds it until it settles (the recorder
   * is too far behind: backpressure under sustained overload), null lets it through at once.
   */
  readonly gate?: () => Promise<void> | null;
  /**
   * A client refused our certificate for an intercepted host. `client` is its CONNECT User-Agent,
   * else `defaultClient` (the command `run` started), else null.
   */
  readonly onTlsRejected?: (rejection: TlsRejection) => void;
  readonly defaultClient?: string | null;
}

export interface MitmAdapter {
  readonly port: number;
  inFlight(): number;
  /** The dashboard's URL: requests for it through the proxy are refused, its page links to it. */
  setDashboard(url: string | null): void;
  /** Client connections open now (plain and decrypted). */
  connections(): Promise<number>;
  /** Waits until no recorded exchange is in flight, or `ms` elapsed. */
  drain(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** How long closing waits at most for clients still deciding whether to trust our certificate. */
const HANDSHAKE_DRAIN_MS = 1_000;

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
  const limits = createConnectionLimits({
    logger: log,
    ...(opts.firstBytesTimeoutMs !== undefined ? { firstBytesMs: opts.firstBytesTimeoutMs } : {}),
    ...(opts.maxIdleConnections !== undefined ? { max: opts.maxIdleConnections } : {}),
  });
  /** Where each admitted request (or WebSocket) goes: the library's own parse is not used. */
  const pins = new WeakMap<IncomingMessage, Target>();
  const wsPins = new WeakMap<object, Target>();

  const lib = mitm as unknown as LibraryInternals;
  const upgrades = new WebSocketServer({ noServer: true });
  const door = createFrontDoor({
    caPem: opts.caPem,
    logger: log,
    route: (t) => upstream.route(t.host, t.port, false),
    forward(tls, req, res, to) {
      pins.set(req, to);
      lib._onHttpServerRequest(tls, req, res);
    },
    relay(tls, req, socket, head, to) {
      upgrades.handleUpgrade(req, socket, head, (ws) => {
        wsPins.set(ws as object, to);
        lib._onWebSocketServerConnect(tls, ws, req);
      });
    },
  });
  const terminator = createTlsTerminator<Tunnel>({
    issuer: opts.issuer,
    logger: log,
    limits,
    onRequest: (req, res, tunnel) => door.request(tunnel, true, req, res),
    ...(opts.onTlsRejected ? { onRejected: opts.onTlsRejected } : {}),
    onUpgrade: (req, socket, head, tunnel) => door.upgrade(tunnel, true, req, socket, head),
  });
  // Plain HTTP inside a CONNECT tunnel: read here, on the client's socket, like decrypted TLS.
  const plainTunnels = new WeakMap<Duplex, Tunnel>();
  const tunneledHttp = createServer((req, res) => {
    const tunnel = plainTunnels.get(req.socket);
    if (tunnel) door.request(tunnel, false, req, res);
    else res.destroy();
  });
  tunneledHttp.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const tunnel = plainTunnels.get(socket);
    if (tunnel) door.upgrade(tunnel, false, req, socket, head);
    else socket.destroy();
  });
  // It never listens; 'listening' starts Node's checks of its header and request timeouts.
  tunneledHttp.emit('listening');
  limits.watch(tunneledHttp);

  // WebSockets (relayed, not recorded) go where their requests would: map-remote and our agents.
  mitm.onWebSocketConnection((ctx, callback) => {
    const o = ctx.proxyToServerWebSocketOptions as { url: string; agent?: unknown } | undefined;
    const pin = wsPins.get(ctx.clientToProxyWebSocket as object);
    if (o) {
      try {
        const u = new URL(o.url);
        const tls = u.protocol === 'wss:';
        const host = pin?.host ?? u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
        const port = pin?.port ?? (u.port ? Number(u.port) : tls ? 443 : 80);
        const r = upstream.route(host, port, tls);
        o.url = `${r.tls ? 'wss' : 'ws'}://${authorityText(r)}${u.pathname}${u.search}`;
        o.agent = r.tls ? upstream.httpsAgent : upstream.httpAgent;
        // --map-remote pointing at us: the client's WebSocket is closed (onWebSocketError).
        const loop = door.loop({ host, port }, r);
        if (loop) {
          loop.then(
            (kind) => callback(kind ? new Error('--map-remote points at this proxy') : undefined),
            () => callback(new Error('cannot route')),
          );
          return;
        }
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
    const client = clientLabel(req.headers['user-agent']) ?? opts.defaultClient ?? null;
    door.connect(req.url ?? '', socket, (tunnel) => connect(tunnel, socket, head, client));
  });

  function connect(tunnel: Tunnel, socket: Duplex, head: Buffer, client: string | null): void {
    const decision = tunnel.self ? 'intercept' : policy.connect(tunnel.host, tunnel.port);
    if (decision === 'tunnel') return rawTunnel(socket, tunnel.host, tunnel.port, head, false);
    // Answer the CONNECT, then decide on the first bytes the client sends: TLS is decrypted here
    // (intercept) or tunneled (peek: a host whose TLS we do not touch), anything else is plain
    // HTTP, read here too.
    const onFirst = (chunk: Buffer): void => {
      limits.busy(socket);
      socket.pause();
      if (chunk[0] === 0x16 && decision === 'intercept')
        terminator.accept(socket, tunnel.host, chunk, tunnel, client);
      else if (chunk[0] === 0x16) rawTunnel(socket, tunnel.host, tunnel.port, chunk, true);
      else {
        plainTunnels.set(socket, tunnel);
        socket.unshift(chunk);
        tunneledHttp.emit('connection', socket);
        socket.resume();
      }
    };
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    // The client may have sent its first bytes along with the CONNECT.
    if (head.length > 0) return onFirst(head);
    limits.waiting(socket);
    socket.once('data', onFirst);
  }

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
    // Admitted before the library saw it (onRequest above): the pin is the only route.
    const pin = pins.get(ctx.clientToProxyRequest);
    const host = pin?.host ?? String(o.host).toLowerCase();
    const port = pin?.port ?? Number(o.port);
    const url = originForm(ctx.clientToProxyRequest.url ?? '/');
    const r = upstream.route(host, port, isTls);
    // The target itself was checked on admission; --map-remote may still point at us.
    const loop = door.loop({ host, port }, r);
    if (!loop) return forward();
    loop.then(
      (kind) => {
        if (!kind) return forward();
        door.refuseLoop(kind, host, ctx.clientToProxyRequest, ctx.proxyToClientResponse);
      },
      () => ctx.proxyToClientResponse.destroy(),
    );

    function forward(): void {
      o.host = r.host;
      o.port = r.port;
      o.path = url;
      if (r.tls !== isTls) ctx.isSSL = r.tls;
      o.agent = r.tls ? upstream.httpsAgent : upstream.httpAgent;
      if (!r.tls && upstream.viaProxy) {
        o.host = upstream.viaProxy.host;
        o.port = upstream.viaProxy.port;
        o.path = `http://${authorityText(r)}${url}`;
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
    }
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
      // `error`, not `code`: the logger censors `code` (the OAuth authorization code).
      log.debug({ kind, error: (err as { code?: string }).code }, 'proxy socket error');
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
        door.listening(mitm.httpPort);
        const adapter: MitmAdapter = {
          port: mitm.httpPort,
          inFlight: () => flights.size,
          setDashboard: (url) => door.setDashboard(url),
          connections: () => new Promise((r) => server.getConnections((err, n) => r(err ? 0 : n))),
          async drain(ms) {
            const until = Date.now() + ms;
            // A client that refuses our certificate just before the end (the command `run`
            // started exits at once) is heard out, briefly, so its refusal is counted.
            const handshakes = Date.now() + Math.min(ms, HANDSHAKE_DRAIN_MS);
            while (
              (flights.size > 0 && Date.now() < until) ||
              (terminator.undecided() > 0 && Date.now() < handshakes)
            )
              await new Promise((r) => setTimeout(r, 20));
          },
          close: async () => {
            for (const t of tunnels) t.destroy();
            terminator.close();
            upgrades.close();
            mitm.close();
            limits.close();
            tunneledHttp.closeAllConnections();
            server.closeAllConnections();
          },
        };
        // Chaining through ourselves would loop every plain request and tunnel.
        const via = upstream.viaProxy;
        const loop = via ? door.which(via) : null;
        if (!loop || !via) return resolve(adapter);
        void loop.then(async (kind) => {
          if (!kind) return resolve(adapter);
          await adapter.close();
          reject(
            new ToolError(
              'ERR_USAGE',
              `--upstream-proxy ${authorityText(via)} is this proxy itself (it would loop)`,
            ),
          );
        });
      },
    );
    // With the inert CA the library creates its server synchronously; listen errors (EADDRINUSE)
    // arrive only as an 'error' event on it.
    const server = (mitm as unknown as { httpServer: Server }).httpServer;
    server.once('error', reject);
    // Every request and upgrade on the listening port is admitted first (requests for the proxy
    // itself never reach the library, which would forward them to us again).
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      door.request(null, false, req, res),
    );
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      door.upgrade(null, false, req, socket, head),
    );
    limits.watch(server);
  });
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
