/**
 * The proxy's traffic policy around the library: CONNECTs that the policy does not intercept
 * become raw byte tunnels; intercepted requests are routed upstream (map-remote, keep-alive
 * agents) and, when the policy records them, copied into a CapturedExchange. Classification
 * happens elsewhere (the `onExchange` callback). http-mitm-proxy itself (parsing and carrying
 * requests and WebSockets upstream) is reached only through mitm-library.ts's small interface.
 *
 * Every CONNECT, request and upgrade is admitted before the library sees it (front-door.ts): a
 * request inside a tunnel goes only to the CONNECT's target, one for the proxy itself gets its
 * page, one for the dashboard a 403, and nothing is forwarded or tunneled to ourselves.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/logger.js';
import { clientLabel, type TlsRejection } from '../core/tls-rejections.js';
import type { CapturedExchange } from '../core/captured.js';
import { ToolError } from '../core/errors.js';
import type { ExchangeError } from '../core/types.js';
import { authorityText, type Tunnel } from './admission.js';
import { BodyTap, exchangeError } from './capture.js';
import type { LeafIssuer } from './certs.js';
import { createConnectionLimits } from './connection-limits.js';
import type { InterceptionPolicy } from './policy.js';
import { createFrontDoor } from './front-door.js';
import { listenLibrary, type ForwardedRequest, type MitmLibrary } from './mitm-library.js';
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

export async function startMitm(opts: MitmAdapterOptions): Promise<MitmAdapter> {
  const { policy, upstream, logger: log } = opts;
  const flights = new Map<ForwardedRequest, Flight>();
  const tunnels = new Set<Duplex>();
  const limits = createConnectionLimits({
    logger: log,
    ...(opts.firstBytesTimeoutMs !== undefined ? { firstBytesMs: opts.firstBytesTimeoutMs } : {}),
    ...(opts.maxIdleConnections !== undefined ? { max: opts.maxIdleConnections } : {}),
  });
  // Set once the library listens; nothing reaches forward/relay before that.
  let lib: MitmLibrary | null = null;
  const door = createFrontDoor({
    caPem: opts.caPem,
    logger: log,
    route: (t) => upstream.route(t.host, t.port, false),
    forward: (tls, req, res, to) => lib?.forward(tls, req, res, to),
    relay: (tls, req, socket, head, to) => lib?.relay(tls, req, socket, head, to),
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

  /** An admitted request, before the library sends it upstream: route it, maybe record it. */
  function request(x: ForwardedRequest): void {
    const { host, port } = x.pin;
    const url = originForm(x.clientRequest.url ?? '/');
    const r = upstream.route(host, port, x.tls);
    // The target itself was checked on admission; --map-remote may still point at us.
    const loop = door.loop({ host, port }, r);
    if (!loop) return forward();
    loop.then(
      (kind) => {
        if (!kind) return forward();
        door.refuseLoop(kind, host, x.clientRequest, x.clientResponse);
      },
      () => x.clientResponse.destroy(),
    );

    function forward(): void {
      const via = !r.tls ? upstream.viaProxy : null;
      const to = {
        host: via ? via.host : r.host,
        port: via ? via.port : r.port,
        path: via ? `http://${authorityText(r)}${url}` : url,
        tls: r.tls,
        agent: r.tls ? upstream.httpsAgent : upstream.httpAgent,
      };
      if (!policy.record(host, port, url.split('?', 1)[0] ?? '/')) return x.send(to);
      const wait = opts.gate?.();
      if (wait) {
        void wait.then(() => {
          // The client may have given up while it waited: nothing to record then.
          if (x.clientResponse.closed) return x.send(to);
          track(x, host, port, url);
          x.send(to);
        });
        return;
      }
      track(x, host, port, url);
      x.send(to);
    }
  }

  /** Copy a recorded request and its response as they stream through; finish() at the end. */
  function track(x: ForwardedRequest, host: string, port: number, url: string): void {
    const f: Flight = {
      started: Date.now(),
      host,
      port,
      scheme: x.tls ? 'https' : 'http',
      url,
      req: new BodyTap(opts.captureLimit),
      res: new BodyTap(opts.captureLimit),
      response: null,
      error: null,
      done: false,
    };
    flights.set(x, f);
    x.clientRequest.on('data', (c: Buffer) => f.req.push(c));
    const timer = setTimeout(() => {
      if (f.response) return;
      f.error = exchangeError({ code: 'ETIMEDOUT' }, 'upstream', `${host}:${port}`);
      x.abortUpstream();
      replyFailure(x, f.error.message);
    }, opts.upstreamTimeoutMs);
    timer.unref();
    x.onUpstreamResponse((res) => {
      clearTimeout(timer);
      f.response = res ?? null;
      f.response?.on('data', (chunk: Buffer) => f.res.push(chunk));
    });
    x.clientResponse.once('close', () => {
      clearTimeout(timer);
      if (!x.clientResponse.writableFinished && !f.error) {
        f.error = exchangeError({ code: 'ECONNRESET' }, 'client', host);
        x.abortUpstream();
      }
      finish(x, f);
    });
  }

  function finish(x: ForwardedRequest, f: Flight): void {
    if (f.done) return;
    f.done = true;
    flights.delete(x);
    const req = x.clientRequest;
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

  function replyFailure(x: ForwardedRequest, message: string): void {
    const res = x.clientResponse;
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`entra-bas-proxy: ${message}\n`);
    } else if (!res.writableEnded) res.destroy();
  }

  const started = await listenLibrary(
    {
      host: opts.host,
      port: opts.port,
      httpAgent: upstream.httpAgent,
      httpsAgent: upstream.httpsAgent,
    },
    {
      // Every request and upgrade on the listening port is admitted first.
      serverRequest: (req, res) => door.request(null, false, req, res),
      serverUpgrade: (req, socket, head) => door.upgrade(null, false, req, socket, head),
      connect(req, socket, head) {
        const client = clientLabel(req.headers['user-agent']) ?? opts.defaultClient ?? null;
        door.connect(req.url ?? '', socket, (tunnel) => connect(tunnel, socket, head, client));
      },
      request,
      // WebSockets (relayed, not recorded) go where their requests would: map-remote and our agents.
      webSocket(ws, done) {
        if (!ws.url) return done();
        try {
          const u = new URL(ws.url);
          const tls = u.protocol === 'wss:';
          const host = ws.pin?.host ?? u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
          const port = ws.pin?.port ?? (u.port ? Number(u.port) : tls ? 443 : 80);
          const r = upstream.route(host, port, tls);
          ws.retarget(
            `${r.tls ? 'wss' : 'ws'}://${authorityText(r)}${u.pathname}${u.search}`,
            r.tls ? upstream.httpsAgent : upstream.httpAgent,
          );
          // --map-remote pointing at us: the client's WebSocket is closed.
          const loop = door.loop({ host, port }, r);
          if (loop) {
            loop.then(
              (kind) => done(kind ? new Error('--map-remote points at this proxy') : undefined),
              () => done(new Error('cannot route')),
            );
            return;
          }
        } catch {
          // Not a URL we can route: the library connects as it would.
        }
        done();
      },
      failure(side, x, err, kind) {
        if (!x) {
          // `error`, not `code`: the logger censors `code` (the OAuth authorization code).
          log.debug({ kind, error: err.code }, 'proxy socket error');
          return;
        }
        const f = flights.get(x);
        const target = `${String(x.clientRequest.headers.host ?? 'upstream')}`;
        const e = exchangeError(err, side, target);
        if (f && !f.error) f.error = e;
        if (side === 'client') return x.abortUpstream();
        log.warn({ kind, error: e.code }, e.message);
        replyFailure(x, e.message);
      },
      serverError: (e) => log.error({ err: e.message }, 'proxy server error'),
    },
  );
  lib = started;
  limits.watch(started.server);
  door.listening(started.port);
  const adapter: MitmAdapter = {
    port: started.port,
    setDashboard: (url) => door.setDashboard(url),
    connections: () =>
      new Promise((r) => started.server.getConnections((err, n) => r(err ? 0 : n))),
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
      started.close();
      limits.close();
      tunneledHttp.closeAllConnections();
      started.server.closeAllConnections();
    },
  };
  // Chaining through ourselves would loop every plain request and tunnel.
  const via = upstream.viaProxy;
  const loop = via ? door.which(via) : null;
  if (!loop || !via || !(await loop)) return adapter;
  await adapter.close();
  throw new ToolError(
    'ERR_USAGE',
    `--upstream-proxy ${authorityText(via)} is this proxy itself (it would loop)`,
  );
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
