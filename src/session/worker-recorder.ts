/**
 * A recorder whose classification, session log and aggregates live in a worker thread, so the
 * proxy's event loop spends its time forwarding traffic. This thread only batches raw exchanges to
 * the worker and hears back a count per batch, plus what someone here listens to: the fields of
 * the log line per exchange when info logging is on, records (without evidence) while the
 * dashboard is subscribed. Aggregates, recent records and one record by id are asked for.
 * (Measured at 32 concurrent token POSTs on two cores: sending every record back cost the proxy a
 * tenth of its throughput; classifying in its own thread cost a fifth.)
 *
 * When the worker module is not there (running from the TypeScript sources, as the tests do), or
 * there is no session log, recording happens in this thread. When the worker dies, this thread
 * rebuilds the session from the log, replays the batches the worker never answered and carries on:
 * never a lost exchange.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { classifyExchange } from '../classifiers/index.js';
import { createSession } from '../classifiers/session.js';
import { ToolError } from '../core/errors.js';
import { toRawExchange } from '../core/captured.js';
import { compactApplication } from '../core/compact-aggregates.js';
import { plural } from '../core/plural.js';
import type { ExchangeRecord } from '../core/types.js';
import { readSessionLog } from '../sources/session-log.js';
import type { Echo, FromWorker, ToWorker } from './classify-worker.js';
import { RawBatchWriter, type RawBatch } from './raw-batch.js';
import {
  createRecorder,
  logExchange,
  type Recorder,
  type RecorderCore,
  type RecorderOptions,
  type SessionAggregates,
} from './recorder.js';
import { takeOver, type Takeover } from './takeover.js';

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
  const logPath = opts.sessionLogPath;
  // Without a session log there would be nothing to rebuild the session from if the worker died:
  // such sessions (tests, short API runs) are recorded in this thread.
  if (logPath === null || !existsSync(fileURLToPath(workerUrl))) return createRecorder(opts);
  const startedAt = opts.startedAt ?? new Date().toISOString();
  const worker = new Worker(workerUrl, {
    workerData: { sessionLogPath: logPath, startedAt, nice: WORKER_NICE },
    // Its working set is one batch, the latest full records as strings and the aggregates: a small
    // young generation keeps the process's memory close to what it was in one thread.
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
  const logger = opts.logger;
  const listeners = new Set<(r: ExchangeRecord) => void>();
  let recorded = 0;
  // Batches handed to the worker and not yet recorded, oldest first, kept serialized (off the heap:
  // raws held until the worker answers would otherwise be promoted and cost the collector dearly):
  // replayed here if it dies. `pending` counts their exchanges plus the outbox.
  const inFlight: RawBatch[] = [];
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
  // Exchanges waiting for the next batch, already serialized.
  const outbox = new RawBatchWriter();
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
  // The aggregates as the worker last had them, fetched when the recorder closes.
  let final: SessionAggregates | null = null;
  // After the worker died: the session, rebuilt and recorded in this thread.
  let takeover: Takeover | null = null;

  const notify = (r: ExchangeRecord): void => {
    for (const l of listeners) {
      try {
        l(r);
      } catch (err) {
        // A listener (the dashboard) failing must not stop the recording.
        logger?.debug({ err: String(err) }, 'record listener failed');
      }
    }
  };
  const echoWanted = (): Echo =>
    listeners.size > 0 ? 'records' : logger?.isLevelEnabled('info') ? 'log' : 'none';
  let echo: Echo = echoWanted();
  const die = (why: string): void => {
    if (!alive) return;
    alive = false;
    logger?.error(
      `classification worker stopped (${why}); recording continues in the proxy thread`,
    );
    const replay = inFlight.splice(0);
    const waiting = outbox.take();
    if (waiting) replay.push(waiting);
    pending = 0;
    pendingBytes = 0;
    relieve();
    for (const answer of replies.values()) answer({ type: 'closed' });
    replies.clear();
    wakeBacklog();
    takeover = takeOver({
      logPath,
      options: { ...opts, startedAt },
      replay,
      onRecord: (r) => {
        logExchange(logger, r);
        notify(r);
      },
    });
  };
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'recorded') {
      // After die() every batch was replayed here: a late answer must not count twice.
      if (!alive) return;
      const batch = inFlight.shift();
      pending -= batch?.count ?? 0;
      pendingBytes -= batch?.data.length ?? 0;
      recorded += m.count;
      if (relief) relieve();
      if (m.records) {
        for (const r of m.records) {
          logExchange(logger, r);
          notify(r);
        }
      } else if (m.logs) for (const f of m.logs) logExchange(logger, f);
      if (backlogWaiters.length > 0) wakeBacklog();
    } else if ('seq' in m) {
      replies.get(m.seq)?.(m);
      replies.delete(m.seq);
    }
  });
  worker.on('error', (e) => die(e.message));
  worker.on('exit', (code) => die(`exit ${code}`));
  const post = (m: ToWorker): void => worker.postMessage(m);
  if (echo !== 'none') post({ type: 'echo', echo });
  const updateEcho = (): void => {
    const want = echoWanted();
    if (want === echo || !alive) return;
    // Exchanges already batched are echoed the old way: flush them first.
    flush();
    echo = want;
    post({ type: 'echo', echo });
  };
  let lastFlush = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (!alive) return;
    const batch = outbox.take();
    if (!batch) return;
    lastFlush = performance.now();
    inFlight.push(batch);
    pendingBytes += batch.data.length;
    post({ type: 'raws', data: batch.data, count: batch.count });
  };
  type Ask =
    | { type: 'settle' }
    | { type: 'get'; id: string }
    | { type: 'aggregates'; compact?: boolean }
    | { type: 'recent'; limit: number };
  const ask = (m: Ask): Promise<FromWorker> => {
    flush();
    if (!alive) return Promise.resolve({ type: 'closed' });
    const n = ++seq;
    return new Promise((resolve) => {
      replies.set(n, resolve);
      post({ ...m, seq: n });
    });
  };
  /** The session rebuilt here, once the worker is gone and the rebuild is done; else null. */
  const takenOver = async (): Promise<RecorderCore | null> => {
    if (!takeover) return null;
    await takeover.ready;
    return takeover.core;
  };
  const settle = async (): Promise<void> => {
    await ask({ type: 'settle' });
    await takenOver();
  };
  const aggregates = async (): Promise<SessionAggregates> => {
    const m = await ask({ type: 'aggregates' });
    if (m.type === 'aggregates') return { summary: m.summary, applications: m.applications };
    const core = await takenOver();
    if (core) return core.aggregates();
    // Closed: what the worker had last (an empty session if it never answered).
    return final ?? { summary: createSession().summary(), applications: [] };
  };

  return {
    startedAt,
    sessionLogPath: logPath,
    submit(raw) {
      if (!alive && !takeover) {
        // After close: a late exchange is still classified, logged and counted, though the
        // session's aggregates and log are final.
        const r = classifyExchange(toRawExchange(raw));
        recorded++;
        logExchange(logger, r);
        notify(r);
        return;
      }
      if (takeover) return takeover.submit(raw);
      pending++;
      outbox.write(raw);
      if (outbox.count > 1) return;
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
    note(line) {
      if (takeover) return takeover.note(line);
      // After close the log is final: a late event is dropped (it was logged where it happened).
      if (!alive) return;
      post({ type: 'note', line });
    },
    settle,
    throttle() {
      if (pendingBytes <= maxPendingBytes || !alive) return relief?.promise ?? null;
      if (!relief) {
        let release = (): void => undefined;
        const promise = new Promise<void>((resolve) => (release = resolve));
        relief = { promise, release };
        logger?.warn(
          `classification is ${plural(pending, 'exchange')} behind; holding new sign-in requests until it catches up`,
        );
      }
      return relief.promise;
    },
    backlog(n) {
      flush();
      if (pending <= n || !alive) return Promise.resolve();
      return new Promise<void>((done) => backlogWaiters.push({ n, done }));
    },
    aggregates,
    async compactAggregates() {
      const m = await ask({ type: 'aggregates', compact: true });
      if (m.type === 'compact') return { summary: m.summary, applications: m.applications };
      const { summary, applications } = await aggregates();
      return { summary, applications: applications.map(compactApplication) };
    },
    async recent(limit) {
      const m = await ask({ type: 'recent', limit });
      if (m.type === 'recent') return m.records;
      const core = await takenOver();
      return core ? core.recentNow(limit) : tailOfLog(logPath, limit);
    },
    async lookup(id) {
      const m = await ask({ type: 'get', id });
      if (m.type === 'got') return m.record ?? undefined;
      return (await takenOver())?.lookup(id);
    },
    subscribe(listener) {
      listeners.add(listener);
      updateEcho();
      return () => {
        listeners.delete(listener);
        updateEcho();
      };
    },
    count: () => (takeover ? takeover.count() : recorded),
    close() {
      closed ??= (async () => {
        await settle();
        if (takeover) {
          await takeover.ready;
          takeover.close();
          return;
        }
        const m = await ask({ type: 'aggregates' });
        if (m.type === 'aggregates') final = { summary: m.summary, applications: m.applications };
        if (!alive) {
          // The worker died while closing: the session was taken over here.
          const t = takeover as Takeover | null;
          await t?.ready;
          t?.close();
          return;
        }
        await new Promise<void>((resolve) => {
          worker.on('message', (msg: FromWorker) => {
            if (msg.type === 'closed') resolve();
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

/** The last `limit` records of a session log (after the recorder closed). */
async function tailOfLog(path: string, limit: number): Promise<ExchangeRecord[]> {
  const out: ExchangeRecord[] = [];
  for await (const r of readSessionLog(path)) {
    out.push(r);
    if (out.length >= 2 * limit) out.splice(0, out.length - limit);
  }
  return out.slice(Math.max(0, out.length - limit));
}
