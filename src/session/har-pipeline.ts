/**
 * The offline path's way through the pool for `entries` sources (HAR): batches of entries' JSON
 * text go to the pool's `classify-entries` task (pool.ts: one worker per CPU, at most four); the
 * answers, which come back in any order, are handed to `apply` strictly in submission order, so
 * the session log, the aggregates and the reports are the same whatever the number of workers. A
 * bounded number of batches is in flight (`submit` waits), so memory stays flat for any file size.
 * A worker that dies costs only time: the pool redoes its batches.
 */
import type { EntriesJob, EntryOutcome } from './classify-batch.js';
import type { Pool } from './pool.js';

/** Batches waiting or being classified, per worker. */
const IN_FLIGHT_PER_WORKER = 2;

export interface EntryPoolOptions {
  /** The run's one pool (classify-files.ts: the sign-in chunks went through it too). */
  readonly pool: Pool;
  /** Each batch's outcomes, in submission order. */
  readonly apply: (outcomes: readonly EntryOutcome[]) => void;
}

export interface EntryPool {
  /** Queue a batch; resolves once another may be queued. */
  submit(job: EntriesJob): Promise<void>;
  /** Resolves once every batch queued is applied; rejects if a task threw. */
  drain(): Promise<void>;
  /** Resolves once the batches in flight are settled (applied or not), never rejects. */
  close(): Promise<void>;
}

export function createEntryPool(o: EntryPoolOptions): EntryPool {
  const pool = o.pool;
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
    },
  };
}
