/**
 * The worker behind createWorkerRecorder: it owns the live session. It classifies raw exchanges,
 * appends them to the session log, folds them into the session's aggregates and notes where the
 * latest records are in the log (read back on request), all off the proxy's event loop. The proxy's thread hears back only a count per
 * batch, plus what someone there listens to (`echo`: log lines' fields, or records without their
 * evidence for the dashboard); aggregates, recent records and one record by id are answered on
 * request. Messages are handled in order, so a `settle` answer means every earlier exchange is
 * recorded.
 *
 * The same worker serves `classify` (har-pipeline.ts): there it gets batches of HAR entries' JSON
 * text (`entries`) and answers with each record as two JSON strings (classify-batch.ts); the log
 * is written by the pipeline, which puts the batches of several workers back in order.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { classifyExchange } from '../classifiers/index.js';
import { oneLine } from '../core/errors.js';
import { EMPTY_EVIDENCE, type ExchangeRecord } from '../core/types.js';
import { createSession } from '../classifiers/session.js';
import { openSessionLog, type SessionLogWriter } from '../sources/session-log.js';
import { compactApplication } from '../core/compact-aggregates.js';
import {
  exchangeLogFields,
  type CompactAggregates,
  type ExchangeLogFields,
  type SessionAggregates,
} from './recorder.js';
import { toRawExchange } from '../core/captured.js';
import { readRawBatch } from './raw-batch.js';
import { RecentLines } from './recent-lines.js';
import { classifyEntries, type EntriesJob, type EntryOutcome } from './classify-batch.js';

/** What the worker sends back per recorded exchange: nothing, its log line's fields, or the record. */
export type Echo = 'none' | 'log' | 'records';

export type ToWorker =
  /** A batch of submitted exchanges, captured or raw (raw-batch.ts). */
  | { readonly type: 'raws'; readonly data: Uint8Array; readonly count: number }
  | EntriesJob
  | { readonly type: 'echo'; readonly echo: Echo }
  /** A session event line for the log (Recorder.note). */
  | { readonly type: 'note'; readonly line: string }
  | { readonly type: 'settle'; readonly seq: number }
  | { readonly type: 'get'; readonly seq: number; readonly id: string }
  | { readonly type: 'aggregates'; readonly seq: number; readonly compact?: boolean }
  | { readonly type: 'recent'; readonly seq: number; readonly limit: number }
  | { readonly type: 'close' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'recorded';
      readonly count: number;
      /** Per `echo`: the records without their evidence, or their log lines' fields. */
      readonly records?: readonly ExchangeRecord[];
      readonly logs?: readonly ExchangeLogFields[];
    }
  | { readonly type: 'classified'; readonly batch: number; readonly outcomes: EntryOutcome[] }
  | { readonly type: 'settled'; readonly seq: number }
  | { readonly type: 'got'; readonly seq: number; readonly record: ExchangeRecord | null }
  | ({ readonly type: 'aggregates'; readonly seq: number } & SessionAggregates)
  | ({ readonly type: 'compact'; readonly seq: number } & CompactAggregates)
  | { readonly type: 'recent'; readonly seq: number; readonly records: ExchangeRecord[] }
  | { readonly type: 'closed' };

/** Latest records the worker can read back for the dashboard's detail view and `recent`. */
const KEEP_FULL = 1000;

const port = parentPort;
if (port) {
  const data = workerData as { sessionLogPath: string | null; startedAt: string; nice?: number };
  if (data.nice) lowerThreadPriority(data.nice);
  const send = (m: FromWorker): void => port.postMessage(m);
  let log: SessionLogWriter | null = null;
  const session = createSession();
  let echo: Echo = 'none';
  let recent = new RecentLines(null, KEEP_FULL);
  try {
    log = data.sessionLogPath
      ? openSessionLog(data.sessionLogPath, { startedAt: data.startedAt })
      : null;
    recent = new RecentLines(log, KEEP_FULL);
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'failed', message: oneLine(err) });
  }
  const recordRaws = (batch: Uint8Array, n: number): void => {
    const records: ExchangeRecord[] = [];
    const logs: ExchangeLogFields[] = [];
    let count = 0;
    for (const raw of readRawBatch(batch, n)) {
      const record = classifyExchange(toRawExchange(raw));
      const line = JSON.stringify(record);
      recent.note(record.id, log ? log.appendLine(line) : -1, line);
      session.add(record);
      count++;
      if (echo === 'records') records.push({ ...record, evidence: EMPTY_EVIDENCE });
      else if (echo === 'log') logs.push(exchangeLogFields(record));
    }
    // On disk before the answer: if this worker dies, the proxy's thread rebuilds the session from
    // the log and replays only the batches it never heard back about.
    log?.flush();
    send({
      type: 'recorded',
      count,
      ...(echo === 'records' ? { records } : echo === 'log' ? { logs } : {}),
    });
  };
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'raws':
        recordRaws(m.data, m.count);
        break;
      case 'entries':
        send({ type: 'classified', batch: m.batch, outcomes: classifyEntries(m) });
        break;
      case 'echo':
        echo = m.echo;
        break;
      case 'note':
        log?.appendLine(m.line);
        break;
      case 'settle':
        send({ type: 'settled', seq: m.seq });
        break;
      case 'get': {
        const line = recent.get(m.id);
        send({
          type: 'got',
          seq: m.seq,
          record: line ? (JSON.parse(line) as ExchangeRecord) : null,
        });
        break;
      }
      case 'aggregates':
        if (m.compact) {
          send({
            type: 'compact',
            seq: m.seq,
            summary: session.summary(),
            applications: session.applications().map(compactApplication),
          });
        } else {
          send({
            type: 'aggregates',
            seq: m.seq,
            summary: session.summary(),
            applications: session.applications(),
          });
        }
        break;
      case 'recent': {
        const records = recent.last(m.limit).map((l) => JSON.parse(l) as ExchangeRecord);
        send({ type: 'recent', seq: m.seq, records });
        break;
      }
      case 'close':
        log?.close();
        recent.close();
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
