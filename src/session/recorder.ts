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
import { toRawExchange, type SubmittedExchange } from '../core/captured.js';
import { compactApplication, type CompactApplication } from '../core/compact-aggregates.js';
import { createSession, type Session } from '../classifiers/session.js';
import type { Logger } from '../core/logger.js';
import type { ApplicationRecord, ExchangeRecord, ReportSummary } from '../core/types.js';
import { openSessionLog, type SessionLogWriter } from '../sources/session-log.js';

export interface RecorderOptions {
  /** Where the NDJSON session log goes; null keeps nothing on disk (tests, dry runs). */
  readonly sessionLogPath: string | null;
  readonly logger?: Logger;
  /** How many recent records stay in memory for the dashboard (default 500 with a session log). */
  readonly recentLimit?: number;
  readonly startedAt?: string;
}

/** The session's aggregates: what the report head and the dashboard's overview are made of. */
export interface SessionAggregates {
  readonly summary: ReportSummary;
  readonly applications: ApplicationRecord[];
}

export interface CompactAggregates {
  readonly summary: ReportSummary;
  readonly applications: CompactApplication[];
}

export interface Recorder {
  readonly startedAt: string;
  readonly sessionLogPath: string | null;
  /** Classify a raw exchange and record it, now or shortly (see `settle`). Never throws. */
  submit(exchange: SubmittedExchange): void;
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
  /** Aggregates of every exchange submitted before the call (it waits for them). */
  aggregates(): Promise<SessionAggregates>;
  /** The same with id lists cut to their latest few (compactApplication), made where they live. */
  compactAggregates(): Promise<CompactAggregates>;
  /** The most recent records, newest last, at most `limit` (the latest few hundred at least). */
  recent(limit: number): Promise<readonly ExchangeRecord[]>;
  /** One full record (evidence included) while it is still held in memory. */
  lookup(id: string): Promise<ExchangeRecord | undefined>;
  /**
   * Called with every new record, in order. A worker recorder sends records back to this thread
   * only while someone listens; they may come without their evidence (it is in the session log).
   */
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  /** Exchanges recorded so far. */
  count(): number;
  /**
   * Append a session event to the session log: one JSON object with a `type` (e.g. a refused TLS
   * handshake, core/tls-rejections.ts), which readers of records skip. Never throws; dropped when
   * there is no log or it is closed.
   */
  note(line: string): void;
  /** Settles, then closes the session log. Aggregates stay readable. */
  close(): Promise<void>;
}

/** A recorder that classifies synchronously, in the calling thread. */
export interface SyncRecorder extends Recorder {
  readonly session: Session;
  record(exchange: SubmittedExchange): ExchangeRecord;
  /** Record an already classified exchange (from a session log or a merge). */
  add(record: ExchangeRecord): void;
  /** `recent`, synchronously. */
  recentNow(limit: number): readonly ExchangeRecord[];
}

/** The part every in-thread recording shares: aggregates, the recent ring and listeners. */
export interface RecorderCore {
  readonly startedAt: string;
  readonly session: Session;
  add(record: ExchangeRecord): void;
  recentNow(limit: number): readonly ExchangeRecord[];
  recent(limit: number): Promise<readonly ExchangeRecord[]>;
  aggregates(): Promise<SessionAggregates>;
  compactAggregates(): Promise<CompactAggregates>;
  lookup(id: string): Promise<ExchangeRecord | undefined>;
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  count(): number;
}

/**
 * Aggregates, the recent ring and listeners, in this thread: behind the in-thread recorder, the
 * `classify` pipeline and a worker recorder whose worker died.
 */
export function recorderCore(opts: RecorderOptions, hasLog: boolean): RecorderCore {
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const session = createSession();
  // Without a session log the records live only here, so all are kept (tests, short API sessions).
  const limit = opts.recentLimit ?? (hasLog ? 500 : Number.POSITIVE_INFINITY);
  const ring: ExchangeRecord[] = [];
  const listeners = new Set<(r: ExchangeRecord) => void>();
  const logger = opts.logger;
  let total = 0;
  const recentNow = (n: number): readonly ExchangeRecord[] =>
    ring.slice(Math.max(0, ring.length - Math.min(n, limit)));
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
    recentNow,
    recent: (n) => Promise.resolve(recentNow(n)),
    aggregates: () =>
      Promise.resolve({ summary: session.summary(), applications: session.applications() }),
    compactAggregates: () =>
      Promise.resolve({
        summary: session.summary(),
        applications: session.applications().map(compactApplication),
      }),
    lookup: (id) => Promise.resolve(ring.findLast((r) => r.id === id)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    count: () => total,
  };
}

/** What the one log line per exchange says: where it went and the verdict, never a value. */
export interface ExchangeLogFields {
  readonly id: string;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly endpoint: string;
  readonly grant: string | null;
  /** The client id (the application), else null. */
  readonly app: string | null;
  readonly verdict: string;
  readonly status: number | null;
  readonly error: string | null;
}

export function exchangeLogFields(r: ExchangeRecord): ExchangeLogFields {
  return {
    id: r.id,
    method: r.method,
    host: r.host,
    path: r.path,
    endpoint: r.endpoint,
    grant: r.grantType,
    app: r.clientId,
    verdict: r.verdict,
    status: r.status,
    error: r.error?.code ?? null,
  };
}

/** One line per classified exchange (src/core/log-format.ts shows it as verdict, app, grant, host). */
export function logExchange(
  logger: Logger | undefined,
  record: ExchangeRecord | ExchangeLogFields,
): void {
  // Checked first: building the line costs more than the call when the level is off.
  if (!logger?.isLevelEnabled('info')) return;
  const f = 'grantType' in record ? exchangeLogFields(record) : record;
  logger.info(
    {
      id: f.id,
      method: f.method,
      host: f.host,
      path: f.path,
      endpoint: f.endpoint,
      grant: f.grant,
      app: f.app,
      verdict: f.verdict,
      status: f.status,
      ...(f.error ? { error: f.error } : {}),
    },
    `${f.method} ${f.host}${f.path} ${f.endpoint} -> ${f.verdict}`,
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
  const record = (exchange: SubmittedExchange): ExchangeRecord => {
    const r = classifyExchange(toRawExchange(exchange));
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
    note: (line) => void log?.appendLine(line),
    settle: () => Promise.resolve(),
    backlog: () => Promise.resolve(),
    close: () => {
      log?.close();
      return Promise.resolve();
    },
  };
}
