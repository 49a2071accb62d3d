/**
 * The recorder: the one place where a RawExchange becomes a classified ExchangeRecord that is
 * aggregated, appended to the session log, logged and announced. The proxy, `classify` and `report`
 * all feed it, so every source goes through the same pipeline.
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
  /** How many recent records stay in memory for the dashboard (default 500). */
  readonly recentLimit?: number;
  readonly startedAt?: string;
}

export interface Recorder {
  readonly startedAt: string;
  readonly session: Session;
  readonly sessionLogPath: string | null;
  /** Classify a raw exchange and record it. Never throws. */
  record(raw: RawExchange): ExchangeRecord;
  /** Record an already classified exchange (from a session log or a merge). */
  add(record: ExchangeRecord): void;
  recent(limit: number): readonly ExchangeRecord[];
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  count(): number;
  close(): void;
}

export function createRecorder(opts: RecorderOptions): Recorder {
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const session = createSession();
  const log: SessionLogWriter | null = opts.sessionLogPath
    ? openSessionLog(opts.sessionLogPath, { startedAt })
    : null;
  // Without a session log the records live only here, so all are kept (tests, short API sessions).
  const limit = opts.recentLimit ?? (log ? 500 : Number.POSITIVE_INFINITY);
  const ring: ExchangeRecord[] = [];
  const listeners = new Set<(r: ExchangeRecord) => void>();
  const logger = opts.logger;
  let total = 0;

  function add(record: ExchangeRecord): void {
    total++;
    session.add(record);
    log?.append(record);
    ring.push(record);
    if (ring.length > limit) ring.splice(0, ring.length - limit);
    for (const l of listeners) {
      try {
        l(record);
      } catch (err) {
        // A listener (the dashboard) failing must not stop the recording; say so once per failure.
        logger?.debug({ err: String(err) }, 'record listener failed');
      }
    }
  }

  return {
    startedAt,
    session,
    sessionLogPath: opts.sessionLogPath,
    record(raw) {
      const record = classifyExchange(raw);
      add(record);
      logger?.info(
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
      return record;
    },
    add,
    recent(n) {
      return ring.slice(Math.max(0, ring.length - n));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    count: () => total,
    close() {
      log?.close();
    },
  };
}
