/**
 * The recorder: the one place where a RawExchange becomes a classified ExchangeRecord that is
 * aggregated, appended to the session log, logged and announced. The proxy, `classify` and `report`
 * all feed it, so every source goes through the same pipeline.
 *
 * Two ways to run it: `createRecorder` classifies in the calling thread (offline sources, tests);
 * `createWorkerRecorder` (worker-recorder.ts) classifies and writes the session log in a worker
 * thread, so the live proxy's event loop only forwards traffic.
 */
import { classifyExchange } from '../classifiers/index.js';
import { createSession, type Session } from '../classifiers/session.js';
import type { Logger } from '../core/logger.js';
import type { ExchangeRecord, RawExchange } from '../core/types.js';
import { openSessionLog, type SessionLogWriter } from '../sources/session-log.js';

export interface RecorderOptions {
  /** Where the NDJSON session log goes; null keeps nothing on disk (tests, dry runs). */
  readonly sessionLogPath: string | null;
  readonly logger?: Logger;
  /** How many recent records stay in memory for the dashboard (default 500 with a session log). */
  readonly recentLimit?: number;
  readonly startedAt?: string;
}

export interface Recorder {
  readonly startedAt: string;
  readonly session: Session;
  readonly sessionLogPath: string | null;
  /** Classify a raw exchange and record it, now or shortly (see `settle`). Never throws. */
  submit(raw: RawExchange): void;
  /** Resolves once everything submitted so far is recorded. */
  settle(): Promise<void>;
  /** Resolves once at most `n` submitted exchanges wait to be recorded (backpressure for fast sources). */
  backlog(n: number): Promise<void>;
  /**
   * For a live source: null while the recorder keeps up, else a promise that settles once it has
   * caught up enough (the proxy then holds new recorded requests: memory stays bounded under
   * sustained overload). Absent: never behind.
   */
  throttle?(): Promise<void> | null;
  /**
   * One full record (evidence included) while it is still held in memory; the live proxy's ring
   * may hold records without evidence, which lives in the session log.
   */
  lookup?(id: string): Promise<ExchangeRecord | undefined>;
  /** Record an already classified exchange (from a session log or a merge). */
  add(record: ExchangeRecord): void;
  recent(limit: number): readonly ExchangeRecord[];
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  /** Exchanges recorded so far. */
  count(): number;
  /** Settles, then closes the session log. */
  close(): Promise<void>;
}

/** A recorder that classifies synchronously, in the calling thread. */
export interface SyncRecorder extends Recorder {
  record(raw: RawExchange): ExchangeRecord;
}

/**
 * The part every recorder shares: aggregates, the recent ring, listeners and the log line per
 * exchange. `append` is where the record goes to the session log (or nowhere).
 */
export function recorderCore(
  opts: RecorderOptions,
  hasLog: boolean,
): Omit<Recorder, 'submit' | 'settle' | 'backlog' | 'lookup' | 'close' | 'sessionLogPath'> & {
  add(record: ExchangeRecord): void;
} {
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const session = createSession();
  // Without a session log the records live only here, so all are kept (tests, short API sessions).
  const limit = opts.recentLimit ?? (hasLog ? 500 : Number.POSITIVE_INFINITY);
  const ring: ExchangeRecord[] = [];
  const listeners = new Set<(r: ExchangeRecord) => void>();
  const logger = opts.logger;
  let total = 0;
  return {
    startedAt,
    session,
    add(record) {
      total++;
      session.add(record);
      ring.push(record);
      // Trimmed in steps of `limit`, not one record at a time (each trim moves the whole ring).
      if (ring.length >= 2 * limit) ring.splice(0, ring.length - limit);
      for (const l of listeners) {
        try {
          l(record);
        } catch (err) {
          // A listener (the dashboard) failing must not stop the recording.
          logger?.debug({ err: String(err) }, 'record listener failed');
        }
      }
    },
    recent(n) {
      return ring.slice(Math.max(0, ring.length - Math.min(n, limit)));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    count: () => total,
  };
}

/** One line per classified exchange: where it went and the verdict; never a parameter value. */
export function logExchange(logger: Logger | undefined, record: ExchangeRecord): void {
  // Checked first: building the line costs more than the call when the level is off.
  if (!logger?.isLevelEnabled('info')) return;
  logger.info(
    {
      id: record.id,
      method: record.method,
      host: record.host,
      endpoint: record.endpoint,
      grant: record.grantType,
      verdict: record.verdict,
      status: record.status,
      ...(record.error ? { error: record.error.code } : {}),
    },
    `${record.method} ${record.host}${record.path} ${record.endpoint} -> ${record.verdict}`,
  );
}

export function createRecorder(opts: RecorderOptions): SyncRecorder {
  const log: SessionLogWriter | null = opts.sessionLogPath
    ? openSessionLog(opts.sessionLogPath, { startedAt: opts.startedAt ?? new Date().toISOString() })
    : null;
  const core = recorderCore(opts, log !== null);
  const add = (record: ExchangeRecord): void => {
    core.add(record);
    log?.append(record);
  };
  const record = (raw: RawExchange): ExchangeRecord => {
    const r = classifyExchange(raw);
    add(r);
    logExchange(opts.logger, r);
    return r;
  };
  return {
    ...core,
    sessionLogPath: opts.sessionLogPath,
    add,
    record,
    submit: (raw) => void record(raw),
    settle: () => Promise.resolve(),
    backlog: () => Promise.resolve(),
    close: () => {
      log?.close();
      return Promise.resolve();
    },
  };
}
