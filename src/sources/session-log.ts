/**
 * The append-only session log: NDJSON, a header line
 * `{"type":"session","schemaVersion":1,"tool":"entra-bas-proxy","startedAt":...}` then one
 * ExchangeRecord (already redacted) per line.
 *
 * Writer: one fd opened at start (0600, parent directory created); the records of one event-loop
 * turn go out in one synchronous write at the end of that turn (or sooner past 256 KiB), so a
 * SIGKILL loses at most the exchanges completed in the turn it hit. `append` never throws: the first
 * I/O error is kept in `error`, and the writer stops appending (so the log never holds a torn line
 * in the middle); `close()` is idempotent.
 *
 * Reader: streams in chunks with bounded memory. Strict about the header (a file that is not a
 * session log is ToolError ERR_SESSION_INVALID), lenient about the body: a torn final line (a crash
 * mid-write) is dropped silently; an unparseable line in the middle, or one over the line cap, is
 * skipped and counted (`onSkip`, `stats.skipped`). Lines with a `type` field are session events,
 * not records (`{"type":"tls-rejected",...}`, see core/tls-rejections.ts; other kinds are reserved):
 * they go to `onEvent`, never among the records.
 */
import {
  closeSync,
  createReadStream,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { ToolError } from '../core/errors.js';
import type { ExchangeRecord } from '../core/types.js';
import { Utf8Batch } from '../core/utf8-batch.js';
import { isVerdict } from '../core/verdict.js';
import { readFileHead } from './file-head.js';

export const SESSION_LOG_SCHEMA_VERSION = 1;
/** Pending bytes that trigger a write before the end of the event-loop turn. */
const FLUSH_BYTES = 256 * 1024;
const TOOL = 'entra-bas-proxy';
/** Longest line the reader accepts (a redacted record is a few KiB). */
const MAX_LINE = 32 * 1024 * 1024;
/** Longest header line. */
const MAX_HEADER = 64 * 1024;

export interface SessionLogHeader {
  readonly type: 'session';
  readonly schemaVersion: number;
  readonly tool: string;
  readonly startedAt: string;
}

export interface SessionLogWriter {
  /** Write one record as one line. Never throws; after an I/O error it does nothing. */
  append(record: ExchangeRecord): void;
  /**
   * The same with the record's line already made (`joinRecordLine` of `recordParts`). Returns the
   * byte offset where the line starts in the file (-1 once writing failed).
   */
  appendLine(line: string): number;
  /**
   * Lines already encoded (UTF-8, each ending in a newline; `count` of them), written now after
   * what is pending. Returns the byte offset where the first starts (-1 once writing failed).
   */
  appendBytes(lines: Uint8Array, count: number): number;
  /** Write what is pending now rather than at the end of the event-loop turn. */
  flush(): void;
  /** Flush to disk and close. Idempotent. */
  close(): void;
  /** The first write error, if any (the log is incomplete from there on). */
  readonly error: ToolError | null;
  /** Records written so far. */
  readonly written: number;
  /** Where the next line will start: bytes in the file plus those pending. */
  readonly end: number;
  readonly path: string;
}

/**
 * Create (or truncate) the session log at `path` and write its header. Throws ToolError ERR_IO when
 * the file cannot be created: a failure at startup, not in the hot path. With `reopen`, an existing
 * log is continued instead (no header; a torn last line is ended first).
 */
export function openSessionLog(
  path: string,
  opts: { startedAt: string; reopen?: boolean },
): SessionLogWriter {
  let fd: number | null;
  let tornTail = false;
  // Bytes in the file: where the next line written will start.
  let size = 0;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, opts.reopen ? 'a+' : 'w', 0o600);
    fchmodSync(fd, 0o600);
    if (opts.reopen) {
      size = fstatSync(fd).size;
      tornTail = endsWithoutNewline(fd, size);
    }
  } catch (err) {
    throw new ToolError('ERR_IO', `${path}: cannot create the session log (${codeOf(err)})`, {
      cause: err,
    });
  }
  let error: ToolError | null = null;
  let written = 0;

  const writeLine = (line: string): void => writeBytes(Buffer.from(line + '\n', 'utf8'));
  const writeBytes = (buf: Uint8Array): void => {
    if (fd === null || error !== null) return;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      size += buf.length;
    } catch (err) {
      error = new ToolError('ERR_IO', `${path}: session log write failed (${codeOf(err)})`, {
        cause: err,
      });
    }
  };

  // Records of one event-loop turn go out in one write (at the latest on the next turn): a
  // SIGKILL loses at most the exchanges that completed in the same turn, and the proxy does not
  // pay a system call per exchange.
  const pending = new Utf8Batch(true);
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    writeBytes(pending.take());
  };

  const header: SessionLogHeader = {
    type: 'session',
    schemaVersion: SESSION_LOG_SCHEMA_VERSION,
    tool: TOOL,
    startedAt: opts.startedAt,
  };
  if (!opts.reopen) writeLine(JSON.stringify(header));
  else if (tornTail) writeLine('');
  if (error !== null) {
    const e: ToolError = error;
    closeQuietly(fd);
    throw e;
  }

  const appendLine = (line: string): number => {
    if (fd === null || error !== null) return -1;
    const at = size + pending.bytes;
    pending.push(line);
    written++;
    if (pending.bytes >= FLUSH_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return at;
  };

  const appendBytes = (lines: Uint8Array, count: number): number => {
    if (fd === null || error !== null) return -1;
    flush();
    const at = size;
    writeBytes(lines);
    written += count;
    return error === null ? at : -1;
  };

  return {
    path,
    get error() {
      return error;
    },
    get written() {
      return written;
    },
    get end() {
      return size + pending.bytes;
    },
    append(record) {
      if (fd === null || error !== null) return;
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch (err) {
        // A record that cannot be serialized is a bug upstream; keep the log going without it.
        error ??= new ToolError('ERR_INTERNAL', `${path}: record ${record.id} not serializable`, {
          cause: err,
        });
        return;
      }
      void appendLine(line);
    },
    appendLine,
    appendBytes,
    flush,
    close() {
      if (fd === null) return;
      flush();
      try {
        fsyncSync(fd);
      } catch (err) {
        error ??= new ToolError('ERR_IO', `${path}: session log fsync failed (${codeOf(err)})`, {
          cause: err,
        });
      }
      closeQuietly(fd);
      fd = null;
    },
  };
}

function endsWithoutNewline(fd: number, size: number): boolean {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 10;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing a descriptor we opened can only fail if it is already gone; nothing to recover.
  }
}

function codeOf(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return err instanceof Error ? err.message : String(err);
}

function parseHeader(line: string): SessionLogHeader | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'first line is not JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'first line is not a JSON object';
  const h = v as Record<string, unknown>;
  if (h['type'] !== 'session' || h['tool'] !== TOOL) return 'no entra-bas-proxy session header';
  if (typeof h['schemaVersion'] !== 'number') return 'header has no schemaVersion';
  if (h['schemaVersion'] > SESSION_LOG_SCHEMA_VERSION) {
    return `schemaVersion ${h['schemaVersion']} is newer than this tool supports (${SESSION_LOG_SCHEMA_VERSION})`;
  }
  if (typeof h['startedAt'] !== 'string') return 'header has no startedAt';
  return h as unknown as SessionLogHeader;
}

/** The first line (of the first MAX_HEADER bytes), and whether a newline ended it. */
async function readFirstLine(path: string): Promise<{ line: string; complete: boolean }> {
  const head = await readFileHead(path, MAX_HEADER, path);
  const nl = head.indexOf(10);
  return { line: head.toString('utf8', 0, nl === -1 ? head.length : nl), complete: nl !== -1 };
}

/**
 * The header of a session log, or null when the file is readable but is not a session log.
 * Throws ToolError ERR_INPUT when the file cannot be read.
 */
export async function readSessionLogHeader(path: string): Promise<{ startedAt: string } | null> {
  const { line } = await readFirstLine(path);
  const h = parseHeader(line.replace(/\r$/, ''));
  return typeof h === 'string' ? null : { startedAt: h.startedAt };
}

export interface SessionLogReadStats {
  /** Records yielded. */
  records: number;
  /** Lines in the middle that were not records (corruption), skipped. */
  skipped: number;
  /** True when the last line was torn (no newline, not parseable) and dropped. */
  tornTail: boolean;
}

export interface SessionLogReadOptions {
  /** Called for each skipped line (1-based line number and why). */
  onSkip?(line: number, reason: string): void;
  /**
   * Read only the bytes before this offset (the log's size at some moment): the records written
   * by then, however much the log has grown since. A line cut there counts as a torn tail.
   */
  end?: number;
  /** Called for each session event line (a JSON object with a string `type`), parsed. */
  onEvent?(event: { readonly type: string }): void;
}

function isRecord(v: unknown): v is ExchangeRecord {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['id'] === 'string' &&
    typeof r['host'] === 'string' &&
    typeof r['verdict'] === 'string' &&
    isVerdict(r['verdict']) &&
    Array.isArray(r['reasons'])
  );
}

/**
 * Stream the records of a session log. The returned iterable also carries `stats`, filled in as it
 * is read. Throws ToolError ERR_SESSION_INVALID when the file is not a session log, ERR_INPUT when
 * it cannot be read.
 */
export function readSessionLog(
  path: string,
  opts: SessionLogReadOptions = {},
): AsyncIterable<ExchangeRecord> & { readonly stats: SessionLogReadStats } {
  const stats: SessionLogReadStats = { records: 0, skipped: 0, tornTail: false };
  const name = basename(path);
  async function* gen(): AsyncGenerator<ExchangeRecord> {
    const first = await readFirstLine(path);
    if (first.line.length === 0 && !first.complete) {
      throw new ToolError('ERR_SESSION_INVALID', `${name}: empty file, not a session log`);
    }
    const header = parseHeader(first.line.replace(/\r$/, ''));
    if (typeof header === 'string') {
      throw new ToolError('ERR_SESSION_INVALID', `${name}: not a session log (${header})`);
    }
    const skip = (lineNo: number, reason: string): void => {
      stats.skipped++;
      opts.onSkip?.(lineNo, reason);
    };
    const handle = (text: string, lineNo: number, last: boolean): ExchangeRecord | null => {
      const line = text.endsWith('\r') ? text.slice(0, -1) : text;
      if (line.trim() === '') return null;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        if (last) stats.tornTail = true;
        else skip(lineNo, 'not JSON');
        return null;
      }
      if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') {
        opts.onEvent?.(v as { type: string });
        return null;
      }
      if (!isRecord(v)) {
        skip(lineNo, 'not an exchange record');
        return null;
      }
      stats.records++;
      return v;
    };

    // 'utf8' decoding in the stream keeps multi-byte characters split across chunks whole.
    const stream = createReadStream(path, {
      highWaterMark: 256 * 1024,
      encoding: 'utf8',
      // `end` of createReadStream is inclusive.
      ...(opts.end !== undefined ? { end: Math.max(0, opts.end - 1) } : {}),
    });
    let lineNo = 0;
    let pending: string[] = [];
    let pendingLen = 0;
    let overflow = false;
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        let text = chunk;
        let start = 0;
        for (;;) {
          const nl = text.indexOf('\n', start);
          if (nl === -1) break;
          const piece = text.slice(start, nl);
          start = nl + 1;
          lineNo++;
          if (overflow) {
            skip(lineNo, 'line too long');
          } else {
            const line = pendingLen > 0 ? pending.join('') + piece : piece;
            const rec = lineNo > 1 ? handle(line, lineNo, false) : null;
            if (rec) yield rec;
          }
          pending = [];
          pendingLen = 0;
          overflow = false;
        }
        text = text.slice(start);
        if (!overflow && text.length > 0) {
          pendingLen += text.length;
          if (pendingLen > MAX_LINE) {
            overflow = true;
            pending = [];
          } else pending.push(text);
        }
      }
    } catch (err) {
      if (err instanceof ToolError) throw err;
      throw new ToolError('ERR_INPUT', `${name}: read failed (${codeOf(err)})`, { cause: err });
    } finally {
      stream.destroy();
    }
    if (overflow) {
      stats.tornTail = true;
    } else if (pendingLen > 0 && lineNo >= 1) {
      const rec = handle(pending.join(''), lineNo + 1, true);
      if (rec) yield rec;
    }
  }
  return {
    stats,
    [Symbol.asyncIterator]: () => gen(),
  };
}

/**
 * A record as two pieces of JSON: `rest`, the record without its evidence, and `evidence`, the
 * evidence alone. Each is cheap to pass between threads (a string), `rest` parses back into the
 * record without evidence, and `joinRecordLine` makes the session-log line of the two.
 */
export interface RecordParts {
  readonly rest: string;
  readonly evidence: string;
}

/** What comes between a record's other members and its evidence in its line (joinRecordLine). */
export const EVIDENCE_KEY = ',"evidence":';

export function recordParts(record: ExchangeRecord): RecordParts {
  // Evidence last (as classifyExchange puts it): one JSON.stringify, cut before it. The first
  // `,"evidence":` is its key: no other member of a record has that name, and a quote inside a
  // string is escaped. A quarter less CPU than the two below, where the member set to undefined
  // (left out by JSON.stringify) slows the stringifier.
  let last = '';
  for (const k in record) last = k;
  if (last === 'evidence') {
    const line = JSON.stringify(record);
    const at = line.indexOf(EVIDENCE_KEY);
    if (at > 0)
      return { rest: `${line.slice(0, at)}}`, evidence: line.slice(at + EVIDENCE_KEY.length, -1) };
  }
  return {
    rest: JSON.stringify({ ...record, evidence: undefined }),
    evidence: JSON.stringify(record.evidence),
  };
}

/**
 * The session-log line of a record from its two pieces: the evidence goes last, where
 * classifyExchange puts it, so the line is JSON.stringify(record) for the records it makes.
 */
export function joinRecordLine(rest: string, evidence: string): string {
  return `${rest === '{}' ? '{"evidence":' : rest.slice(0, -1) + EVIDENCE_KEY}${evidence}}`;
}

/**
 * The record lines of a session log this process wrote (header line skipped), as bytes in chunks
 * of whole lines, each ending in a newline. No parsing, no checks: only for a log whose every line
 * is known good (written by `openSessionLog` without error); anything else goes through
 * `readSessionLog`.
 */
export async function* readSessionLogLines(path: string): AsyncIterable<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let carry: Buffer | null = null;
  let header = true;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      let buf: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
      carry = null;
      if (header) {
        const nl = buf.indexOf(10);
        if (nl === -1) {
          carry = buf;
          continue;
        }
        header = false;
        buf = buf.subarray(nl + 1);
      }
      const last = buf.lastIndexOf(10);
      if (last === -1) {
        carry = buf;
        continue;
      }
      if (last + 1 < buf.length) carry = Buffer.from(buf.subarray(last + 1));
      yield buf.subarray(0, last + 1);
    }
  } catch (err) {
    throw new ToolError('ERR_INPUT', `${basename(path)}: read failed (${codeOf(err)})`, {
      cause: err,
    });
  } finally {
    stream.destroy();
  }
  if (carry && carry.length > 0 && !header) yield Buffer.concat([carry, Buffer.from('\n')]);
}
