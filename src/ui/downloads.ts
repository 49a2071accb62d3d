/**
 * The dashboard's report downloads (/report.EXT, one per format of src/report/formats.ts): streamed,
 * a few at a time.
 *
 * - A report is never whole in memory: its chunks (the head, then the exchanges read back from the
 *   session log) go out as they are made. `res.write()` returning false holds the render until
 *   'drain', so a slow client slows its own render instead of growing a buffer.
 * - The render shares the proxy's event loop, so it gives way: it yields a turn of the event loop
 *   (setImmediate) after every 64 KiB written or 2 ms of work, so a proxied request waits for
 *   a slice, not for a report.
 * - At most `maxActive` reports render at once (default 2). Later requests wait their turn, in
 *   order (a browser's download then starts late rather than fails); beyond `maxQueued` waiting
 *   (default 32), or after `queueTimeoutMs` in line (default 5 min), they get 503 with
 *   Retry-After. Memory and CPU spent on downloads are thus bounded whatever the number of
 *   clients, and do not grow with the session's length.
 * - A client that goes away, while waiting or mid-download, stops its render (the chunk iterator
 *   is returned, which closes the session-log reader) and frees its place.
 * - A render that fails after the headers went out destroys the response: the client sees a cut
 *   stream (an error), never a short file that looks complete.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LiveSession } from '../core/live.js';
import type { Logger } from '../core/logger.js';
import { REPORT_FORMATS, ownExtension, type ReportFormat } from '../report/formats.js';
import { batched } from '../report/writer.js';
import { securityHeaders, sendText } from './guard.js';

export interface DownloadsOptions {
  readonly live: LiveSession;
  readonly logger: Logger;
  /** Reports rendered at once (default 2). */
  readonly maxActive?: number;
  /** Requests waiting for a turn (default 32); more get 503. */
  readonly maxQueued?: number;
  /** Longest wait for a turn (default 5 min); then 503. */
  readonly queueTimeoutMs?: number;
}

/** The render yields to the event loop after writing this much, or after YIELD_MS... */
const YIELD_BYTES = 64 * 1024;
/** ...of work since its last turn, whichever comes first. */
const YIELD_MS = 2;
/** What a 503 asks the client to wait, in seconds. */
const RETRY_AFTER_S = 10;

interface Waiter {
  readonly res: ServerResponse;
  grant(): void;
  refuse(why: string): void;
}

export class Downloads {
  readonly #live: LiveSession;
  readonly #log: Logger;
  readonly #maxActive: number;
  readonly #maxQueued: number;
  readonly #queueTimeoutMs: number;
  readonly #queue: Waiter[] = [];
  readonly #streaming = new Set<ServerResponse>();
  #active = 0;
  #closed = false;

  constructor(opts: DownloadsOptions) {
    this.#live = opts.live;
    this.#log = opts.logger;
    this.#maxActive = Math.max(1, opts.maxActive ?? 2);
    this.#maxQueued = Math.max(0, opts.maxQueued ?? 32);
    this.#queueTimeoutMs = opts.queueTimeoutMs ?? 300_000;
  }

  /** Answers one download request; resolves when it is done (or refused, or abandoned). */
  async serve(
    method: string | undefined,
    res: ServerResponse,
    format: ReportFormat,
  ): Promise<void> {
    if (method === 'HEAD') {
      res.writeHead(200, this.#headers(format));
      res.end();
      return;
    }
    if (!(await this.#turn(res))) return;
    try {
      await this.#stream(res, format);
    } finally {
      this.#release();
    }
  }

  /** Refuses those waiting, cuts the downloads under way. */
  close(): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) w.refuse('the dashboard is closing');
    for (const res of this.#streaming) res.destroy();
  }

  #headers(format: ReportFormat): OutgoingHttpHeaders {
    return {
      ...securityHeaders(),
      'content-type': REPORT_FORMATS[format].contentType,
      'content-disposition': `attachment; filename="entra-bas-report${ownExtension(format)}"`,
    };
  }

  /** Resolves true once this request may render; false when it was refused or went away. */
  #turn(res: ServerResponse): Promise<boolean> {
    if (this.#closed) {
      busy(res, 'the dashboard is closing');
      return Promise.resolve(false);
    }
    if (this.#active < this.#maxActive) {
      this.#active++;
      return Promise.resolve(true);
    }
    if (this.#queue.length >= this.#maxQueued) {
      busy(res, 'too many report downloads at once');
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve) => {
      const leave = (): void => {
        clearTimeout(timer);
        res.off('close', gone);
        const i = this.#queue.indexOf(waiter);
        if (i !== -1) this.#queue.splice(i, 1);
      };
      const gone = (): void => {
        leave();
        resolve(false);
      };
      const waiter: Waiter = {
        res,
        grant: () => {
          leave();
          this.#active++;
          resolve(true);
        },
        refuse: (why) => {
          leave();
          busy(res, why);
          resolve(false);
        },
      };
      const timer = setTimeout(
        () => waiter.refuse('report downloads are busy; try again shortly'),
        this.#queueTimeoutMs,
      );
      timer.unref();
      res.once('close', gone);
      this.#queue.push(waiter);
    });
  }

  #release(): void {
    this.#active--;
    while (this.#active < this.#maxActive && this.#queue.length > 0) {
      this.#queue[0]?.grant();
    }
  }

  async #stream(res: ServerResponse, format: ReportFormat): Promise<void> {
    let closed = false;
    res.once('close', () => (closed = true));
    const gone = (): boolean => closed || res.destroyed || res.writableEnded;
    if (gone()) return;
    let chunks: AsyncIterable<string | Uint8Array>;
    try {
      chunks = await this.#live.renderStream(format);
    } catch (err) {
      this.#fail(res, format, err);
      return;
    }
    if (gone()) return;
    this.#streaming.add(res);
    let unyielded = 0;
    let since = performance.now();
    const write = async (data: string | Uint8Array): Promise<void> => {
      if (gone()) return;
      unyielded += data.length;
      if (!res.write(data)) await drainOrClose(res);
      // 'drain' may come without the event loop turning (a socket write that completed at
      // once), so the render also yields a turn by itself: proxied traffic waits one slice.
      if (unyielded >= YIELD_BYTES || performance.now() - since >= YIELD_MS) {
        await nextTurn();
        unyielded = 0;
        since = performance.now();
      }
    };
    try {
      res.writeHead(200, this.#headers(format));
      // A `break` (the client went away) returns the iterator: the renderers' and the session-log
      // reader's `finally` blocks run and the file is closed.
      for await (const chunk of batched(chunks)) {
        if (gone()) break;
        await write(chunk);
      }
      if (gone()) return;
      res.end();
    } catch (err) {
      this.#fail(res, format, err);
    } finally {
      this.#streaming.delete(res);
    }
  }

  #fail(res: ServerResponse, format: ReportFormat, err: unknown): void {
    this.#log.warn(
      { err: err instanceof Error ? err.message : String(err), format },
      'report download failed',
    );
    if (res.headersSent) res.destroy();
    else sendText(res, 500, 'internal error');
  }
}

function busy(res: ServerResponse, why: string): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  sendText(res, 503, why, { 'retry-after': String(RETRY_AFTER_S) });
}

/** Resolves on 'drain' or 'close', whichever comes first; the other listener is removed. */
async function drainOrClose(res: ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
