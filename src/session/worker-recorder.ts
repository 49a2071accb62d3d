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

export async function createWorkerRecorder(
  opts: RecorderOptions & {
    /** The worker module (tests substitute one that fails); default classify-worker.js beside this. */
    readonly workerUrl?: URL;
  },
): Promise<Recorder> {
  const workerUrl = opts.workerUrl ?? WORKER_URL;
  if (!existsSync(fileURLToPath(workerUrl))) return createRecorder(opts);
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const worker = new Worker(workerUrl, {
    workerData: { sessionLogPath: opts.sessionLogPath, startedAt },
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
  // Exchanges handed to the worker and not yet recorded, oldest first: replayed here if it dies.
  const inFlight: RawExchange[] = [];
  // Exchanges of this event-loop turn, posted together at its end.
  let outbox: RawExchange[] = [];
  const replies = new Map<number, (m: FromWorker) => void>();
  const backlogWaiters: { n: number; done: () => void }[] = [];
  const wakeBacklog = (): void => {
    for (let i = backlogWaiters.length - 1; i >= 0; i--) {
      const w = backlogWaiters[i];
      if (w && (inFlight.length <= w.n || !alive)) {
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
    for (const raw of inFlight.splice(0)) recordHere(raw);
    outbox = [];
    for (const answer of replies.values()) answer({ type: 'closed' });
    replies.clear();
    wakeBacklog();
  };
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'records') {
      inFlight.splice(0, m.records.length);
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
  const flush = (): void => {
    if (outbox.length === 0 || !alive) return;
    post({ type: 'raws', raws: outbox });
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
      inFlight.push(raw);
      if (outbox.push(raw) === 1) setImmediate(flush);
    },
    settle,
    backlog(n) {
      flush();
      if (inFlight.length <= n || !alive) return Promise.resolve();
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
