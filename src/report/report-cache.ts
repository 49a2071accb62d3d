/**
 * Report parts made while a session is recorded, so that writing the reports of a long session
 * copies them instead of reading the whole session log back and rendering every record again
 * (measured on the bench's 100,000-entry HAR: `classify --out x.json --out x.html` takes
 * about 21 % more CPU time and 11 % more peak RSS without it). The recording feeds it through
 * its per-exchange sink, `add(record, parts)`; the reports read it as `ReportInput.bodies`
 * (build.ts ReportBodies):
 *
 * - JSON: the records' lines are the session log's own lines (JSON.stringify of each record), so
 *   they are copied from the log (`logLines`, given by whoever writes the log);
 * - HTML: each record's table row (html-rows.ts rowText), kept in a temporary file beside the
 *   session log (0600, removed by `dispose`), with the string table the rows index.
 *
 * It holds what the reports hold: redacted records only.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ToolError, oneLine } from '../core/errors.js';
import { Utf8Batch } from '../core/utf8-batch.js';
import type { ExchangeRecord } from '../core/types.js';
import type { ReportBodies } from './build.js';
import { Interner, rowText } from './html-rows.js';

const FLUSH_BYTES = 256 * 1024;

export interface ReportCacheOptions {
  /** The session log the records are appended to; the rows file goes beside it. */
  readonly sessionLogPath: string;
  /** The log's record lines as bytes, whole lines per chunk (session-log.ts readSessionLogLines). */
  readonly logLines: () => AsyncIterable<Uint8Array>;
}

export interface ReportCache {
  /**
   * Add a record, in session-log order: the recording step's per-exchange sink. `parts` are the
   * record's JSON texts (session-log.ts recordParts); `parts.evidence` is JSON.stringify of its
   * evidence, so `record.evidence` is not read (it may be EMPTY_EVIDENCE).
   */
  add(record: ExchangeRecord, parts: { readonly rest: string; readonly evidence: string }): void;
  /** Write what is pending; call once the session is recorded and its log closed. */
  finish(): void;
  /** The first write error, if any (the parts are incomplete then: do not use them). */
  readonly error: ToolError | null;
  /** The parts, for ReportInput.bodies; after `finish`. */
  bodies(): ReportBodies;
  /** Remove the file. Idempotent, never throws. */
  dispose(): void;
}

/** A cache beside `sessionLogPath`. Throws ToolError ERR_IO when its file cannot be created. */
export function openReportCache(o: ReportCacheOptions): ReportCache {
  const { sessionLogPath } = o;
  const path = join(
    dirname(sessionLogPath),
    `.${basename(sessionLogPath)}.${process.pid}.${randomBytes(4).toString('hex')}.rows.tmp`,
  );
  let fd: number | null;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    throw new ToolError('ERR_IO', `${path}: cannot create a temporary file (${oneLine(err)})`, {
      cause: err,
    });
  }
  const strings = new Interner();
  const pending = new Utf8Batch(false);
  let any = false;
  let error: ToolError | null = null;
  let removed = false;

  const closeFd = (): void => {
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // A descriptor we opened and still hold closes; nothing to recover if it does not.
    }
    fd = null;
  };
  const flush = (): void => {
    if (pending.length === 0 || fd === null || error !== null) return;
    const buf = pending.take();
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      error = new ToolError('ERR_IO', `${path}: write failed (${oneLine(err)})`, { cause: err });
    }
  };
  async function* rows(): AsyncIterable<Uint8Array> {
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
    } finally {
      stream.destroy();
    }
  }

  return {
    get error() {
      return error;
    },
    add(record, parts) {
      if (fd === null || error !== null) return;
      const row = rowText(record, strings, parts.evidence);
      if (any) pending.push(',\n');
      pending.push(row);
      any = true;
      if (pending.bytes >= FLUSH_BYTES) flush();
    },
    finish() {
      flush();
      closeFd();
    },
    bodies: () => ({
      jsonLines: o.logLines,
      htmlRows: () => ({ rows: rows(), strings: () => strings.values() }),
    }),
    dispose() {
      closeFd();
      if (removed) return;
      removed = true;
      try {
        unlinkSync(path);
      } catch {
        // Already gone; nothing to clean up.
      }
    },
  };
}
