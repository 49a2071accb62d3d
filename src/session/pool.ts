/**
 * The worker pool: runs the pure tasks of TASKS (tasks.ts) in worker threads, so the caller's
 * thread keeps its time for I/O and the session's books. The session itself (aggregates, session
 * log, listeners) never leaves the caller's thread: the pool only computes.
 *
 * - `run(task, input)` resolves with the task's output. It never rejects because a worker died:
 *   the jobs a dead worker held are redone on another worker, or in this thread when none is left,
 *   and a dead worker's late answer is never taken (each job settles once). It rejects only when
 *   the task itself threw: an error for that job alone (a ToolError the task threw, e.g. a one-line
 *   verdict on its input, as it is; anything else as ToolError ERR_INTERNAL).
 * - `size: 0` runs every task in this thread, synchronously inside `run` (the same functions).
 * - One message protocol (pool-worker.ts): `{ id, task, input }` -> `{ id, output }` | `{ id, error }`.
 * - Jobs go to the worker with the fewest in flight, AHEAD at most each; the others wait here, in
 *   order (a job in a worker's message queue is a second copy of its input in this thread's C heap).
 *   Answers come back in any order: a caller that needs submission order chains the promises (see
 *   recorder.ts, har-pipeline.ts).
 *
 * Running from the TypeScript sources (vitest), the workers load pool-worker.ts through tsx: tests
 * exercise the same threads as production.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { oneLine, ToolError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { plural } from '../core/plural.js';
import type { PoolReply, PoolRequest, PoolWorkerData } from './pool-worker.js';
import { runTask, type TaskInput, type TaskName, type TaskOutput } from './tasks.js';

export interface PoolOptions {
  /** Worker threads (default: one per CPU, 1 to 4); 0 runs every task in this thread. */
  readonly size?: number;
  /** The workers' nice value (Linux): they take the CPU the caller's thread leaves over. */
  readonly nice?: number;
  readonly logger?: Logger;
  /** The worker module (default pool-worker beside this module; tests substitute one that dies). */
  readonly workerUrl?: URL;
}

export interface Pool {
  /** Workers alive (0: tasks run in this thread). */
  readonly size: number;
  run<N extends TaskName>(task: N, input: TaskInput<N>): Promise<TaskOutput<N>>;
  /** Ends the workers; jobs still in flight are finished in this thread. Idempotent. */
  close(): Promise<void>;
}

/** True when this module runs from its TypeScript source (vitest): workers need tsx too. */
const FROM_TS = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_TS ? './pool-worker.ts' : './pool-worker.js', import.meta.url);
/**
 * A worker's working set is one job's input and output: a bounded young generation keeps the
 * process's memory close to what it is in one thread; the old-generation bound catches a runaway.
 * 16 MB, not 8: a sign-in chunk's objects then die young (Graph JSON classify 0.87x the CPU, +15-19
 * MB peak RSS, paired on the same files; HAR and live unchanged within noise).
 */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 };
/** Jobs sent to a worker at once: the one it runs and the next, so it never waits for one. */
const AHEAD = 2;

interface Job {
  readonly id: number;
  readonly task: TaskName;
  readonly input: unknown;
  readonly resolve: (output: unknown) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
  alive: boolean;
}

export async function createPool(o: PoolOptions = {}): Promise<Pool> {
  const n = o.size ?? Math.min(4, Math.max(1, availableParallelism()));
  const url = o.workerUrl ?? WORKER_URL;
  const logger = o.logger;
  const started = await Promise.all(
    Array.from({ length: Math.max(0, n) }, () => startWorker(url, o.nice ?? 0, logger)),
  );
  const slots = started
    .filter((w): w is Worker => w !== null)
    .map((worker): Slot => ({ worker, jobs: new Map(), alive: true }));
  let nextId = 1;
  let closed = false;
  const waiting: Job[] = [];

  const here = (job: Job): void => {
    try {
      job.resolve(runTask(job.task, job.input as never));
    } catch (err) {
      job.reject(err instanceof ToolError ? err : taskError(job.task, oneLine(err)));
    }
  };
  const dispatch = (job: Job): void => {
    let best: Slot | null = null;
    for (const s of slots) if (s.alive && (!best || s.jobs.size < best.jobs.size)) best = s;
    if (!best) return here(job);
    if (best.jobs.size >= AHEAD) return void waiting.push(job);
    // A worker with work keeps the process alive; an idle one does not.
    if (best.jobs.size === 0) best.worker.ref();
    best.jobs.set(job.id, job);
    best.worker.postMessage({ id: job.id, task: job.task, input: job.input } satisfies PoolRequest);
  };
  for (const slot of slots) {
    slot.worker.on('message', (m: PoolReply) => {
      if (!('id' in m)) return;
      const job = slot.jobs.get(m.id);
      // Not ours any more: the worker was declared dead and the job redone elsewhere.
      if (!job || !slot.alive) return;
      slot.jobs.delete(m.id);
      const next = waiting.shift();
      if (next) dispatch(next);
      if (slot.jobs.size === 0) slot.worker.unref();
      if ('error' in m)
        job.reject(m.code ? new ToolError(m.code, m.error) : taskError(job.task, m.error));
      else job.resolve(m.output);
    });
    const die = (why: string): void => {
      if (!slot.alive) return;
      slot.alive = false;
      const jobs = [...slot.jobs.values()];
      slot.jobs.clear();
      if (!closed) {
        const left = slots.some((s) => s.alive) ? 'on another worker' : 'in this thread';
        logger?.error(
          `classification worker stopped (${why}); its ${plural(jobs.length, 'job')} and the next are redone ${left}`,
        );
      }
      // Its jobs first (the older), then those waiting: with no worker left they all run here.
      for (const job of [...jobs, ...waiting.splice(0)]) dispatch(job);
    };
    slot.worker.on('error', (e) => die(oneLine(e)));
    slot.worker.on('exit', (code) => die(`exit ${code}`));
  }

  return {
    get size() {
      return closed ? 0 : slots.filter((s) => s.alive).length;
    },
    run<N extends TaskName>(task: N, input: TaskInput<N>): Promise<TaskOutput<N>> {
      return new Promise<TaskOutput<N>>((resolve, reject) => {
        const job: Job = {
          id: nextId++,
          task,
          input,
          resolve: resolve as (output: unknown) => void,
          reject,
        };
        dispatch(job);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const left: Job[] = [];
      for (const s of slots) {
        s.alive = false;
        left.push(...s.jobs.values());
        s.jobs.clear();
      }
      left.push(...waiting.splice(0));
      for (const job of left.sort((a, b) => a.id - b.id)) here(job);
      await Promise.all(slots.map((s) => s.worker.terminate().catch(() => 0)));
    },
  };
}

/** A task that failed otherwise than with a ToolError (which is a verdict on its input, kept). */
function taskError(task: TaskName, message: string): ToolError {
  return new ToolError('ERR_INTERNAL', `task ${task} failed: ${message}`);
}

/** A worker once it said it is ready; null (and a warning) when it could not start. */
async function startWorker(url: URL, nice: number, logger?: Logger): Promise<Worker | null> {
  const workerData: PoolWorkerData = nice ? { nice } : {};
  const worker = new Worker(FROM_TS ? tsxBootstrap(url) : url, {
    workerData,
    resourceLimits: RESOURCE_LIMITS,
  });
  const first = await new Promise<PoolReply | Error | number>((resolve) => {
    const done = (v: PoolReply | Error | number): void => {
      worker.off('message', done).off('error', done).off('exit', done);
      resolve(v);
    };
    worker.on('message', done).on('error', done).on('exit', done);
  });
  if (typeof first === 'object' && 'ready' in first) {
    worker.unref();
    return worker;
  }
  const why =
    first instanceof Error
      ? oneLine(first)
      : typeof first === 'number'
        ? `exit ${first}`
        : 'unexpected first message';
  logger?.warn(`a classification worker did not start (${why}); running without it`);
  await worker.terminate().catch(() => 0);
  return null;
}

/**
 * A module that registers tsx's loader in the new thread, then loads the worker module: how a
 * worker starts from the TypeScript sources (tsx is a devDependency; dist/ never needs it).
 */
function tsxBootstrap(url: URL): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code =
    `const { register } = await import(${JSON.stringify(tsx)});\n` +
    `register();\n` +
    `await import(${JSON.stringify(url.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
