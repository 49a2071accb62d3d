/**
 * The worker behind createWorkerRecorder: classifies raw exchanges and appends them to the session
 * log, off the proxy's event loop. Messages are handled in order, so a `settle` answer means every
 * earlier exchange has been posted back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { classifyExchange } from '../classifiers/index.js';
import { oneLine } from '../core/errors.js';
import type { RawExchange } from '../core/types.js';
import { openSessionLog, type SessionLogWriter } from '../sources/session-log.js';

export type ToWorker =
  | { readonly type: 'raw'; readonly raw: RawExchange }
  | { readonly type: 'settle'; readonly seq: number }
  | { readonly type: 'close' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'record'; readonly record: ReturnType<typeof classifyExchange> }
  | { readonly type: 'settled'; readonly seq: number }
  | { readonly type: 'closed' };

const port = parentPort;
if (port) {
  const data = workerData as { sessionLogPath: string | null; startedAt: string };
  const send = (m: FromWorker): void => port.postMessage(m);
  let log: SessionLogWriter | null = null;
  try {
    log = data.sessionLogPath
      ? openSessionLog(data.sessionLogPath, { startedAt: data.startedAt })
      : null;
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'failed', message: oneLine(err) });
  }
  port.on('message', (m: ToWorker) => {
    if (m.type === 'raw') {
      const record = classifyExchange(m.raw);
      log?.append(record);
      send({ type: 'record', record });
    } else if (m.type === 'settle') {
      send({ type: 'settled', seq: m.seq });
    } else {
      log?.close();
      send({ type: 'closed' });
    }
  });
}
