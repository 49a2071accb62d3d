/**
 * Limits on client connections that hold a socket without doing anything: Node's HTTP server
 * times out a request that has started, but not a connection that never sends a byte, and a
 * CONNECT tunnel waiting for its first bytes has no server watching it at all.
 *
 * - waiting: a connection with nothing yet (no request, no bytes after CONNECT) is closed after
 *   `firstBytesMs`;
 * - idle: a keep-alive connection between requests (its server's keepAliveTimeout closes it);
 * - at most `max` waiting plus idle connections: beyond that the oldest waiting one is closed
 *   first (it never did any work), then the oldest idle one. Logged once as a warning.
 * A connection that is reused leaves the count while a request is in flight and rejoins at the
 * young end, so clients that really use their connections are the last to lose them.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/logger.js';

/** How long a new connection (or a CONNECT tunnel) may stay silent. */
export const FIRST_BYTES_TIMEOUT_MS = 30_000;
/** Waiting plus idle client connections kept at most. */
export const MAX_IDLE_CONNECTIONS = 2048;

export interface ConnectionLimits {
  /** A connection with nothing yet: closed after `firstBytesMs` unless `busy` comes first. */
  waiting(socket: Duplex): void;
  /** In use (a request in flight, bytes arrived, handed on): not counted. */
  busy(socket: Duplex): void;
  /** Counts `server`'s connections: waiting until the first request, idle between requests. */
  watch(server: Server): void;
  /** Closes every waiting and idle connection. */
  close(): void;
}

export function createConnectionLimits(opts: {
  readonly logger: Logger;
  readonly firstBytesMs?: number;
  readonly max?: number;
}): ConnectionLimits {
  const firstBytesMs = opts.firstBytesMs ?? FIRST_BYTES_TIMEOUT_MS;
  const max = opts.max ?? MAX_IDLE_CONNECTIONS;
  const waiting = new Map<Duplex, NodeJS.Timeout>();
  const idle = new Set<Duplex>();
  const known = new WeakSet<Duplex>();
  const inFlight = new WeakMap<Duplex, number>();
  let warned = false;

  function forget(s: Duplex): void {
    const t = waiting.get(s);
    if (t) clearTimeout(t);
    waiting.delete(s);
    idle.delete(s);
  }

  function follow(s: Duplex): void {
    if (known.has(s)) return;
    known.add(s);
    s.once('close', () => forget(s));
  }

  function makeRoom(): void {
    while (waiting.size + idle.size > max) {
      const oldest = waiting.keys().next().value ?? idle.values().next().value;
      if (!oldest) return;
      forget(oldest);
      oldest.destroy();
      if (!warned) {
        warned = true;
        opts.logger.warn(
          { max },
          `more than ${max} client connections idle or silent: closing the oldest`,
        );
      } else opts.logger.debug({ max }, 'closed an idle client connection (limit)');
    }
  }

  const api: ConnectionLimits = {
    waiting(s) {
      if (s.destroyed) return;
      follow(s);
      forget(s);
      const timer = setTimeout(() => {
        waiting.delete(s);
        opts.logger.debug('closed a client connection that sent nothing');
        s.destroy();
      }, firstBytesMs);
      timer.unref();
      waiting.set(s, timer);
      makeRoom();
    },
    busy: forget,
    watch(server) {
      server.on('connection', (s: Duplex) => api.waiting(s));
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const s = req.socket;
        forget(s);
        inFlight.set(s, (inFlight.get(s) ?? 0) + 1);
        res.once('close', () => {
          const n = (inFlight.get(s) ?? 1) - 1;
          inFlight.set(s, n);
          if (n > 0 || s.destroyed) return;
          follow(s);
          idle.add(s);
          makeRoom();
        });
      });
      // First, so that whoever takes the socket over may start counting it again.
      server.prependListener('connect', (_req: IncomingMessage, s: Duplex) => forget(s));
      server.prependListener('upgrade', (_req: IncomingMessage, s: Duplex) => forget(s));
    },
    close() {
      for (const s of [...waiting.keys(), ...idle]) {
        forget(s);
        s.destroy();
      }
    },
  };
  return api;
}
