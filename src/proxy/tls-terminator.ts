/**
 * Where intercepted CONNECT tunnels are decrypted: the client's own socket is wrapped in a
 * server-side TLS socket with the leaf for the CONNECT host and handed to one HTTP server that
 * never listens. http-mitm-proxy would instead start an HTTPS server per host on a local port and
 * pipe every tunnel through a second TCP connection to it: each byte crossed loopback twice more
 * (measured: about a fifth of the proxy's CPU per intercepted request), and each host opened one
 * more listening port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from '../core/logger.js';
import type { TlsRejection } from '../core/tls-rejections.js';
import type { LeafIssuer } from './certs.js';
import type { ConnectionLimits } from './connection-limits.js';

/** A client that opens a tunnel and never completes the TLS handshake is dropped after this. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/**
 * A client that completes the handshake and hangs up within this time without sending a byte has
 * refused the certificate after the handshake (GnuTLS clients such as wget do so); an idle
 * connection a browser opened ahead of time lives far longer.
 */
export const REFUSED_AFTER_HANDSHAKE_MS = 3_000;
/** TLS alerts a client sends when it does not accept the certificate. */
const CERT_ALERT =
  /_ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_REQUIRED)$/;
/** Bound on cached TLS contexts (one per host); far above what a sign-in session touches. */
const CONTEXT_CACHE_MAX = 2000;

export interface TlsTerminator<T = undefined> {
  /**
   * Takes over a client socket whose CONNECT to `host` was answered and whose next bytes start a
   * TLS handshake; `head` holds the bytes already read from it. `tag` (what the CONNECT named)
   * comes back with each request on the connection. `client` names who opened the tunnel, when
   * known (its CONNECT User-Agent), for refusals.
   */
  accept(socket: Duplex, host: string, head: Buffer, tag: T, client?: string | null): void;
  /** Client connections currently open. */
  connections(): number;
  /**
   * Open connections whose client has not yet shown whether it trusts our certificate (in the
   * handshake, or just past it without a byte sent): a refusal may still come from them.
   */
  undecided(): number;
  /** Destroys every client connection. */
  close(): void;
}

/** What is known of each client connection, to tell a refused handshake at its close. */
interface ConnState {
  /** The caller's tag for the connection (its CONNECT target), handed back with each request. */
  readonly tag: unknown;
  readonly host: string;
  readonly client: string | null;
  /** Bytes written to the client's socket before the handshake began. */
  readonly sentBefore: number;
  secureAt: number | null;
  error: string | null;
  /** The client ended its side (FIN or close_notify). */
  ended: boolean;
  /** Closed by us (handshake timeout, shutdown): not the client's doing. */
  ours: boolean;
}

export function createTlsTerminator<T = undefined>(opts: {
  readonly issuer: LeafIssuer;
  readonly onRequest: (req: IncomingMessage, res: ServerResponse, tag: T) => void;
  readonly logger: Logger;
  readonly handshakeTimeoutMs?: number;
  /** Node's header and request timeouts (defaults 60 s and 300 s), and how often they are checked. */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly checkIntervalMs?: number;
  /** An HTTP upgrade (WebSocket) on a decrypted connection; without it the connection is closed. */
  readonly onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, tag: T) => void;
  /** Silent and idle connections: closed after a while, and counted (connection-limits.ts). */
  readonly limits?: ConnectionLimits;
  /** A client refused our certificate (see TlsRejection for how that is told). */
  readonly onRejected?: (rejection: TlsRejection) => void;
}): TlsTerminator<T> {
  const { logger: log } = opts;
  const states = new WeakMap<Duplex, ConnState>();
  /** Each connection's response in flight: a malformed request after it gets no 400. */
  const responding = new WeakMap<Duplex, ServerResponse>();
  const server = createServer(
    {
      ...(opts.headersTimeoutMs !== undefined ? { headersTimeout: opts.headersTimeoutMs } : {}),
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeout: opts.requestTimeoutMs } : {}),
      ...(opts.checkIntervalMs !== undefined
        ? { connectionsCheckingInterval: opts.checkIntervalMs }
        : {}),
    },
    (req, res) => {
      responding.set(req.socket, res);
      opts.onRequest(req, res, states.get(req.socket)?.tag as T);
    },
  );
  // The server never listens, but Node starts the checks of its header and request timeouts (a
  // client that opens a request and never finishes it) on 'listening'.
  server.emit('listening');
  const onUpgrade = opts.onUpgrade;
  if (onUpgrade)
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      onUpgrade(req, socket, head, states.get(socket)?.tag as T),
    );
  opts.limits?.watch(server);
  // A malformed request or a handshake the client aborted (it did not trust the CA, say): the
  // connection goes, the proxy stays. A malformed request is answered first, as Node's HTTP
  // server answers one on a plain connection. Errors are logged as `tlsError`: the logger censors
  // any field named `code` (the OAuth authorization code), and a TLS alert is no secret.
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    const error = err.code ?? err.message;
    const state = states.get(socket);
    if (state) state.error ??= error;
    const reply = httpErrorReply(err.code);
    const busy = responding.get(socket);
    if (reply && socket.writable && !(busy && busy.headersSent && !busy.writableFinished)) {
      log.debug({ tlsError: error }, `malformed request on an intercepted connection: ${reply}`);
      socket.end(`HTTP/1.1 ${reply}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    log.debug({ tlsError: error, host: state?.host }, 'intercepted client connection failed');
    socket.destroy();
  });
  const contexts = new Map<string, SecureContext>();
  const open = new Set<TLSSocket>();

  function context(host: string): SecureContext | Promise<SecureContext> {
    const hit = contexts.get(host);
    if (hit) return hit;
    // The issuer hands concurrent callers one promise: the first to run makes the context.
    return opts.issuer.issue([host]).then((pair) => {
      const made = contexts.get(host);
      if (made) return made;
      const sc = createSecureContext({ cert: pair.certPem, key: pair.keyPem });
      if (contexts.size >= CONTEXT_CACHE_MAX) {
        const oldest = contexts.keys().next();
        if (!oldest.done) contexts.delete(oldest.value);
      }
      contexts.set(host, sc);
      return sc;
    });
  }

  function wrap(
    socket: Duplex,
    head: Buffer,
    sc: SecureContext,
    tag: T,
    host: string,
    client: string | null,
  ): void {
    if (socket.destroyed) return;
    // TLSSocket reads what is already buffered on the socket before anything new.
    if (head.length > 0) socket.unshift(head);
    const tls = new TLSSocket(socket as Socket, { isServer: true, secureContext: sc });
    const state: ConnState = {
      tag,
      host,
      client,
      sentBefore: bytesWritten(socket),
      secureAt: null,
      error: null,
      ended: false,
      ours: false,
    };
    states.set(tls, state);
    open.add(tls);
    const timer = setTimeout(() => {
      state.ours = true;
      tls.destroy();
    }, opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    tls.once('end', () => {
      state.ended = true;
    });
    tls.once('secure', () => {
      clearTimeout(timer);
      state.secureAt = Date.now();
    });
    tls.once('close', () => {
      clearTimeout(timer);
      open.delete(tls);
      socket.destroy();
      const error = refusal(state, tls.bytesRead, bytesWritten(socket));
      if (error !== null) opts.onRejected?.({ host, error, client });
    });
    server.emit('connection', tls);
  }

  /** How the client refused our certificate, or null when this close was something else. */
  function refusal(s: ConnState, received: number, sent: number): string | null {
    // Anything decrypted from the client (a request) means it accepted the certificate.
    if (s.ours || received > 0) return null;
    if (s.error !== null && CERT_ALERT.test(s.error)) return s.error;
    // The client hung up (FIN or reset), rather than a timeout or anything else of ours closing it.
    const hungUp = s.error === null ? s.ended : s.error === 'ECONNRESET' || s.error === 'EPIPE';
    if (!hungUp) return null;
    // Before the handshake ended: only after our ServerHello and certificate went out.
    if (s.secureAt === null) return sent > s.sentBefore ? 'closed-during-handshake' : null;
    return Date.now() - s.secureAt <= REFUSED_AFTER_HANDSHAKE_MS ? 'closed-after-handshake' : null;
  }

  return {
    accept(socket, host, head, tag, client = null) {
      const sc = context(host);
      if (!(sc instanceof Promise)) return wrap(socket, head, sc, tag, host, client);
      socket.pause();
      sc.then(
        (ready) => wrap(socket, head, ready, tag, host, client),
        (err: unknown) => {
          log.warn(
            { host, err: err instanceof Error ? err.message : String(err) },
            'cannot make a certificate',
          );
          socket.destroy();
        },
      );
    },
    connections: () => open.size,
    undecided() {
      let n = 0;
      const now = Date.now();
      for (const s of open) {
        const st = states.get(s);
        // A failed one (st.error) is being closed: its refusal is counted at its 'close'.
        if (!st || s.bytesRead > 0) continue;
        if (st.secureAt === null || now - st.secureAt <= REFUSED_AFTER_HANDSHAKE_MS) n++;
      }
      return n;
    },
    close() {
      server.close();
      for (const s of open) {
        const state = states.get(s);
        // One whose client already failed it (an alert) is the client's doing, not ours.
        if (state && state.error === null) state.ours = true;
        s.destroy();
      }
    },
  };
}

/**
 * Node's answer to an HTTP parse error (lib/_http_server.js socketOnError); null for the others
 * (TLS failures, resets, timeouts: those connections are just closed).
 */
function httpErrorReply(code: string | undefined): string | null {
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return '413 Payload Too Large';
  return code?.startsWith('HPE_') ? '400 Bad Request' : null;
}

function bytesWritten(socket: Duplex): number {
  const n = (socket as Partial<Pick<Socket, 'bytesWritten'>>).bytesWritten;
  return typeof n === 'number' ? n : 0;
}
