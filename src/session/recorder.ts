/**
 * The live recorder: what the proxy hands each captured exchange to. The session (aggregates,
 * session log, recent records, listeners) lives here, in the proxy's thread, behind the one
 * recording step (record-step.ts); the pool (pool.ts: one worker at nice 10 by default) does the
 * CPU-heavy part, decoding and classifying batches of captured exchanges (the `classify-raws`
 * task), and answers with each record's JSON texts. Batches are recorded in submission order.
 *
 * Batching: each exchange is serialized the moment it is submitted (raw-batch.ts) and a batch
 * leaves at most every FLUSH_GAP_MS under load, at the end of its turn at a trickle: every message
 * wakes the other thread, and on a busy machine those wake-ups cost the proxy more than the
 * classification. Backpressure: past MAX_PENDING_BYTES of batches waiting for the pool,
 * `throttle()` holds new sign-in requests until it is back under half.
 *
 * A worker that dies loses nothing: the pool redoes its jobs elsewhere (another worker, or this
 * thread), and each batch is recorded once, when its one answer comes.
 */
import { oneLine } from '../core/errors.js';
import type { SubmittedExchange } from '../core/captured.js';
import type { Logger } from '../core/logger.js';
import { plural } from '../core/plural.js';
import type { ExchangeRecord } from '../core/types.js';
import { openSessionLog } from '../sources/session-log.js';
import { createPool, type Pool } from './pool.js';
import { RawBatchWriter, type RawBatch } from './raw-batch.js';
import {
  createRecordStep,
  type ClassifiedBatch,
  type RecordStep,
  type SessionAggregates,
} from './record-step.js';
import { classifyRaws } from './tasks.js';

export type { SessionAggregates } from './record-step.js';

/**
 * Least time between two batches sent to the pool (measured at 32 concurrent token POSTs on two
 * cores: one message per turn cost the proxy's thread 35 µs per exchange in wake-ups alone). Far
 * below anything a SIGKILL test or the dashboard notices.
 */
const FLUSH_GAP_MS = 10;
/**
 * The worker's nice value (Linux): classification takes the CPU the traffic leaves over, so on a
 * saturated machine the proxy forwards at full speed and the records follow a moment later.
 */
const WORKER_NICE = 10;
/**
 * Bytes of serialized exchanges waiting for the pool beyond which `throttle()` holds traffic. What
 * waits grows this thread's C heap for good: at 64 MiB live RSS grew 75 to 190 MB over 100,000
 * exchanges on a loaded machine; at 8 MiB, with batches waiting as strings and two jobs at most
 * sent to the worker (raw-batch.ts, pool.ts), 27 to 34 MB (bench section 4).
 */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;

export interface RecorderOptions {
  /** Where the NDJSON session log goes; null keeps nothing on disk (tests, dry runs). */
  readonly sessionLogPath: string | null;
  readonly logger?: Logger;
  readonly startedAt?: string;
  /** The pool to classify on (default: its own, one worker at nice 10, closed with the recorder). */
  readonly pool?: Pool;
  /** Override MAX_PENDING_BYTES (tests). */
  readonly maxPendingBytes?: number;
}

export interface Recorder {
  readonly startedAt: string;
  readonly sessionLogPath: string | null;
  /** Classify a raw exchange and record it, shortly (see `settle`). Never throws. */
  submit(exchange: SubmittedExchange): void;
  /** Resolves once everything submitted so far is recorded. */
  settle(): Promise<void>;
  /** Resolves once at most `n` submitted exchanges wait to be recorded (backpressure for fast sources). */
  backlog(n: number): Promise<void>;
  /**
   * For a live source: null while the recorder keeps up, else a promise that settles once it has
   * caught up enough (the proxy then holds new recorded requests: memory stays bounded under
   * sustained overload).
   */
  throttle(): Promise<void> | null;
  /** Aggregates of every exchange submitted before the call (it waits for them). */
  aggregates(): Promise<SessionAggregates>;
  /** The most recent records, newest last, at most `limit` (the latest thousand at least). */
  recent(limit: number): Promise<readonly ExchangeRecord[]>;
  /** One full record (evidence included) while it is among the latest. */
  lookup(id: string): Promise<ExchangeRecord | undefined>;
  /** Called with every new record, in order, without its evidence (`lookup` has it). */
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  /** Exchanges recorded so far. */
  count(): number;
  /**
   * Append a session event to the session log: one JSON object with a `type` (e.g. a refused TLS
   * handshake, core/tls-rejections.ts), which readers of records skip. It goes after every
   * exchange submitted before it. Never throws; dropped when there is no log or it is closed.
   */
  note(line: string): void;
  /** Settles, then closes the session log (and its own pool). Aggregates stay readable. */
  close(): Promise<void>;
}

/** A session event line, written after the first `at` exchanges of its batch. */
interface Note {
  readonly at: number;
  readonly line: string;
}

/** A batch on its way to the pool, and the notes submitted among its exchanges or after them. */
interface Flight {
  readonly batch: RawBatch;
  readonly notes: Note[];
}

export async function createRecorder(opts: RecorderOptions): Promise<Recorder> {
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const logger = opts.logger;
  const logPath = opts.sessionLogPath;
  const log = logPath ? openSessionLog(logPath, { startedAt }) : null;
  let pool: Pool;
  try {
    pool =
      opts.pool ??
      (await createPool({ size: 1, nice: WORKER_NICE, ...(logger ? { logger } : {}) }));
  } catch (err) {
    log?.close();
    throw err;
  }
  const ownPool = opts.pool === undefined;
  const step: RecordStep = createRecordStep({ log, ...(logger ? { logger } : {}) });
  const maxPendingBytes = opts.maxPendingBytes ?? MAX_PENDING_BYTES;

  // Exchanges waiting for the next batch, already serialized, and the notes that follow them.
  const outbox = new RawBatchWriter();
  let outboxNotes: Note[] = [];
  // Batches handed to the pool and not yet recorded, oldest first.
  const flights: Flight[] = [];
  // Recording in submission order: each batch's records are applied after the previous batch's.
  let tail: Promise<void> = Promise.resolve();
  // Exchanges submitted and not yet recorded; bytes of the batches in `flights`.
  let pending = 0;
  let pendingBytes = 0;
  let closed = false;
  let closing: Promise<void> | null = null;

  let relief: { promise: Promise<void>; release: () => void } | null = null;
  const relieve = (): void => {
    if (relief && pendingBytes <= maxPendingBytes / 2) {
      relief.release();
      relief = null;
    }
  };
  const backlogWaiters: { n: number; done: () => void }[] = [];
  const wakeBacklog = (): void => {
    for (let i = backlogWaiters.length - 1; i >= 0; i--) {
      const w = backlogWaiters[i];
      if (w && pending <= w.n) {
        backlogWaiters.splice(i, 1);
        w.done();
      }
    }
  };

  const apply = (flight: Flight, batch: ClassifiedBatch): void => {
    // Notes go between the records submitted before and after them.
    let from = 0;
    for (const note of flight.notes) {
      if (note.at > from) step.recordBatch(batch, from, note.at);
      from = Math.max(from, note.at);
      step.note(note.line);
    }
    step.recordBatch(batch, from);
  };
  const landed = (flight: Flight): void => {
    flights.shift();
    pending -= flight.batch.count;
    pendingBytes -= flight.batch.data.length;
    if (relief) relieve();
    if (backlogWaiters.length > 0) wakeBacklog();
  };

  let lastFlush = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const batch = outbox.take();
    if (!batch) return;
    lastFlush = performance.now();
    const flight: Flight = { batch, notes: outboxNotes };
    outboxNotes = [];
    flights.push(flight);
    pendingBytes += batch.data.length;
    const classified = pool.run('classify-raws', batch);
    tail = tail
      .then(() => classified)
      .then(
        (classified) => apply(flight, classified),
        (err: unknown) => {
          // A task that throws is a bug in a classifier; classifyExchange turns every problem
          // with the traffic into a record, so this is said loudly and the session goes on.
          logger?.error(`${plural(batch.count, 'exchange')} not recorded: ${oneLine(err)}`);
          for (const note of flight.notes) step.note(note.line);
        },
      )
      .finally(() => landed(flight));
  };

  const settle = async (): Promise<void> => {
    flush();
    await tail;
  };

  return {
    startedAt,
    sessionLogPath: logPath,
    submit(raw) {
      if (closed) {
        // After close: a late exchange is still classified, logged and counted here, though the
        // session log is final.
        const w = new RawBatchWriter();
        w.write(raw);
        const batch = w.take();
        if (batch) apply({ batch, notes: [] }, classifyRaws(batch));
        return;
      }
      pending++;
      outbox.write(raw);
      if (outbox.count > 1) return;
      const wait = lastFlush + FLUSH_GAP_MS - performance.now();
      if (wait <= 0) setImmediate(flush);
      else {
        timer = setTimeout(flush, wait);
        timer.unref();
      }
    },
    note(line) {
      if (closed) return;
      if (outbox.count > 0) outboxNotes.push({ at: outbox.count, line });
      else {
        const last = flights.at(-1);
        if (last) last.notes.push({ at: last.batch.count, line });
        else step.note(line);
      }
    },
    settle,
    throttle() {
      if (pendingBytes <= maxPendingBytes) return relief?.promise ?? null;
      if (!relief) {
        let release = (): void => undefined;
        const promise = new Promise<void>((resolve) => (release = resolve));
        relief = { promise, release };
        logger?.warn(
          `classification is ${plural(pending, 'exchange')} behind; holding new sign-in requests until it catches up`,
        );
      }
      return relief.promise;
    },
    backlog(n) {
      flush();
      if (pending <= n) return Promise.resolve();
      return new Promise<void>((done) => backlogWaiters.push({ n, done }));
    },
    async aggregates() {
      await settle();
      return step.aggregates();
    },
    async recent(limit) {
      await settle();
      return step.recent(limit);
    },
    async lookup(id) {
      await settle();
      return step.lookup(id);
    },
    subscribe: (listener) => step.subscribe(listener),
    count: () => step.count(),
    close() {
      closing ??= (async () => {
        await settle();
        closed = true;
        step.close();
        if (ownPool) await pool.close();
      })();
      return closing;
    },
  };
}
