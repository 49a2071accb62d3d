/**
 * Reports rendered in a worker thread (render-worker.ts) for the live dashboard: reading the
 * session log back and rendering is CPU work, and the proxy's thread only passes bytes on. One
 * worker per render, ended as soon as the render ends or its reader stops (a `break`, a
 * `return()`). The worker runs at most CREDIT blocks (64 KiB each) ahead of the reader, so memory
 * follows the client's pace, not the report's size.
 *
 * The worker runs at the proxy's priority, unlike the classification worker (nice 10): measured on
 * a saturated 2-core machine, a niced render got almost no CPU and downloads did not finish, while
 * the proxy's event loop, which no longer does the render, kept its latency either way.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ToolError } from '../core/errors.js';
import type { ReportFormat } from '../report/formats.js';
import type { ReportHead } from '../report/build.js';

export interface RenderJob {
  readonly format: ReportFormat;
  readonly head: ReportHead;
  readonly logPath: string;
  /** Read the log up to this offset (null: to its end). */
  readonly end: number | null;
  /** Blocks the worker may send before the reader has taken any. */
  readonly credit: number;
}

export type RenderToMain =
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | { readonly type: 'end' }
  | { readonly type: 'error'; readonly message: string };

const WORKER_URL = new URL('./render-worker.js', import.meta.url);
const CREDIT = 4;

/** Whether the worker module is there (it is not when running from TS sources). */
export function renderWorkerAvailable(workerUrl: URL = WORKER_URL): boolean {
  return existsSync(fileURLToPath(workerUrl));
}

/**
 * The report's bytes, rendered in a worker. Errors (an unreadable log, a worker that died) end the
 * iteration with ToolError ERR_INTERNAL and a one-line message.
 */
export async function* renderInWorker(
  job: Pick<RenderJob, 'format' | 'head' | 'logPath' | 'end'>,
  opts: { readonly workerUrl?: URL } = {},
): AsyncGenerator<Uint8Array> {
  const worker = new Worker(opts.workerUrl ?? WORKER_URL, {
    workerData: { ...job, credit: CREDIT } satisfies RenderJob,
    // Its working set is a few records and a few blocks; the bound catches a runaway render.
    resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 },
  });
  const queue: RenderToMain[] = [];
  let failure: string | null = null;
  let finished = false;
  let wake: (() => void) | null = null;
  const poke = (): void => {
    wake?.();
    wake = null;
  };
  worker.on('message', (m: RenderToMain) => {
    queue.push(m);
    poke();
  });
  worker.on('error', (err) => {
    failure ??= err.message;
    poke();
  });
  worker.on('exit', (code) => {
    if (!finished) failure ??= `the render worker exited (${code})`;
    poke();
  });
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (failure !== null) throw renderError(failure);
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (m.type === 'end') return;
      if (m.type === 'error') throw renderError(m.message);
      yield m.bytes;
      worker.postMessage('more');
    }
  } finally {
    finished = true;
    await worker.terminate();
  }
}

function renderError(message: string): ToolError {
  return new ToolError('ERR_INTERNAL', `report render failed: ${message}`);
}
