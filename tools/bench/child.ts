/** The orchestrator's side of a bench worker: fork, wait for `ready`, ask for stats, close. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, WorkerInit, WorkerReady, WorkerStats } from './common.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface BenchChild {
  readonly pid: number;
  readonly ready: WorkerReady;
  stats(gc?: boolean): Promise<WorkerStats>;
  close(): Promise<void>;
}

function waitFor<T extends FromWorker['type']>(
  cp: ChildProcess,
  type: T,
  timeoutMs: number,
  stderr: () => string,
): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`worker: no '${type}' within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMsg = (m: FromWorker): void => {
      if (m.type === type) done(null, m as Extract<FromWorker, { type: T }>);
      else if (m.type === 'error') done(new Error(`worker failed: ${m.message}`));
    };
    const onExit = (code: number | null): void =>
      done(
        new Error(
          `worker exited (${code ?? 'signal'}) ${stderr().trim().split('\n').slice(-3).join(' | ')}`,
        ),
      );
    function done(err: Error | null, m?: Extract<FromWorker, { type: T }>): void {
      clearTimeout(timer);
      cp.off('message', onMsg);
      cp.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    cp.on('message', onMsg);
    cp.once('exit', onExit);
  });
}

export async function startChild(
  init: Omit<WorkerInit, 'type'>,
  timeoutMs = 30_000,
): Promise<BenchChild> {
  const cp = fork(WORKER, [init.role], {
    // BENCH_CHILD_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to look inside a target.
    execArgv: [
      '--expose-gc',
      ...(process.env['BENCH_CHILD_ARGS']?.split(/\s+/).filter(Boolean) ?? []),
    ],
    // BENCH_CHILD_STDOUT=inherit shows what those flags print (--trace-gc-nvp and the like).
    stdio: [
      'ignore',
      process.env['BENCH_CHILD_STDOUT'] === 'inherit' ? 'inherit' : 'ignore',
      'pipe',
      'ipc',
    ],
  });
  let err = '';
  cp.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-4000);
  });
  const stderr = (): string => err;
  const readyP = waitFor(cp, 'ready', timeoutMs, stderr);
  cp.send({ type: 'init', ...init } satisfies WorkerInit);
  let ready: WorkerReady;
  try {
    ready = await readyP;
  } catch (e) {
    cp.kill('SIGKILL');
    throw e;
  }
  // One stats request at a time: replies carry no id.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    pid: cp.pid ?? -1,
    ready,
    stats(gc = false) {
      const p = queue.then(() => {
        const r = waitFor(cp, 'stats', 15_000, stderr);
        cp.send({ type: 'stats', gc });
        return r;
      });
      queue = p.catch(() => undefined);
      return p;
    },
    close() {
      if (cp.exitCode !== null || cp.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => cp.kill('SIGKILL'), 3_000);
        cp.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        try {
          cp.send({ type: 'close' });
        } catch {
          cp.kill('SIGKILL');
        }
      });
    },
  };
}
