/**
 * The one product module that imports http-mitm-proxy and touches its internals. Everything the
 * proxy asks of the library goes through `listenLibrary`'s small interface: the library parses
 * decrypted or plain requests and carries them (and WebSockets) upstream where we tell it; our
 * policy and routing (mitm-adapter.ts) never see its context objects, its private methods or its
 * error kinds. Each internal relied on is named below with why; they were checked against
 * http-mitm-proxy 1.1.0 (pinned in package.json), and the integration tests exercise every one.
 *
 * The library logs through console.* (hmp lib/proxy.ts). In the way we drive it, none of those
 * lines is reachable: its CA is inert, its CONNECT path and per-host HTTPS servers never run, and
 * the two methods that print (`_onError`, `_onSocketError`) are overridden here. So nothing in the
 * product patches the global console (test/integration/mitm-adapter.test.ts checks the library
 * stays silent; test/unit/architecture/imports.test.ts that no module patches console).
 */
import { createRequire } from 'node:module';
import type { Agent, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { Proxy, type IContext, type IWebSocketContext } from 'http-mitm-proxy';

/** Where admission said a request (or WebSocket) goes: lowercase host, IPv6 without brackets. */
export interface Pin {
  readonly host: string;
  readonly port: number;
}

/** Where the library sends a request: decided by our routing, carried out by the library. */
export interface UpstreamRequest {
  readonly host: string;
  readonly port: number;
  /** Origin form (`/p?q`), or absolute form when chained to a plain-HTTP upstream proxy. */
  readonly path: string;
  readonly tls: boolean;
  readonly agent: Agent;
}

/** One request the library forwards (its per-request context, narrowed to what we use). */
export interface ForwardedRequest {
  /** The admitted target (falls back to the library's own parse, which admission makes moot). */
  readonly pin: Pin;
  /** Whether the client spoke TLS to us (decrypted on its socket). */
  readonly tls: boolean;
  readonly clientRequest: IncomingMessage;
  readonly clientResponse: ServerResponse;
  /** Sends it upstream to `to`. Not called: the library does nothing more with it. */
  send(to: UpstreamRequest): void;
  /** `fn` gets the upstream response when its headers arrive, before it is piped to the client. */
  onUpstreamResponse(fn: (res: IncomingMessage | undefined) => void): void;
  /** Destroys the upstream request, if one was made. */
  abortUpstream(): void;
}

/** A WebSocket the library relays (relayed, never recorded). */
export interface RelayedWebSocket {
  readonly pin: Pin | undefined;
  /** The upstream URL the library would open (`wss://host:port/path?q`), if it made one. */
  readonly url: string | undefined;
  /** Opens the upstream WebSocket at `url` with `agent` instead. */
  retarget(url: string, agent: Agent): void;
}

export interface LibraryHooks {
  /** Every CONNECT on the listening port; the library does nothing more with it. */
  connect(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Every request on the listening port (the library's own handler is removed). */
  serverRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Every upgrade on the listening port (the library's own handler is removed). */
  serverUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** A request handed over with `forward`, before it goes upstream: call `send`, or answer it. */
  request(x: ForwardedRequest): void;
  /** A WebSocket handed over with `relay`, before its upstream opens: `done(err)` closes it. */
  webSocket(ws: RelayedWebSocket, done: (err?: Error) => void): void;
  /**
   * Something failed in the library's relay: on the client's side of a request (`client`: it
   * went away), on the upstream side (`upstream`), or on a socket outside any request
   * (`x` null). `kind` is the library's label, for logs.
   */
  failure(
    side: 'client' | 'upstream',
    x: ForwardedRequest | null,
    err: Error & { code?: string },
    kind: string,
  ): void;
  /** The listening server failed after it started listening. */
  serverError(err: Error): void;
}

export interface MitmLibrary {
  readonly port: number;
  /** The listening server (Node's own), for connection accounting and closing. */
  readonly server: Server;
  /** Hands an admitted request to the library's request pipeline (it comes back as `request`). */
  forward(tls: boolean, req: IncomingMessage, res: ServerResponse, pin: Pin): void;
  /** Hands an admitted upgrade to the library's WebSocket relay (it comes back as `webSocket`). */
  relay(tls: boolean, req: IncomingMessage, socket: Duplex, head: Buffer, pin: Pin): void;
  /** Stops the library and its WebSocket relay (the server's connections are the caller's). */
  close(): void;
}

// Internal 1, the CA module (`dist/lib/ca.js`, `create`): the library makes (or loads) a
// node-forge CA in `sslCaDir` when it starts listening. Our leaves come from tls-terminator.ts, so
// that CA would never sign anything: for our marker folder the library gets an inert stand-in
// instead, and nothing is generated or written to disk. Patched once, when this module loads.
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

// Internal 2, the library's own `ws` (its dependency, not ours): decrypted upgrades are accepted
// with it, so the WebSocket objects are the kind its relay expects.
interface UpgradeServer {
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    done: (ws: object) => void,
  ): void;
  close(): void;
}
const requireFromLibrary = createRequire(createRequire(import.meta.url).resolve('http-mitm-proxy'));
const { WebSocketServer } = requireFromLibrary('ws') as {
  WebSocketServer: new (opts: { noServer: true }) => UpgradeServer;
};

/** Internals 3 and 4: the library's private entry points (underscored, public in its typings). */
interface LibraryEntryPoints {
  /** Its request pipeline (onRequest/onResponse handlers, the upstream request and piping). */
  _onHttpServerRequest(isSSL: boolean, req: IncomingMessage, res: ServerResponse): void;
  /** Its WebSocket relay (the upstream WebSocket, frame forwarding both ways). */
  _onWebSocketServerConnect(isSSL: boolean, ws: object, req: IncomingMessage): void;
}

/**
 * Internals 5 and 6, two overridden methods. `_onError` would print the error and answer the
 * client a 504 with `${kind}: ${err}` in its body; `_onSocketError` (a CONNECT socket's errors)
 * would print every client reset. Both go to `failure` instead (our 502 with one line, our log).
 */
class QuietProxy extends Proxy {
  failed: (kind: string, ctx: IContext | null, err: Error) => void = () => undefined;
  override _onError(kind: string, ctx: IContext | null, err: Error): void {
    this.failed(kind, ctx, err);
  }
  override _onSocketError(socketDescription: string, err: NodeJS.ErrnoException): void {
    this.failed(`${socketDescription}_ERROR`, null, err);
  }
}

/** Starts the library listening on `host:port`, driven entirely by `hooks`. */
export function listenLibrary(
  opts: {
    readonly host: string;
    readonly port: number;
    readonly httpAgent: Agent;
    readonly httpsAgent: HttpsAgent;
  },
  hooks: LibraryHooks,
): Promise<MitmLibrary> {
  const mitm = new QuietProxy();
  const entry = mitm as unknown as LibraryEntryPoints;
  const upgrades = new WebSocketServer({ noServer: true });
  const pins = new WeakMap<IncomingMessage, Pin>();
  const wsPins = new WeakMap<object, Pin>();
  const handles = new WeakMap<IContext, ForwardedRequest>();
  /** The library's continuation of each request in onRequest, called by `send`. */
  const continuations = new WeakMap<IContext, () => void>();

  function handle(ctx: IContext): ForwardedRequest {
    let x = handles.get(ctx);
    if (x) return x;
    const req = ctx.clientToProxyRequest;
    const parsed = ctx.proxyToServerRequestOptions;
    x = {
      pin: pins.get(req) ?? {
        host: String(parsed?.host ?? '').toLowerCase(),
        port: Number(parsed?.port),
      },
      tls: ctx.isSSL,
      clientRequest: req,
      clientResponse: ctx.proxyToClientResponse,
      send(to) {
        const o = ctx.proxyToServerRequestOptions;
        const next = continuations.get(ctx);
        if (!o || !next) return;
        o.host = to.host;
        o.port = to.port;
        o.path = to.path;
        // The library picks http or https for the upstream request by isSSL.
        if (to.tls !== ctx.isSSL) ctx.isSSL = to.tls;
        o.agent = to.agent;
        next();
      },
      onUpstreamResponse(fn) {
        ctx.onResponse((c, cb) => {
          fn(c.serverToProxyResponse);
          cb();
        });
      },
      abortUpstream() {
        ctx.proxyToServerRequest?.destroy();
      },
    };
    handles.set(ctx, x);
    return x;
  }

  mitm.onRequest((ctx, callback) => {
    continuations.set(ctx, () => callback());
    hooks.request(handle(ctx));
  });

  mitm.onWebSocketConnection((ctx, callback) => {
    const o = ctx.proxyToServerWebSocketOptions as { url: string; agent?: unknown } | undefined;
    hooks.webSocket(
      {
        pin: wsPins.get(ctx.clientToProxyWebSocket as object),
        url: o?.url,
        retarget(url, agent) {
          if (!o) return;
          o.url = url;
          o.agent = agent;
        },
      },
      (err) => callback(err),
    );
  });
  // The library leaves the client's WebSocket open when the upstream one fails: close it, so the
  // client learns at once instead of waiting on a dead relay.
  mitm.onWebSocketError((ctx: IWebSocketContext) => {
    const client = ctx.clientToProxyWebSocket as { terminate?: () => void } | undefined;
    client?.terminate?.();
  });
  // The library's own CONNECT continuation (this handler's callback) is never called: every
  // CONNECT is ours (its per-host HTTPS servers and their CA never run).
  mitm.onConnect((req, socket, head: Buffer) => hooks.connect(req, socket, head));

  mitm.failed = (kind, ctx, err) => {
    const side = /^(CLIENT_TO_PROXY|PROXY_TO_CLIENT)/.test(kind) ? 'client' : 'upstream';
    hooks.failure(side, ctx ? handle(ctx) : null, err, kind);
  };

  return new Promise((resolve, reject) => {
    mitm.listen(
      {
        host: opts.host,
        port: opts.port,
        keepAlive: true,
        sslCaDir: NO_CA_DIR,
        httpAgent: opts.httpAgent,
        httpsAgent: opts.httpsAgent,
      },
      () => {
        server.off('error', reject);
        server.on('error', (e) => hooks.serverError(e));
        resolve({
          port: mitm.httpPort,
          server,
          forward(tls, req, res, pin) {
            pins.set(req, pin);
            entry._onHttpServerRequest(tls, req, res);
          },
          relay(tls, req, socket, head, pin) {
            upgrades.handleUpgrade(req, socket, head, (ws) => {
              wsPins.set(ws, pin);
              entry._onWebSocketServerConnect(tls, ws, req);
            });
          },
          close() {
            upgrades.close();
            mitm.close();
          },
        });
      },
    );
    // Internal 7, `httpServer`: with the inert CA the library creates it synchronously in listen()
    // (and drops its reference on close, so we keep ours). Listen errors (EADDRINUSE) arrive only
    // as an 'error' event on it. Its 'request' and 'upgrade' listeners are replaced by ours: every
    // request and upgrade on the port is admitted first (requests for the proxy itself never reach
    // the library, which would forward them to us again). Its 'connect' listener stays (onConnect).
    const server = (mitm as unknown as { httpServer: Server }).httpServer;
    server.once('error', reject);
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      hooks.serverRequest(req, res),
    );
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      hooks.serverUpgrade(req, socket, head),
    );
  });
}
