/**
 * Sign-in log exports, streamed: each file's shape is told from its first bytes, then the file is
 * cut into chunks of whole records (lines and CSV records in the raw bytes, by csv.ts's CsvCutter
 * for CSV; JSON arrays by the structural scanner of ../har-scan.ts), which chunk.ts parses and
 * reduces to SignInRow facts (row.ts) and folds (fold.ts): in the pool's `signin-chunk` task, or in
 * this thread. Bounded memory whatever the file size: a few chunks in flight, records cut at
 * CUT_BUDGET / LINE_BUDGET. Rows that are not sign-ins are skipped and counted by reason; a file
 * that is none of the shapes is a one-line ToolError ERR_SIGNINS_INVALID.
 *
 * Shapes (../../../shared reference: signin-logs.md §3):
 * - `graph`: Graph beta `auditLogs/signIns` pages `{"@odata.context", "value": [...]}`, one per
 *   file or one per line;
 * - `rows-json`: a top-level array of rows (admin-center JSON download, camelCase; Log Analytics
 *   or `az monitor log-analytics query` output, PascalCase);
 * - `ndjson`: one record per line (diagnostic-settings records with `properties`, or plain rows),
 *   and `{"records": [...]}` storage-account blobs, one per file or per line;
 * - `la-api`: a Log Analytics query API response `{"tables": [{"columns", "rows"}]}`;
 * - `csv-admin`: the admin-center CSV download (display headers, header traps);
 * - `csv-la`: a Log Analytics / Sentinel query result exported as CSV (PascalCase columns).
 * A Log Analytics shape (`rows-json`, `la-api`, `csv-la`) whose columns are the `kql` query's is
 * the fact-tuple table (`fact-tuples`, read by tuples.ts): each tuple one weighted row.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { ToolError } from '../../core/errors.js';
import { cannotRead, readFileHead } from '../file-head.js';
import type { SignInsReader } from '../source.js';
import { JsonArrayScanner, type ArrayTarget } from '../har-scan.js';
import { signInChunk, type SignInChunk, type SignInChunkResult } from './chunk.js';
import { CsvCutter, CsvSplitter, firstRecordEnd, headerKey } from './csv.js';
import type { SignInFold } from './fold.js';
import { adminCsvColumns, eventTypeFromFileName, isObj, type Obj } from './row.js';
import { laColumn, tupleReader } from './tuples.js';

export type SignInShape =
  'graph' | 'records' | 'rows-json' | 'ndjson' | 'la-api' | 'csv-admin' | 'csv-la' | 'fact-tuples';

export interface SignInReadStats {
  shape: SignInShape | null;
  /** Rows read as sign-ins. */
  rows: number;
  /** Rows skipped, by reason ("not a sign-in record", "too large", "not JSON"...). */
  skipped: Map<string, number>;
  bytes: number;
}

export interface SignInReadOptions {
  /** Read size in bytes (default 1 MiB); small values exercise chunk boundaries in tests. */
  chunkSize?: number;
  onProgress?(rows: number, bytes: number): void;
}

export interface SignInFoldOptions extends SignInReadOptions {
  /** Runs the `signin-chunk` task (the pool's run); default: chunk.ts's signInChunk in this thread. */
  run?(chunk: SignInChunk): Promise<SignInChunkResult>;
  /** Chunks submitted and not yet merged, at most (default 4): bounds memory. */
  inFlight?: number;
}

/** The one-line error for a file that is not a sign-in log export. */
export function invalidSignIns(file: string, what: string): ToolError {
  return new ToolError('ERR_SIGNINS_INVALID', `${file}: ${what}`);
}

/** Characters kept per JSON string of a row: sign-in fields are short; a huge one is cut. */
const STRING_CAP = 64 * 1024;
/** Bytes of JSON lines read per chunk (a few Graph pages). */
const LINES_BYTES = 8 << 20;
/** A line longer than this (NDJSON) is skipped as too large. */
const LINE_BUDGET = 64 * 1024 * 1024;
const HEAD_BYTES = 64 * 1024;
/** What `lines` yields when the file is not JSON lines after all. */
const NON_BLANK = /\S/;
const NOT_LINES = Symbol('not JSON lines');
/** Array elements sent per `texts` chunk, about (characters). */
const TEXTS_CHARS = 1 << 20;
/** Rows per `values` chunk. */
const VALUES_ROWS = 2000;
const LF = 0x0a;

const ADMIN_HEADERS = ['date (utc)', 'application id', 'correlation id', 'request id'];
const LA_HEADERS = ['timegenerated', 'appid', 'correlationid', 'resulttype'];

/** The shape of a file from its first bytes (after a BOM), or a one-line reason it is none. */
export function shapeOf(head: string, file: string): SignInShape {
  const t = head.trimStart();
  if (t.length === 0) throw invalidSignIns(file, 'empty file, not a sign-in log export');
  const c = t[0];
  if (c === '[') return 'rows-json';
  if (c === '{') {
    // One JSON value on the first line: JSON lines (of rows, records, pages or blobs).
    const firstLine = t.split('\n', 1)[0] ?? '';
    let first: unknown;
    if (firstLine.length < t.length) {
      try {
        first = JSON.parse(firstLine);
      } catch {
        // a document spread over lines, or a first line longer than the head
      }
    }
    const key =
      first !== null && typeof first === 'object'
        ? Object.keys(first)[0]?.toLowerCase()
        : /^\{\s*"([^"]{0,64})"/.exec(t)?.[1]?.toLowerCase();
    const has = (k: string): boolean =>
      first !== undefined
        ? Array.isArray((first as Record<string, unknown>)[k])
        : new RegExp(`"${k}"\\s*:\\s*\\[`).test(t);
    if (key === 'log') throw invalidSignIns(file, 'a HAR file, not a sign-in log export');
    if (key === 'tables' && has('tables')) return 'la-api';
    if (key === 'records' || (has('records') && !has('value'))) return 'records';
    if (key === '@odata.context' || has('value')) return 'graph';
    if (first !== undefined) return 'ndjson';
    throw invalidSignIns(
      file,
      'a JSON object that is neither a Graph sign-ins page, a records blob, a query result nor JSON lines',
    );
  }
  const header = (t.split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => headerKey(laColumn(h)));
  if (ADMIN_HEADERS.some((h) => header.includes(h))) return 'csv-admin';
  if (LA_HEADERS.some((h) => header.includes(h))) return 'csv-la';
  if (c === '"' || /^[\w ()-]+(,[\w ()-]+)+$/.test(t.split(/\r?\n/, 1)[0] ?? '')) {
    throw invalidSignIns(
      file,
      `a CSV whose header is not a sign-in log's (expected columns such as "Date (UTC)", "Application ID" or "TimeGenerated", "AppId"; found "${(t.split(/\r?\n/, 1)[0] ?? '').slice(0, 80)}")`,
    );
  }
  throw invalidSignIns(file, 'neither JSON nor CSV');
}

async function readHead(path: string, file: string): Promise<{ head: string; bom: number }> {
  const b = await readFileHead(path, HEAD_BYTES);
  if (b[0] === 0x1f && b[1] === 0x8b)
    throw invalidSignIns(file, 'gzip-compressed; decompress it first');
  const bom = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  return { head: b.subarray(bom).toString('utf8'), bom };
}

/** An export file cut into chunks of whole records (chunk.ts), in file order. */
export interface SignInChunks extends AsyncIterable<SignInChunk> {
  /** Filled in as the file is read; `skipped` here: what the cutting itself dropped. */
  readonly stats: SignInReadStats;
  /** The file name errors give. */
  readonly file: string;
  /**
   * Gives back a chunk whose rows are read (its result merged): its shared buffer is reused for a
   * later chunk. Without it, spent buffers wait for a collection that their size does not prompt.
   */
  release(chunk: SignInChunk): void;
}

/**
 * The chunks of one export file, in order. Throws ToolError ERR_SIGNINS_INVALID on a file that is
 * not an export (or ends mid-document), ERR_INPUT when it cannot be read.
 */
export function signInChunks(path: string, opts: SignInReadOptions = {}): SignInChunks {
  const stats: SignInReadStats = { shape: null, rows: 0, skipped: new Map(), bytes: 0 };
  const file = basename(path);
  const hint = eventTypeFromFileName(file);
  const skip = (why: string): void => {
    stats.skipped.set(why, (stats.skipped.get(why) ?? 0) + 1);
  };
  /** Spent chunk buffers (release), reused by `shared`. */
  const spare: SharedArrayBuffer[] = [];

  /**
   * `len` bytes of shared memory, of a spare buffer when one is large enough: a chunk posted to a
   * pool worker is then shared with it, not copied twice (serialized here, deserialized there).
   * JSON lines are read into it; a CSV's records (cut by CsvCutter) are copied into it.
   */
  function shared(len: number): Buffer {
    const i = spare.findIndex((b) => b.byteLength >= len);
    const sab = i >= 0 ? spare.splice(i, 1)[0] : undefined;
    return Buffer.from(sab ?? new SharedArrayBuffer(sharedSize(len)), 0, len);
  }

  async function* bytes(bom: number, encoding?: 'utf8'): AsyncGenerator<Buffer & string> {
    const src = createReadStream(path, {
      start: bom,
      highWaterMark: opts.chunkSize ?? 1 << 20,
      ...(encoding ? { encoding } : {}),
    });
    try {
      for await (const chunk of src as AsyncIterable<Buffer & string>) {
        stats.bytes = bom + src.bytesRead;
        yield chunk;
      }
    } catch (err) {
      throw err instanceof ToolError ? err : cannotRead(file, err);
    } finally {
      src.destroy();
    }
  }

  /** The JSON array's elements cut out by the structural scanner (a document spread over lines). */
  async function* scanArray(bom: number, target: ArrayTarget): AsyncGenerator<SignInChunk> {
    const scanner = new JsonArrayScanner(file, STRING_CAP, target);
    let texts: (string | null)[] = [];
    let chars = 0;
    for await (const chunk of bytes(bom, 'utf8')) {
      for (const t of scanner.feed(chunk)) {
        texts.push(t);
        chars += t === null ? 0 : t.length;
      }
      if (chars >= TEXTS_CHARS) {
        yield { mode: 'texts', hint, texts, file };
        texts = [];
        chars = 0;
      }
    }
    if (texts.length > 0) yield { mode: 'texts', hint, texts, file };
    scanner.end();
  }

  /**
   * JSON lines: each line one value (a row, a record, a page or a blob), read straight into shared
   * buffers of LINES_BYTES: a chunk is the whole lines of one buffer, the line cut at its end
   * copied into the next (the only copy). A line longer than a buffer gets a larger one, up to
   * LINE_BUDGET, past which it is skipped as too large. With `strict`, the first line must parse
   * (here, before any chunk is given), else NOT_LINES: the caller then scans the file as one
   * document.
   */
  async function* lines(
    bom: number,
    strict = false,
  ): AsyncGenerator<SignInChunk | typeof NOT_LINES> {
    const size = opts.chunkSize ?? LINES_BYTES;
    let probed = !strict;
    /** The first non-blank line of b parses as JSON (none there: undecided, true). */
    const probe = (b: Buffer): boolean | null => {
      let from = 0;
      while (from < b.length) {
        let nl = b.indexOf(LF, from);
        if (nl < 0) nl = b.length;
        const line = b.toString('utf8', from, nl);
        from = nl + 1;
        if (!NON_BLANK.test(line)) continue;
        try {
          JSON.parse(line);
          return true;
        } catch {
          return false;
        }
      }
      return null;
    };
    let fh: FileHandle | undefined;
    try {
      fh = await open(path, 'r');
      let buf = shared(size);
      let len = 0;
      let pos = bom;
      /** Skipping the rest of a line over LINE_BUDGET. */
      let oversize = false;
      for (;;) {
        const n = (await fh.read(buf, len, buf.length - len, pos)).bytesRead;
        pos += n;
        stats.bytes = pos;
        if (oversize) {
          const nl = buf.indexOf(LF, len);
          if (nl < 0 || nl >= len + n) {
            if (n === 0) break;
            continue;
          }
          skip('too large');
          oversize = false;
          buf.copyWithin(0, nl + 1, len + n);
          len = len + n - nl - 1;
          continue;
        }
        len += n;
        if (n > 0 && len < buf.length) continue;
        // Full, or the end of the file: its whole lines are a chunk, the rest is carried.
        const last = buf.lastIndexOf(LF, len - 1);
        if (last < 0 && n > 0) {
          // One line fills the buffer: a larger one, up to LINE_BUDGET.
          if (len < LINE_BUDGET) {
            const more = Math.min(2 * len, LINE_BUDGET);
            const sab = buf.buffer;
            const room = sab.byteLength >= more;
            const bigger = room ? Buffer.from(sab, 0, more) : shared(more);
            if (!room) buf.copy(bigger, 0, 0, len);
            buf = bigger;
          } else if (!probed) {
            yield NOT_LINES;
            return;
          } else {
            oversize = true;
            len = 0;
            buf = shared(size);
          }
          continue;
        }
        const end = n === 0 ? len : last + 1;
        const bytes = buf.subarray(0, end);
        // The file's last line, when it has no line end, may be cut off (chunk.ts tells).
        const cut = n === 0 && last + 1 < len;
        if (n > 0) {
          const next = shared(Math.max(size, 2 * (len - end)));
          buf.copy(next, 0, end, len);
          buf = next;
          len -= end;
        }
        if (end > 0) {
          if (!probed) {
            const p = probe(bytes);
            if (p === false) {
              yield NOT_LINES;
              return;
            }
            probed = p === true;
          }
          yield { mode: 'lines', hint, bytes, ...(cut ? { last: true } : {}), file };
        }
        if (n === 0) break;
      }
      if (oversize) skip('too large');
    } catch (err) {
      throw err instanceof ToolError ? err : cannotRead(file, err);
    } finally {
      await fh?.close();
    }
  }

  /** Pages or blobs one per line are parsed whole (fast); a document spread over lines is scanned. */
  async function* documents(bom: number, target: ArrayTarget): AsyncGenerator<SignInChunk> {
    for await (const c of lines(bom, true)) {
      if (c === NOT_LINES) {
        yield* scanArray(bom, target);
        return;
      }
      yield c;
    }
  }

  async function* csv(bom: number, shape: 'csv-admin' | 'csv-la'): AsyncGenerator<SignInChunk> {
    const cutter = new CsvCutter();
    let header: string[] | null = null;
    let dropped = 0;
    /** The header from the first record of b; the rest of b. */
    const takeHeader = (b: Buffer): Buffer => {
      while (header === null && b.length > 0) {
        const end = firstRecordEnd(b);
        const head = end < 0 ? b : b.subarray(0, end);
        b = end < 0 ? Buffer.alloc(0) : b.subarray(end);
        const splitter = new CsvSplitter(false);
        const fields = [...splitter.feed(head.toString('utf8')), ...splitter.end().records];
        const first = fields[0];
        if (first === undefined) continue; // a blank line
        if (first === null) {
          skip('header too large');
          continue;
        }
        if (shape === 'csv-admin') {
          if (adminCsvColumns(first).appId === undefined)
            throw invalidSignIns(file, 'CSV without an "Application ID" column');
          header = first;
        } else {
          header = first.map(laColumn);
          if (!header.some((h) => h.toLowerCase() === 'appid'))
            throw invalidSignIns(file, 'CSV without an "AppId" column');
          // The kql query's result: checked here (a table missing tuple columns is one line).
          if (tupleReader(header, file)) stats.shape = 'fact-tuples';
        }
      }
      return b;
    };
    const chunk = (b: Buffer): SignInChunk | null => {
      if (cutter.oversize > dropped) {
        for (; dropped < cutter.oversize; dropped++)
          skip(header ? 'too large' : 'header too large');
      }
      if (header === null) b = takeHeader(b);
      return header !== null && b.length > 0
        ? { mode: shape, hint, bytes: shared(b.length).fill(b), header, file }
        : null;
    };
    for await (const b of bytes(bom)) {
      const c = chunk(cutter.feed(b));
      if (c) yield c;
    }
    const end = cutter.end();
    if (end.unterminatedQuote)
      throw invalidSignIns(file, 'truncated CSV (ends inside a quoted field)');
    const c = chunk(end.rest);
    if (c) yield c;
    if (header === null) throw invalidSignIns(file, 'empty CSV');
  }

  async function* laApi(bom: number): AsyncGenerator<SignInChunk> {
    const parts: string[] = [];
    let len = 0;
    for await (const chunk of bytes(bom, 'utf8')) {
      len += chunk.length;
      if (len > 512 * 1024 * 1024)
        throw invalidSignIns(file, 'a query API response over 512 MiB; export it as CSV instead');
      parts.push(chunk);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(parts.join(''));
    } catch {
      throw invalidSignIns(file, 'truncated or invalid JSON');
    }
    parts.length = 0;
    const tables = isObj(doc) && Array.isArray(doc['tables']) ? (doc['tables'] as unknown[]) : [];
    let values: unknown[] = [];
    for (const t of tables) {
      if (!isObj(t) || !Array.isArray(t['columns']) || !Array.isArray(t['rows'])) continue;
      const names = (t['columns'] as unknown[]).map((c) =>
        isObj(c) && typeof c['name'] === 'string' ? c['name'] : '',
      );
      if (tupleReader(names, file)) stats.shape = 'fact-tuples';
      for (const r of t['rows'] as unknown[]) {
        if (!Array.isArray(r)) {
          skip('not a sign-in record');
          continue;
        }
        const o: Obj = {};
        names.forEach((n, i) => {
          if (n && !(n in o)) o[n] = r[i];
        });
        values.push(o);
        if (values.length >= VALUES_ROWS) {
          yield { mode: 'values', hint, values, file };
          values = [];
        }
      }
    }
    if (values.length > 0) yield { mode: 'values', hint, values, file };
  }

  async function* gen(): AsyncGenerator<SignInChunk> {
    const { head, bom } = await readHead(path, file);
    const shape = shapeOf(head, file);
    stats.shape = shape;
    switch (shape) {
      case 'graph':
        yield* documents(bom, {
          path: ['value'],
          what: 'a Graph sign-ins page',
          error: invalidSignIns,
          sequence: true,
        });
        return;
      case 'records':
        yield* documents(bom, {
          path: ['records'],
          what: 'a diagnostic-settings records blob',
          error: invalidSignIns,
          sequence: true,
        });
        return;
      case 'rows-json':
        yield* scanArray(bom, { path: [], what: 'a sign-in log export', error: invalidSignIns });
        return;
      case 'ndjson':
        for await (const c of lines(bom)) if (c !== NOT_LINES) yield c;
        return;
      case 'la-api':
        yield* laApi(bom);
        return;
      case 'csv-admin':
      case 'csv-la':
        yield* csv(bom, shape);
        return;
    }
  }

  const it = gen();
  return {
    stats,
    file,
    release(chunk) {
      const b = chunk.bytes?.buffer;
      if (b instanceof SharedArrayBuffer && spare.length < SPARE_BUFFERS && !spare.includes(b))
        spare.push(b);
    },
    [Symbol.asyncIterator]: () => it,
  };
}

/** Spent chunk buffers kept for reuse, at most (chunks in flight take the others). */
const SPARE_BUFFERS = 2;

/** A new chunk buffer's size: a power of two (at least 1 MiB), so that spare ones fit later chunks. */
function sharedSize(len: number): number {
  let n = 1 << 20;
  while (n < len) n *= 2;
  return n;
}

/**
 * Reads one export file into `fold`: its chunks run by `opts.run` (the pool's `signin-chunk` task)
 * a few at a time, their parts merged in file order, so the fold is the same as folding every row
 * here one by one, whatever runs the chunks. Returns the file's stats (rows, skipped by reason).
 */
export async function foldSignIns(
  path: string,
  fold: SignInFold,
  opts: SignInFoldOptions = {},
): Promise<SignInReadStats> {
  const chunks = signInChunks(path, opts);
  const { stats } = chunks;
  const run = opts.run ?? ((c: SignInChunk) => Promise.resolve(signInChunk(c)));
  const max = Math.max(1, opts.inFlight ?? 4);
  const pending: { chunk: SignInChunk; result: Promise<SignInChunkResult> }[] = [];
  const merge = async (): Promise<void> => {
    const { chunk, result } = pending.shift() as (typeof pending)[number];
    const r = await result;
    // The chunk is read (by a worker, or here): its buffer can take a later chunk.
    chunks.release(chunk);
    if (r.truncated) throw invalidSignIns(chunks.file, 'truncated JSON (the last line is cut off)');
    if (r.tuples) stats.shape = 'fact-tuples';
    fold.merge(r.part);
    stats.rows += r.part.rows;
    for (const [why, n] of r.skipped) stats.skipped.set(why, (stats.skipped.get(why) ?? 0) + n);
    opts.onProgress?.(stats.rows, stats.bytes);
  };
  try {
    for await (const c of chunks) {
      pending.push({ chunk: c, result: run(c) });
      if (pending.length >= max) await merge();
    }
    while (pending.length > 0) await merge();
  } finally {
    // A chunk failing (or a file error) leaves no promise unobserved.
    for (const p of pending) p.result.catch(() => undefined);
  }
  return stats;
}

/**
 * Sign-in log exports as an input kind (../registry.ts): each file's rows folded into records, its
 * chunks parsed by the pool's `signin-chunk` task.
 */
export const signInsSource: SignInsReader = {
  yields: 'sign-ins',
  fold: (path, fold, opts) => foldSignIns(path, fold, opts),
};
