/**
 * A report rendered off the proxy's thread (the dashboard's downloads; see render-thread.ts).
 *
 * workerData: a RenderJob (format, head, session-log path and the offset to stop at). The worker
 * reads the log, renders, gathers the chunks into blocks of about 64 KiB and posts each block's
 * bytes (transferred, not copied), at most `credit` blocks ahead of what the other side has taken
 * (it answers each block it takes with 'more'). Then 'end', or 'error' with a one-line message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { oneLine } from '../core/errors.js';
import { renderReport } from '../report/formats.js';
import { readSessionLog } from '../sources/session-log.js';
import type { RenderJob, RenderToMain } from './render-thread.js';

const BLOCK = 64 * 1024;

async function run(port: NonNullable<typeof parentPort>, job: RenderJob): Promise<void> {
  let credit = job.credit;
  let wake: (() => void) | null = null;
  port.on('message', (m: 'more') => {
    if (m !== 'more') return;
    credit++;
    wake?.();
    wake = null;
  });
  /** `own`: the bytes fill a buffer of their own, which can be handed over rather than copied. */
  const send = async (bytes: Uint8Array, own: boolean): Promise<void> => {
    while (credit <= 0) await new Promise<void>((r) => (wake = r));
    credit--;
    const out =
      own && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? bytes
        : bytes.slice();
    port.postMessage({ type: 'chunk', bytes: out } satisfies RenderToMain, [
      out.buffer as ArrayBuffer,
    ]);
  };
  const input = {
    head: job.head,
    exchanges: () => readSessionLog(job.logPath, job.end !== null ? { end: job.end } : {}),
  };
  const encoder = new TextEncoder();
  let text = '';
  for await (const chunk of renderReport(job.format, input)) {
    if (typeof chunk === 'string') {
      text += chunk;
      if (text.length >= BLOCK) {
        await send(encoder.encode(text), true);
        text = '';
      }
      continue;
    }
    if (text) await send(encoder.encode(text), true);
    text = '';
    if (chunk.length > 0) await send(chunk, false);
  }
  if (text) await send(encoder.encode(text), true);
  port.postMessage({ type: 'end' } satisfies RenderToMain);
}

if (parentPort) {
  const port = parentPort;
  const job = workerData as RenderJob;
  // The other side ends this thread once it has the last message.
  run(port, job).catch((err: unknown) => {
    port.postMessage({ type: 'error', message: oneLine(err) } satisfies RenderToMain);
  });
}
