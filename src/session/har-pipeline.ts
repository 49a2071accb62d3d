/**
 * The offline path's way through the pool for `entries` sources (HAR): batches of entries' JSON
 * text go to the pool's `classify-entries` task (pool.ts: one worker per CPU, at most four); the
 * answers, which come back in any order, are handed to `apply` strictly in submission order, so
 * the session log, the aggregates and the reports are the same whatever the number of workers. A
 * bounded number of batches is in flight (`submit` waits), so memory stays flat for any file size.
 * A worker that dies costs only time: the pool redoes its batches.
 */
import type { Logger } from '../core/logger.js';
import type { EntriesJob, EntryOutcome } from './classify-batch.js';
import { createPool } from './pool.js';

/** Batches waiting or being classified, per worker. */
const IN_FLIGHT_PER_WORKER = 2;

export interface EntryPoolOptions {
  readonly logger?: Logger;
  /** Worker threads (default: one per CPU, 1 to 4); 0 classifies in this thread. */
  readonly workers?: number;
  /** The pool's worker module (tests substitute one that dies). */
  readonly workerUrl?: URL;
  /** Each batch's outcomes, in submission order. */
  readonly apply: (outcomes: readonly EntryOutcome[]) => void;
}

export interface EntryPool {
  /** Queue a batch; resolves once another may be queued. */
  submit(job: EntriesJob): Promise<void>;
  /** Resolves once every batch queued is applied; rejects if a task threw. */
  drain(): Promise<void>;
  /** Stops the workers (after the batches in flight). */
  close(): Promise<void>;
}

export async function createEntryPool(o: EntryPoolOptions): Promise<EntryPool> {
  const pool = await createPool({
    ...(o.workers !== undefined ? { size: o.workers } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.workerUrl ? { workerUrl: o.workerUrl } : {}),
  });
  // Batches in flight; each is applied after the one before it (file order).
  let inFlight = 0;
  let tail: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let waiter: (() => void) | null = null;
  const limit = Math.max(1, pool.size) * IN_FLIGHT_PER_WORKER;
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise<void>((resolve) => (waiter = resolve));
  };
  const settled = async (): Promise<void> => {
    await tail;
    // A task that threw is a bug, not bad input (bad entries are skipped): no report from a
    // session with a hole in it.
    if (failure !== null) throw failure;
  };
  return {
    async submit(job) {
      inFlight++;
      const classified = pool.run('classify-entries', job);
      tail = tail
        .then(() => classified)
        .then(
          (outcomes) => void (failure === null && o.apply(outcomes)),
          (err: unknown) => void (failure ??= err),
        )
        .finally(() => {
          inFlight--;
          const w = waiter;
          waiter = null;
          w?.();
        });
      await until(() => inFlight < limit);
      if (failure !== null) throw failure;
    },
    drain: settled,
    async close() {
      await tail;
      await pool.close();
    },
  };
}
