/**
 * Server-sent events fan-out for the dashboard. One LiveSession subscription for all clients (taken
 * while at least one client is connected); each record is serialized once and the same frame is
 * written to every client. Aggregates go out as throttled `snapshot` events; comments keep idle
 * connections alive. A client that stops reading is dropped rather than buffered without bound
 * (its EventSource reconnects and the page refetches /api/snapshot).
 *
 * Clients are capped (default 32), and a new client is always let in: beyond the cap the client
 * that is furthest behind (unsent output), else the oldest, is let go to make room. Stale tabs
 * and idle scripts cannot shut the page the user is looking at out of live updates. The one let
 * go is asked to wait before it reconnects (`retry:`), so clients over the cap take turns slowly
 * rather than churn.
 */
import type { ServerResponse } from 'node:http';
import type { LiveSession } from '../core/live.js';
import type { Logger } from '../core/logger.js';
import type { ExchangeRecord } from '../core/types.js';
import { compactRecord } from './compact.js';

export interface EventHubOptions {
  readonly live: LiveSession;
  readonly logger: Logger;
  /** Comment frames this often (default 15 s). */
  readonly heartbeatMs?: number;
  /** At most one `snapshot` event per this many ms (default 500). */
  readonly snapshotThrottleMs?: number;
  /** Drop a client whose unsent output exceeds this (default 8 MiB). */
  readonly maxBufferedBytes?: number;
  /** At most this many concurrent clients; a new one replaces the laggiest/oldest (default 32). */
  readonly maxClients?: number;
  /** How long a client let go for a newer one is asked to wait before reconnecting (default 30 s). */
  readonly evictedRetryMs?: number;
}

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class EventHub {
  readonly #live: LiveSession;
  readonly #log: Logger;
  readonly #heartbeatMs: number;
  readonly #throttleMs: number;
  readonly #maxBuffered: number;
  readonly #maxClients: number;
  readonly #evictedRetryMs: number;
  readonly #clients = new Set<ServerResponse>();
  #unsubscribe: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #snapshotTimer: NodeJS.Timeout | undefined;
  #lastSnapshotAt = 0;
  #closed = false;

  constructor(opts: EventHubOptions) {
    this.#live = opts.live;
    this.#log = opts.logger;
    this.#heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.#throttleMs = opts.snapshotThrottleMs ?? 500;
    this.#maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.#maxClients = Math.max(1, opts.maxClients ?? 32);
    this.#evictedRetryMs = opts.evictedRetryMs ?? 30_000;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * Turns `res` into an event stream; returns false (and answers 503) once closed. At the cap, an
   * older client is let go first (see the module comment).
   */
  attach(res: ServerResponse): boolean {
    if (this.#closed) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end('the dashboard is closing\n');
      return false;
    }
    while (this.#clients.size >= this.#maxClients) this.#evictOne();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    this.#clients.add(res);
    res.on('close', () => this.#detach(res));
    this.#write(res, 'retry: 2000\n\n');
    void this.#snapshotFrame().then((frame) => frame !== null && this.#write(res, frame));
    this.#lastSnapshotAt = Date.now();
    this.#ensureRunning();
    return true;
  }

  /** Ends every stream and releases the subscription and timers. */
  close(): void {
    this.#closed = true;
    for (const res of [...this.#clients]) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #ensureRunning(): void {
    if (this.#unsubscribe === undefined) {
      const records = this.#live.subscribe((record) => this.#onRecord(record));
      // A change without a record (a refused TLS handshake) shows in the next snapshot.
      const changes = this.#live.onSessionChange?.(() => this.#scheduleSnapshot());
      this.#unsubscribe = () => {
        records();
        changes?.();
      };
    }
    if (this.#heartbeat === undefined) {
      this.#heartbeat = setInterval(() => this.#broadcast(': heartbeat\n\n'), this.#heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    if (this.#snapshotTimer !== undefined) clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
  }

  #detach(res: ServerResponse): void {
    if (!this.#clients.delete(res)) return;
    if (this.#clients.size === 0) this.#stop();
  }

  /** Lets go of the client furthest behind (unsent bytes), else the oldest (insertion order). */
  #evictOne(): void {
    let victim: ServerResponse | undefined;
    for (const res of this.#clients) {
      if (victim === undefined || res.writableLength > victim.writableLength) victim = res;
    }
    if (victim === undefined) return;
    this.#clients.delete(victim);
    this.#log.debug('dashboard event clients at the cap; letting the oldest go');
    if (victim.writableLength > 0 || victim.writableEnded || victim.destroyed) victim.destroy();
    else victim.end(`retry: ${this.#evictedRetryMs}\n\n`);
  }

  #onRecord(record: ExchangeRecord): void {
    // Called from inside the proxy's pipeline: never let a dashboard problem escape into it.
    try {
      if (this.#clients.size === 0) return;
      this.#broadcast(sseFrame('record', compactRecord(record)));
      this.#scheduleSnapshot();
    } catch (err) {
      this.#log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'dashboard event failed',
      );
    }
  }

  #scheduleSnapshot(): void {
    if (this.#snapshotTimer !== undefined) return;
    const wait = Math.max(0, this.#lastSnapshotAt + this.#throttleMs - Date.now());
    this.#snapshotTimer = setTimeout(() => {
      this.#snapshotTimer = undefined;
      this.#lastSnapshotAt = Date.now();
      if (this.#clients.size === 0) return;
      void this.#snapshotFrame().then((frame) => frame !== null && this.#broadcast(frame));
    }, wait);
    this.#snapshotTimer.unref();
  }

  /** The current aggregates as a `snapshot` frame; null (and a warning) when they cannot be had. */
  async #snapshotFrame(): Promise<string | null> {
    try {
      return sseFrame('snapshot', await this.#live.compactSnapshot());
    } catch (err) {
      this.#log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'dashboard snapshot failed',
      );
      return null;
    }
  }

  #broadcast(frame: string): void {
    for (const res of this.#clients) this.#write(res, frame);
  }

  #write(res: ServerResponse, frame: string): void {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > this.#maxBuffered) {
      this.#log.debug('dashboard client too slow; dropping its event stream');
      res.destroy();
      return;
    }
    res.write(frame);
  }
}
