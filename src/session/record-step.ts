/**
 * The recording step: the ONE place where a classified exchange becomes part of a session. Every
 * path goes through it: the live proxy (recorder.ts), `classify`, `report` and `merge`. It takes a
 * record one at a time (`record`), or a task's batch whose log lines are already encoded
 * (`recordBatch`: the lines go to the log in one write, then each record goes on as below, folded
 * from its head; its full JSON is parsed only for a sink or a listener).
 *
 *   record (+ its two JSON texts, when a task made them)
 *     -> fold into the session's aggregates (classifiers/session.ts)
 *     -> append its line to the session log (the source of truth)
 *     -> note where it is for the dashboard's recent list and detail view (recent-lines.ts)
 *     -> one log line (method, host, path, endpoint, verdict; never a value)
 *     -> each extra sink, in order (e.g. a report's row cache: session/ never imports report/)
 *     -> each listener (the dashboard), in order
 *
 * Classifying is not part of it: a task does that first (tasks.ts), in a pool worker or here. The
 * step runs in the thread that owns the session, in the order the exchanges were submitted. It
 * never throws for a record: a listener or sink that throws is logged (debug) and skipped.
 */
import type { Logger } from '../core/logger.js';
import {
  EMPTY_EVIDENCE,
  type ApplicationRecord,
  type ExchangeRecord,
  type ReportSummary,
} from '../core/types.js';
import { createSession, NOT_FOLDED, type FoldFacts, type Session } from '../classifiers/session.js';
import {
  EVIDENCE_KEY,
  joinRecordLine,
  recordParts,
  type RecordParts,
  type SessionLogWriter,
} from '../sources/session-log.js';
import { RecentLines } from './recent-lines.js';

/**
 * A record's head: all the step reads of it but its id (what the fold and the log line read,
 * FoldFacts), as JSON. Records that differ only in their id, evidence, times or request ids have the
 * same head, so a batch sends, and this thread parses, each distinct head once.
 */
export function headText(record: ExchangeRecord): string {
  const head: Record<string, unknown> = { ...record, id: undefined };
  for (const k of NOT_FOLDED) head[k] = undefined;
  return JSON.stringify(head);
}

/**
 * A batch of classified records as the step takes them (`recordBatch`), made by a task (tasks.ts
 * classify-raws) in whichever thread: what costs this thread least per record (measured on the
 * live proxy's thread at 32 concurrent token POSTs: parsing each record's JSON cost it more than
 * folding it; encoding the log lines cost more than both).
 */
export interface ClassifiedBatch {
  /** Each record's id. */
  readonly ids: readonly string[];
  /** The distinct heads of the records (headText), and the index of each record's head there. */
  readonly heads: readonly string[];
  readonly headOf: readonly number[];
  /** Their session-log lines, UTF-8, one after the other, each ending in a newline. */
  readonly lines: Uint8Array;
  /** Per record: bytes of its line (newline included), and of its evidence's JSON within it. */
  readonly lineBytes: readonly number[];
  readonly evidenceBytes: readonly number[];
}

/** The session's aggregates: what the report head and the dashboard's overview are made of. */
export interface SessionAggregates {
  readonly summary: ReportSummary;
  readonly applications: ApplicationRecord[];
}

/** An extra per-exchange concern, called after the log line with the record and its JSON texts. */
export interface RecordSink {
  add(record: ExchangeRecord, parts: RecordParts): void;
}

export interface RecordStepOptions {
  /** The session log to append to (null: none; the lines are then kept in memory, see `recent`). */
  readonly log: SessionLogWriter | null;
  readonly logger?: Logger;
  readonly sinks?: readonly RecordSink[];
  /** Latest records `recent` and `lookup` can give back (default 1000; all without a log). */
  readonly keepRecent?: number;
}

export interface RecordStep {
  /** The aggregates (fold of every record so far). */
  readonly session: Session;
  /**
   * Record one classified exchange. `parts`: its JSON texts when already made (a task's output;
   * `record` may then carry EMPTY_EVIDENCE, the evidence being in `parts`); else made here.
   */
  record(record: ExchangeRecord, parts?: RecordParts): void;
  /**
   * Record the records `from` to `to` (default: all) of a classified batch (tasks.ts), in order.
   * Listeners get them without their evidence (it is in the log: `lookup`).
   */
  recordBatch(batch: ClassifiedBatch, from?: number, to?: number): void;
  /** A session event line for the log (a JSON object with a `type`), between the records. */
  note(line: string): void;
  /** Called with every record, in order (evidence as given to `record`); returns unsubscribe. */
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  /** Records so far. */
  count(): number;
  /** The latest `limit` records, oldest first, read back with their evidence. */
  recent(limit: number): ExchangeRecord[];
  /** One of the latest records, with its evidence. */
  lookup(id: string): ExchangeRecord | undefined;
  aggregates(): SessionAggregates;
  /** Closes the session log (and what reads it back). Records after this are folded, not logged. */
  close(): void;
}

export function createRecordStep(o: RecordStepOptions): RecordStep {
  const { log, logger } = o;
  const sinks = o.sinks ?? [];
  const session = createSession();
  const recentLines = new RecentLines(log, o.keepRecent ?? 1000);
  const listeners = new Set<(r: ExchangeRecord) => void>();
  let total = 0;
  let closed = false;
  const parse = (line: string): ExchangeRecord => JSON.parse(line) as ExchangeRecord;
  /**
   * After the record's line is in the log (at `offset`, -1: not written, `line` kept). `full`: the
   * record as sinks and listeners get it, made only for them.
   */
  const logged = (
    head: FoldFacts,
    offset: number,
    line: () => string,
    parts: () => RecordParts,
    full: () => ExchangeRecord,
  ): void => {
    recentLines.note(head.id, offset, offset < 0 ? line() : '');
    logExchange(logger, head);
    if (sinks.length === 0 && listeners.size === 0) return;
    const record = full();
    if (sinks.length > 0) {
      const p = parts();
      for (const sink of sinks) sink.add(record, p);
    }
    for (const l of listeners) {
      try {
        l(record);
      } catch (err) {
        // A listener (the dashboard) failing must not stop the recording.
        logger?.debug({ err: String(err) }, 'record listener failed');
      }
    }
  };
  return {
    session,
    record(record, given) {
      total++;
      session.add(record);
      const line = given ? joinRecordLine(given.rest, given.evidence) : JSON.stringify(record);
      const at = log && !closed ? log.appendLine(line) : -1;
      logged(
        record,
        at,
        () => line,
        () => given ?? recordParts(record),
        () => record,
      );
    },
    recordBatch(batch, from = 0, to = batch.ids.length) {
      let start = 0;
      for (let i = 0; i < from; i++) start += batch.lineBytes[i]!;
      let end = start;
      for (let i = from; i < to; i++) end += batch.lineBytes[i]!;
      const bytes = batch.lines.subarray(start, end);
      const base = log && !closed ? log.appendBytes(bytes, to - from) : -1;
      // Each distinct head parsed once, when first needed.
      const heads: (Omit<FoldFacts, 'id'> | undefined)[] = [];
      let offset = 0;
      for (let i = from; i < to; i++) {
        const k = batch.headOf[i]!;
        heads[k] ??= JSON.parse(batch.heads[k]!) as Omit<FoldFacts, 'id'>;
        // The id first, as in a record: the fold then reads objects of one shape from every path.
        const head: FoldFacts = { id: batch.ids[i]!, ...heads[k] };
        total++;
        session.add(head);
        const size = batch.lineBytes[i]!;
        const at = offset;
        const text = (a: number, b: number): string =>
          Buffer.from(bytes.buffer, bytes.byteOffset + at + a, b - a).toString('utf8');
        // The line is `rest` without its closing brace, `,"evidence":`, the evidence, `}\n`.
        const evidenceAt = size - 2 - batch.evidenceBytes[i]!;
        let parts: RecordParts | undefined;
        const partsOf = (): RecordParts =>
          (parts ??= {
            rest: text(0, evidenceAt - EVIDENCE_KEY.length) + '}',
            evidence: text(evidenceAt, size - 2),
          });
        const full = (): ExchangeRecord => {
          const record = JSON.parse(partsOf().rest) as ExchangeRecord;
          (record as { evidence: unknown }).evidence = EMPTY_EVIDENCE;
          return record;
        };
        logged(head, base < 0 ? -1 : base + at, () => text(0, size - 1), partsOf, full);
        offset += size;
      }
    },
    note(line) {
      // After close the log is final: a late event is dropped (it was logged where it happened).
      if (!closed) log?.appendLine(line);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    count: () => total,
    recent: (limit) => recentLines.last(limit).map(parse),
    lookup(id) {
      const line = recentLines.get(id);
      return line === undefined ? undefined : parse(line);
    },
    aggregates: () => ({ summary: session.summary(), applications: session.applications() }),
    close() {
      if (closed) return;
      closed = true;
      log?.close();
    },
  };
}

/** One line per classified exchange (src/core/log-format.ts shows it as verdict, app, grant, host). */
function logExchange(logger: Logger | undefined, r: FoldFacts): void {
  // Checked first: building the line costs more than the call when the level is off.
  if (!logger?.isLevelEnabled('info')) return;
  logger.info(
    {
      id: r.id,
      method: r.method,
      host: r.host,
      path: r.path,
      endpoint: r.endpoint,
      grant: r.grantType,
      app: r.clientId,
      verdict: r.verdict,
      status: r.status,
      ...(r.error ? { error: r.error.code } : {}),
    },
    `${r.method} ${r.host}${r.path} ${r.endpoint} -> ${r.verdict}`,
  );
}
