/**
 * A recorder whose classification and session-log writes run in a worker thread, so the proxy's
 * event loop spends its time forwarding traffic (measured: classifying and logging in the proxy's
 * thread cost about a fifth of its throughput). Aggregates, the recent ring and the listeners stay
 * in this thread; records arrive a moment after their exchange completes, in order.
 *
 * When the worker module is not there (running from the TypeScript sources, as the tests do) or the
 * worker dies, classification falls back to this thread: never a lost exchange.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { classifyExchange } from '../classifiers/index.js';
import { ToolError } from '../core/errors.js';
import type { RawExchange } from '../core/types.js';
import type { FromWorker, ToWorker } from './classify-worker.js';
import {
  createRecorder,
  logExchange,
  recorderCore,
  type Recorder,
  type RecorderOptions,
} from './recorder.js';

const WORKER_URL = new URL('./classify-worker.js', import.meta.url);
/**
 * Least time between two batches sent to the worker (measured at 32 concurrent token POSTs on two
 * cores: one message per turn cost the proxy's thread 35 µs per exchange in wake-ups alone). Far
 * below anything a SIGKILL test or the dashboard notices.
 */
const FLUSH_GAP_MS = 10;
/**
 * The worker thread's nice value (Linux): classification takes the CPU the traffic leaves over, so
 * on a saturated machine the proxy forwards at full speed and the records follow a moment later.
 */
const WORKER_NICE = 10;
/** Bytes of serialized exchanges waiting for the worker beyond which `throttle()` holds traffic. */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export async function createWorkerRecorder(
  opts: RecorderOptions & {
    /** The worker module (tests substitute one that fails); default classify-worker.js beside this. */
    readonly workerUrl?: URL;
    /** Override MAX_PENDING_BYTES (tests). */
    readonly maxPendingBytes?: number;
  },
): Promise<Recorder> {
  const workerUrl = opts.workerUrl ?? WORKER_URL;
  if (!existsSync(fileURLToPath(workerUrl))) return createRecorder(opts);
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const worker = new Worker(workerUrl, {
    workerData: { sessionLogPath: opts.sessionLogPath, startedAt, nice: WORKER_NICE },
    // Its working set is one batch plus the latest full records: a small young generation keeps
    // the process's memory close to what it was with classification in the main thread.
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
  });
  worker.unref();
  const first = await new Promise<FromWorker | Error>((resolve) => {
    worker.once('message', (m: FromWorker) => resolve(m));
    worker.once('error', (e) => resolve(e));
  });
  if (first instanceof Error || first.type !== 'ready') {
    await worker.terminate();
    const why =
      first instanceof Error ? first.message : first.type === 'failed' ? first.message : first.type;
    throw new ToolError('ERR_IO', `cannot start the recorder: ${why}`);
  }
  const core = recorderCore({ ...opts, startedAt }, opts.sessionLogPath !== null);
  // Batches handed to the worker and not yet recorded, oldest first, kept serialized (off the heap:
  // raws held until the worker answers would otherwise be promoted and cost the collector dearly):
  // replayed here if it dies. `pending` counts their exchanges plus the outbox.
  const inFlight: { readonly data: Buffer; readonly count: number }[] = [];
  let pending = 0;
  let pendingBytes = 0;
  const maxPendingBytes = opts.maxPendingBytes ?? MAX_PENDING_BYTES;
  // Sources held by throttle(), released once the worker is back under half the limit.
  let relief: { promise: Promise<void>; release: () => void } | null = null;
  const relieve = (): void => {
    if (relief && (pendingBytes <= maxPendingBytes / 2 || !alive)) {
      relief.release();
      relief = null;
    }
  };
  // Exchanges of this event-loop turn, posted together at its end.
  let outbox: RawExchange[] = [];
  const replies = new Map<number, (m: FromWorker) => void>();
  const backlogWaiters: { n: number; done: () => void }[] = [];
  const wakeBacklog = (): void => {
    for (let i = backlogWaiters.length - 1; i >= 0; i--) {
      const w = backlogWaiters[i];
      if (w && (pending <= w.n || !alive)) {
        backlogWaiters.splice(i, 1);
        w.done();
      }
    }
  };
  let seq = 0;
  let alive = true;
  let closed: Promise<void> | null = null;

  const recordHere = (raw: RawExchange): void => {
    const r = classifyExchange(raw);
    core.add(r);
    logExchange(opts.logger, r);
  };
  const die = (why: string): void => {
    if (!alive) return;
    alive = false;
    opts.logger?.error(
      `classification worker stopped (${why}); classifying in the proxy thread, without a session log`,
    );
    for (const batch of inFlight.splice(0)) {
      for (const raw of deserialize(batch.data) as RawExchange[]) recordHere(raw);
    }
    for (const raw of outbox) recordHere(raw);
    outbox = [];
    pending = 0;
    pendingBytes = 0;
    relieve();
    for (const answer of replies.values()) answer({ type: 'closed' });
    replies.clear();
    wakeBacklog();
  };
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'records') {
      // After die() every batch was replayed here: a late answer must not count twice.
      if (!alive) return;
      const batch = inFlight.shift();
      pending -= batch?.count ?? 0;
      pendingBytes -= batch?.data.length ?? 0;
      if (relief) relieve();
      for (const r of m.records) {
        core.add(r);
        logExchange(opts.logger, r);
      }
      if (backlogWaiters.length > 0) wakeBacklog();
    } else if (m.type === 'settled' || m.type === 'got') {
      replies.get(m.seq)?.(m);
      replies.delete(m.seq);
    }
  });
  worker.on('error', (e) => die(e.message));
  worker.on('exit', (code) => die(`exit ${code}`));
  const post = (m: ToWorker): void => worker.postMessage(m);
  let lastFlush = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (outbox.length === 0 || !alive) return;
    lastFlush = performance.now();
    const data = serialize(outbox);
    inFlight.push({ data, count: outbox.length });
    pendingBytes += data.length;
    post({ type: 'raws', data });
    outbox = [];
  };
  const ask = (m: { type: 'settle' } | { type: 'get'; id: string }): Promise<FromWorker> => {
    flush();
    if (!alive) return Promise.resolve({ type: 'closed' });
    const n = ++seq;
    return new Promise((resolve) => {
      replies.set(n, resolve);
      post({ ...m, seq: n });
    });
  };
  const settle = async (): Promise<void> => {
    await ask({ type: 'settle' });
  };

  return {
    ...core,
    sessionLogPath: opts.sessionLogPath,
    submit(raw) {
      if (!alive) return recordHere(raw);
      pending++;
      if (outbox.push(raw) > 1) return;
      // At a trickle each exchange goes at the end of its turn; under load at most one message per
      // FLUSH_GAP_MS. Every message wakes the other thread, and on a busy machine those wake-ups
      // (context switches) cost the proxy more CPU than the classification itself.
      const wait = lastFlush + FLUSH_GAP_MS - performance.now();
      if (wait <= 0) setImmediate(flush);
      else {
        timer = setTimeout(flush, wait);
        timer.unref();
      }
    },
    settle,
    throttle() {
      if (pendingBytes <= maxPendingBytes || !alive) return relief?.promise ?? null;
      if (!relief) {
        let release = (): void => undefined;
        const promise = new Promise<void>((resolve) => (release = resolve));
        relief = { promise, release };
        opts.logger?.warn(
          `classification is ${pending} exchanges behind; holding new sign-in requests until it catches up`,
        );
      }
      return relief.promise;
    },
    backlog(n) {
      flush();
      if (pending <= n || !alive) return Promise.resolve();
      return new Promise<void>((done) => backlogWaiters.push({ n, done }));
    },
    async lookup(id) {
      const m = await ask({ type: 'get', id });
      return m.type === 'got' ? (m.record ?? undefined) : undefined;
    },
    close() {
      closed ??= (async () => {
        await settle();
        if (!alive) return;
        await new Promise<void>((resolve) => {
          worker.on('message', (m: FromWorker) => {
            if (m.type === 'closed') resolve();
          });
          worker.once('exit', () => resolve());
          post({ type: 'close' });
        });
        alive = false;
        await worker.terminate();
      })();
      return closed;
    },
  };
}
