/**
 * The worker behind createWorkerRecorder: classifies raw exchanges and appends them to the session
 * log, off the proxy's event loop. Messages are handled in order, so a `settle` answer means every
 * earlier exchange has been posted back. With a session log, records go back without their
 * evidence (the part the aggregates never read); the last few hundred full records stay here for
 * the dashboard's detail view (`get`), older ones are in the log.
 *
 * The same worker serves `classify` (har-pipeline.ts): there it gets batches of HAR entries' JSON
 * text (`entries`) and answers with each record as two JSON strings (classify-batch.ts); the log
 * is written by the pipeline, which puts the batches of several workers back in order.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { deserialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { classifyExchange } from '../classifiers/index.js';
import { oneLine } from '../core/errors.js';
import { EMPTY_EVIDENCE, type ExchangeRecord, type RawExchange } from '../core/types.js';
import { openSessionLog, type SessionLogWriter } from '../sources/session-log.js';
import { classifyEntries, type EntriesJob, type EntryOutcome } from './classify-batch.js';

export type ToWorker =
  /** A batch of RawExchanges, v8.serialize'd. */
  | { readonly type: 'raws'; readonly data: Uint8Array }
  | EntriesJob
  | { readonly type: 'settle'; readonly seq: number }
  | { readonly type: 'get'; readonly seq: number; readonly id: string }
  | { readonly type: 'close' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'records'; readonly records: readonly ExchangeRecord[] }
  | { readonly type: 'classified'; readonly batch: number; readonly outcomes: EntryOutcome[] }
  | { readonly type: 'settled'; readonly seq: number }
  | { readonly type: 'got'; readonly seq: number; readonly record: ExchangeRecord | null }
  | { readonly type: 'closed' };

const KEEP_FULL = 1000;

const port = parentPort;
if (port) {
  const data = workerData as { sessionLogPath: string | null; startedAt: string; nice?: number };
  if (data.nice) lowerThreadPriority(data.nice);
  const send = (m: FromWorker): void => port.postMessage(m);
  let log: SessionLogWriter | null = null;
  // The latest records as their JSON lines: one flat string each is far cheaper for the garbage
  // collector to keep (and promote) than the record's tree of objects.
  const full = new Map<string, string>();
  try {
    log = data.sessionLogPath
      ? openSessionLog(data.sessionLogPath, { startedAt: data.startedAt })
      : null;
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'failed', message: oneLine(err) });
  }
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'raws': {
        const out: ExchangeRecord[] = [];
        for (const raw of deserialize(m.data) as RawExchange[]) {
          const record = classifyExchange(raw);
          if (log) {
            const line = JSON.stringify(record);
            log.appendLine(line);
            full.set(record.id, line);
            if (full.size > KEEP_FULL) full.delete(full.keys().next().value as string);
            out.push({ ...record, evidence: EMPTY_EVIDENCE });
          } else out.push(record);
        }
        send({ type: 'records', records: out });
        break;
      }
      case 'entries':
        send({ type: 'classified', batch: m.batch, outcomes: classifyEntries(m) });
        break;
      case 'settle':
        send({ type: 'settled', seq: m.seq });
        break;
      case 'get':
        {
          const line = full.get(m.id);
          send({
            type: 'got',
            seq: m.seq,
            record: line ? (JSON.parse(line) as ExchangeRecord) : null,
          });
        }
        break;
      case 'close':
        log?.close();
        send({ type: 'closed' });
        break;
    }
  });
}

/**
 * Give this thread (not the process) a lower scheduling priority, where the OS allows naming a
 * thread: on Linux /proc/thread-self names its task id, and setpriority() on a task id applies to
 * that thread alone. Elsewhere, or when refused, nothing changes.
 */
function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: classification runs at the proxy's priority.
  }
}
