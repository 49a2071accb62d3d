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

export async function createWorkerRecorder(opts: RecorderOptions): Promise<Recorder> {
  if (!existsSync(fileURLToPath(WORKER_URL))) return createRecorder(opts);
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const worker = new Worker(WORKER_URL, {
    workerData: { sessionLogPath: opts.sessionLogPath, startedAt },
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
  // Exchanges posted and not yet recorded, oldest first: replayed here if the worker dies.
  const inFlight: RawExchange[] = [];
  const settles = new Map<number, () => void>();
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
    for (const done of settles.values()) done();
    settles.clear();
  };
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'record') {
      inFlight.shift();
      core.add(m.record);
      logExchange(opts.logger, m.record);
    } else if (m.type === 'settled') {
      settles.get(m.seq)?.();
      settles.delete(m.seq);
    }
  });
  worker.on('error', (e) => die(e.message));
  worker.on('exit', (code) => die(`exit ${code}`));
  const post = (m: ToWorker): void => worker.postMessage(m);

  const settle = (): Promise<void> => {
    if (!alive) return Promise.resolve();
    const n = ++seq;
    return new Promise<void>((resolve) => {
      settles.set(n, resolve);
      post({ type: 'settle', seq: n });
    });
  };

  return {
    ...core,
    sessionLogPath: opts.sessionLogPath,
    submit(raw) {
      if (!alive) return recordHere(raw);
      inFlight.push(raw);
      post({ type: 'raw', raw });
    },
    settle,
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
