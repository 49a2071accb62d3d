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
import { joinRecordLine, recordParts } from '../sources/session-log.js';
import { signInChunk } from '../sources/signins/chunk.js';
import { classifyEntries } from './classify-batch.js';
import { readRawBatch, type RawBatch } from './raw-batch.js';
import { headText, type ClassifiedBatch } from './record-step.js';

/**
 * `classify-raws`: a batch of submitted exchanges (captured by the proxy, or raw), serialized
 * (raw-batch.ts), decoded and classified, into the shape that costs the recording thread least
 * (ClassifiedBatch): the log lines already encoded, and the few members the step reads of each
 * record, each distinct text of them once.
 */
export function classifyRaws(batch: RawBatch): ClassifiedBatch {
  const ids: string[] = [];
  const heads: string[] = [];
  const headOf: number[] = [];
  const seen = new Map<string, number>();
  const lineBytes: number[] = [];
  const evidenceBytes: number[] = [];
  const lines: string[] = [];
  for (const x of readRawBatch(batch.data, batch.count)) {
    const record = classifyExchange(toRawExchange(x));
    const { rest, evidence } = recordParts(record);
    const line = joinRecordLine(rest, evidence) + '\n';
    const head = headText(record);
    let k = seen.get(head);
    if (k === undefined) {
      k = heads.push(head) - 1;
      seen.set(head, k);
    }
    ids.push(record.id);
    headOf.push(k);
    lines.push(line);
    lineBytes.push(Buffer.byteLength(line));
    evidenceBytes.push(Buffer.byteLength(evidence));
  }
  return {
    ids,
    heads,
    headOf,
    lines: Buffer.from(lines.join(''), 'utf8'),
    lineBytes,
    evidenceBytes,
  };
}

export const TASKS = {
  'classify-raws': classifyRaws,
  /** HAR entries' JSON texts -> outcomes (classify-batch.ts). */
  'classify-entries': classifyEntries,
  /** A sign-in export's chunk of whole records -> its fold part and skip counts (signins/chunk.ts). */
  'signin-chunk': signInChunk,
} as const satisfies Readonly<Record<string, (input: never) => unknown>>;

export type TaskName = keyof typeof TASKS;
export type TaskInput<N extends TaskName> = Parameters<(typeof TASKS)[N]>[0];
export type TaskOutput<N extends TaskName> = ReturnType<(typeof TASKS)[N]>;

/** Run a task in this thread (what a worker does with a job, and the pool of size 0). */
export function runTask<N extends TaskName>(task: N, input: TaskInput<N>): TaskOutput<N> {
  const fn = TASKS[task] as (input: TaskInput<N>) => TaskOutput<N>;
  return fn(input);
}
