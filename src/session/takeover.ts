/**
 * Recording in the proxy's thread once its classification worker is gone: the session is rebuilt
 * from the session log (the worker writes each batch there before answering for it), the batches
 * it never answered are replayed (skipping what the log already has: it may have written part of
 * one before dying), and the log is continued. Exchanges submitted meanwhile wait their turn.
 */
import { classifyExchange } from '../classifiers/index.js';
import { toRawExchange, type SubmittedExchange } from '../core/captured.js';
import { oneLine } from '../core/errors.js';
import type { ExchangeRecord } from '../core/types.js';
import { openSessionLog, readSessionLog, type SessionLogWriter } from '../sources/session-log.js';
import { readRawBatch, type RawBatch } from './raw-batch.js';
import { recorderCore, type RecorderCore, type RecorderOptions } from './recorder.js';

export interface Takeover {
  readonly core: RecorderCore;
  /** Settles once the session is rebuilt and the replayed and waiting exchanges are recorded. */
  readonly ready: Promise<void>;
  submit(exchange: SubmittedExchange): void;
  /** A session event line for the log (Recorder.note), after what was submitted before it. */
  note(line: string): void;
  /** Exchanges in the session: the log's, then those recorded here. */
  count(): number;
  close(): void;
}

export function takeOver(o: {
  readonly logPath: string;
  readonly options: RecorderOptions & { readonly startedAt: string };
  /** Batches the worker never answered, oldest first. */
  readonly replay: readonly RawBatch[];
  /** Each record made here, to be logged and announced. */
  readonly onRecord: (record: ExchangeRecord) => void;
}): Takeover {
  const { logPath, options } = o;
  const logger = options.logger;
  const core = recorderCore(options, true);
  let log: SessionLogWriter | null = null;
  let count = 0;
  let waiting: (SubmittedExchange | { readonly note: string })[] | null = [];
  const record = (x: SubmittedExchange): void => {
    const r = classifyExchange(toRawExchange(x));
    core.add(r);
    log?.append(r);
    count++;
    o.onRecord(r);
  };
  const ready = (async () => {
    const seen = new Set<string>();
    let readable = true;
    try {
      for await (const r of readSessionLog(logPath)) {
        core.add(r);
        seen.add(r.id);
      }
    } catch (err) {
      readable = false;
      logger?.error(`session log unreadable after the worker stopped: ${oneLine(err)}`);
    }
    count = seen.size;
    try {
      // A log the worker never got to write (or that is not one) is started afresh.
      log = openSessionLog(logPath, { startedAt: options.startedAt, reopen: readable });
    } catch (err) {
      logger?.error(`cannot continue the session log: ${oneLine(err)}`);
    }
    for (const batch of o.replay) {
      for (const x of readRawBatch(batch.data, batch.count)) if (!seen.has(x.id)) record(x);
    }
    for (const x of waiting ?? []) {
      if ('note' in x) log?.appendLine(x.note);
      else record(x);
    }
    waiting = null;
  })();
  return {
    core,
    ready,
    submit: (x) => (waiting ? void waiting.push(x) : record(x)),
    note: (line) => (waiting ? void waiting.push({ note: line }) : void log?.appendLine(line)),
    count: () => count,
    close: () => log?.close(),
  };
}
