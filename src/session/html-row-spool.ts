/**
 * The HTML report's rows, made while a session is recorded and kept in a temporary file beside the
 * session log (0600, removed by `dispose`), so writing the report copies them instead of reading
 * the whole session log back and rendering every record again. Rows hold what the HTML report
 * holds: redacted records only.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ToolError, oneLine } from '../core/errors.js';
import type { ExchangeRecord } from '../core/types.js';
import { Interner, rowText } from '../report/html-rows.js';

const FLUSH_CHARS = 256 * 1024;

export interface HtmlRowSpool {
  /** Add a record's row; `evidenceJson` is JSON.stringify(record.evidence), made elsewhere. */
  add(record: ExchangeRecord, evidenceJson: string): void;
  /** Write what is pending; the rows file is complete after this. */
  finish(): void;
  /** The rows (joined by ",\n"), as bytes. */
  rows(): AsyncIterable<Uint8Array>;
  /** The string table the rows index. */
  strings(): readonly string[];
  /** The first write error, if any (the rows are incomplete then: do not use them). */
  readonly error: ToolError | null;
  /** Remove the file. Idempotent, never throws. */
  dispose(): void;
}

/** A spool file beside `sessionLogPath`. Throws ToolError ERR_IO when it cannot be created. */
export function openHtmlRowSpool(sessionLogPath: string): HtmlRowSpool {
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
  let pending: string[] = [];
  let pendingChars = 0;
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
    const buf = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingChars = 0;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      error = new ToolError('ERR_IO', `${path}: write failed (${oneLine(err)})`, { cause: err });
    }
  };

  return {
    get error() {
      return error;
    },
    add(record, evidenceJson) {
      if (fd === null || error !== null) return;
      const row = rowText(record, strings, evidenceJson);
      pending.push(any ? ',\n' : '', row);
      any = true;
      pendingChars += row.length + 2;
      if (pendingChars >= FLUSH_CHARS) flush();
    },
    finish() {
      flush();
      closeFd();
    },
    async *rows() {
      const stream = createReadStream(path, { highWaterMark: 1 << 20 });
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
      } finally {
        stream.destroy();
      }
    },
    strings: () => strings.values(),
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
