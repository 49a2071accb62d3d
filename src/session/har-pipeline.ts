/**
 * `classify`'s engine: HAR files in, a recorded session out (aggregates in memory, the session log
 * on disk, the report cache fed: src/report/report-cache.ts), ready for writeSessionReports.
 *
 * This thread only cuts entries out of the file (scanHarEntries) and keeps the books; parsing and
 * classifying the entries is the pool's `classify-entries` task (pool.ts: one worker per CPU, at
 * most four), batch by batch. Answers come back in any order and are recorded strictly in file
 * order through the one recording step (record-step.ts), so the session log, the aggregates and
 * the reports are the same whatever the number of workers. A bounded number of batches is in
 * flight, so memory stays flat for any file size. A worker that dies costs only time: the pool
 * redoes its batches.
 */
import { basename } from 'node:path';
import type { Logger } from '../core/logger.js';
import { openReportCache } from '../report/report-cache.js';
import { harIdPrefix, scanHarEntries } from '../sources/har.js';
import {
  openSessionLog,
  readSessionLogLines,
  recordParts,
  type RecordParts,
} from '../sources/session-log.js';
import {
  EMPTY_EVIDENCE,
  type Evidence,
  type ExchangeRecord,
  type JoinedSignInFacts,
} from '../core/types.js';
import type { EntriesJob, EntryOutcome } from './classify-batch.js';
import { createPool } from './pool.js';
import { createRecordStep } from './record-step.js';
import type { Session } from '../classifiers/session.js';
import type { RecordedSession } from './finish.js';

/** Batches waiting or being classified, per worker. */
const IN_FLIGHT_PER_WORKER = 2;
/** A batch ends at this many entries or characters of JSON text, whichever comes first. */
const BATCH_ENTRIES = 100;
const BATCH_CHARS = 256 * 1024;
export interface HarPipelineOptions {
  readonly files: readonly string[];
  readonly sessionLogPath: string;
  readonly logger?: Logger;
  /** Worker threads (default: one per CPU, 1 to 4); 0 classifies in this thread. */
  readonly workers?: number;
  /** The pool's worker module (tests substitute one that dies). */
  readonly workerUrl?: URL;
  /** After each chunk read: the file, entries seen in it, bytes read of it. */
  readonly onProgress?: (file: string, entries: number, bytes: number) => void;
  /**
   * Records of sources that carry no HTTP (sign-in logs), already classified: recorded after the
   * HAR files' exchanges, the same way (aggregates, session log, report rows).
   */
  readonly records?: readonly ExchangeRecord[];
  /** The sign-in log row an exchange started (by its client-request-id), to show on the exchange. */
  readonly join?: (clientRequestId: string) => JoinedSignInFacts | null;
}

export interface HarPipelineStats {
  /** Entries seen in all files. */
  entries: number;
  /** Entries that became exchanges. */
  kept: number;
  /** Malformed entries skipped. */
  skipped: number;
}

export interface HarPipelineResult extends RecordedSession {
  /** The aggregates, here in this thread. */
  readonly session: Session;
  readonly stats: HarPipelineStats;
  /** Remove the temporary files; call once the reports are written. */
  dispose(): void;
}

export async function classifyHarFiles(o: HarPipelineOptions): Promise<HarPipelineResult> {
  const startedAt = new Date().toISOString();
  const log = openSessionLog(o.sessionLogPath, { startedAt });
  let cache;
  try {
    cache = openReportCache({
      sessionLogPath: o.sessionLogPath,
      logLines: () => readSessionLogLines(o.sessionLogPath),
    });
  } catch (err) {
    log.close();
    throw err;
  }
  const stats: HarPipelineStats = { entries: 0, kept: 0, skipped: 0 };
  const step = createRecordStep({
    log,
    ...(o.logger ? { logger: o.logger } : {}),
    sinks: [cache],
  });
  const pool = await createPool({
    ...(o.workers !== undefined ? { size: o.workers } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.workerUrl ? { workerUrl: o.workerUrl } : {}),
  });

  const apply = (outcomes: readonly EntryOutcome[]): void => {
    for (const x of outcomes) {
      if (x === 0) continue;
      if ('skip' in x) {
        stats.skipped++;
        continue;
      }
      stats.kept++;
      let record = JSON.parse(x.rest) as ExchangeRecord;
      let parts: RecordParts = x;
      const joined = o.join && record.clientRequestId ? o.join(record.clientRequestId) : null;
      if (joined) {
        record = { ...record, signIn: joined };
        parts = {
          rest: recordParts({ ...record, evidence: EMPTY_EVIDENCE }).rest,
          evidence: x.evidence,
        };
      }
      (record as { evidence: Evidence }).evidence = EMPTY_EVIDENCE;
      step.record(record, parts);
    }
  };
  // Batches in flight; each is recorded after the one before it (file order).
  let inFlight = 0;
  let tail: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let waiter: (() => void) | null = null;
  const dispatch = (job: EntriesJob): void => {
    inFlight++;
    const classified = pool.run('classify-entries', job);
    tail = tail
      .then(() => classified)
      .then(apply, (err: unknown) => void (failure ??= err))
      .finally(() => {
        inFlight--;
        const w = waiter;
        waiter = null;
        w?.();
      });
  };
  const limit = Math.max(1, pool.size) * IN_FLIGHT_PER_WORKER;
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise<void>((resolve) => (waiter = resolve));
  };

  try {
    for (const [i, file] of o.files.entries()) {
      // Several files may share a basename: number them so exchange ids stay unique.
      const idPrefix = o.files.length > 1 ? `har${i + 1}-${basename(file)}` : harIdPrefix(file);
      const scan = scanHarEntries(file);
      for await (const entries of scan) {
        stats.entries += entries.length;
        for (let k = 0; k < entries.length;) {
          // Small batches: a worker's working set stays in its young generation (measured: 40 MB
          // less peak RSS and 10% less CPU than a batch per 1 MiB read).
          const texts: (string | null)[] = [];
          let chars = 0;
          const first = entries[k]!.index;
          for (; k < entries.length && texts.length < BATCH_ENTRIES && chars < BATCH_CHARS; k++) {
            const text = entries[k]!.text;
            texts.push(text);
            chars += text?.length ?? 0;
          }
          dispatch({ idPrefix, first, texts });
          await until(() => inFlight < limit);
        }
        o.onProgress?.(file, scan.stats.entries, scan.stats.bytes);
      }
    }
    await tail;
    // A task that threw is a bug, not bad input (bad entries are skipped): no report from a
    // session with a hole in it.
    if (failure !== null) throw failure;
    for (const record of o.records ?? []) {
      step.record({ ...record, evidence: EMPTY_EVIDENCE }, recordParts(record));
    }
  } catch (err) {
    await tail;
    cache.dispose();
    step.close();
    throw err;
  } finally {
    await pool.close();
  }
  step.close();
  cache.finish();
  const failed = log.error ?? cache.error;
  if (failed) {
    cache.dispose();
    throw failed;
  }
  const bodies = cache.bodies();
  return {
    startedAt,
    session: step.session,
    aggregates: () => Promise.resolve(step.aggregates()),
    recent: (limit) => Promise.resolve(step.recent(limit)),
    sessionLogPath: o.sessionLogPath,
    settle: () => Promise.resolve(),
    bodies,
    stats,
    dispose: () => cache.dispose(),
  };
}
