/**
 * TASKS: the one registry of the pure, CPU-heavy tasks the pool runs (pool.ts). A task is a pure
 * function `(input) => output` of structured-cloneable values: no I/O, no clock, no logger, no
 * state kept between calls. A pool worker (pool-worker.ts) and this thread run the same function,
 * so where a job runs never changes its result.
 *
 * A new task is one row here (and its function in its own module).
 */
import { classifyExchange } from '../classifiers/index.js';
import { toRawExchange } from '../core/captured.js';
import { recordParts, type RecordParts } from '../sources/session-log.js';
import { classifyEntries } from './classify-batch.js';
import { readRawBatch, type RawBatch } from './raw-batch.js';

/**
 * `classify-raws`: a batch of submitted exchanges (captured by the proxy, or raw), serialized
 * (raw-batch.ts), decoded and classified; out comes each record as its two JSON texts, in order.
 * Strings cross threads as a copy of bytes, where an object would be cloned member by member.
 */
export function classifyRaws(batch: Pick<RawBatch, 'data' | 'count'>): RecordParts[] {
  return readRawBatch(batch.data, batch.count).map((x) =>
    recordParts(classifyExchange(toRawExchange(x))),
  );
}

export const TASKS = {
  'classify-raws': classifyRaws,
  /** HAR entries' JSON texts -> outcomes (classify-batch.ts). */
  'classify-entries': classifyEntries,
} as const satisfies Readonly<Record<string, (input: never) => unknown>>;

export type TaskName = keyof typeof TASKS;
export type TaskInput<N extends TaskName> = Parameters<(typeof TASKS)[N]>[0];
export type TaskOutput<N extends TaskName> = ReturnType<(typeof TASKS)[N]>;

/** Run a task in this thread (what a worker does with a job, and the pool of size 0). */
export function runTask<N extends TaskName>(task: N, input: TaskInput<N>): TaskOutput<N> {
  const fn = TASKS[task] as (input: TaskInput<N>) => TaskOutput<N>;
  return fn(input);
}
