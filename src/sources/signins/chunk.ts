/**
 * The pure, CPU-heavy part of reading a sign-in export: one chunk of a file, cut at record
 * boundaries by read.ts (this thread), parsed and folded here. It is the pool's `signin-chunk` task
 * (src/session/tasks.ts): input and output are structured-cloneable, and the worker and this thread
 * run the same function, so the result is the same whatever the number of workers.
 *
 * Modes:
 * - `lines`: UTF-8 bytes of whole lines, each one JSON value (a row, a diagnostic record, a Graph
 *   page or a records blob); `last`: the bytes are the file's unterminated last line;
 * - `texts`: the JSON texts of array elements cut out by the structural scanner (null: too large);
 * - `values`: row objects already parsed (a Log Analytics query API response);
 * - `csv-admin` / `csv-la`: UTF-8 bytes of whole CSV records, with the file's header.
 */
import { isAscii } from 'node:buffer';
import { CsvSplitter } from './csv.js';
import { isTupleObject, rowFromTupleObject, tupleReader } from './tuples.js';
import { foldChunk, type SignInFoldPart } from './fold.js';
import {
  adminCsvColumns,
  isObj,
  rowFromAdminCsv,
  rowFromObject,
  type Obj,
  type SignInEventType,
  type SignInRow,
} from './row.js';

export type SignInChunkMode = 'lines' | 'texts' | 'values' | 'csv-admin' | 'csv-la';

export interface SignInChunk {
  readonly mode: SignInChunkMode;
  /** The event type the file's name tells, when a row does not. */
  readonly hint: SignInEventType | null;
  readonly bytes?: Uint8Array;
  readonly texts?: readonly (string | null)[];
  readonly values?: readonly unknown[];
  /** csv-*: the header's fields (csv-la: column names without their "[UTC]" suffix). */
  readonly header?: readonly string[];
  /** lines: the bytes are the file's last line, without a line end. */
  readonly last?: boolean;
  /** The file's name, for a one-line error about it (a fact-tuple table missing columns). */
  readonly file?: string;
}

export interface SignInChunkResult {
  readonly part: SignInFoldPart;
  /** Rows skipped, by reason. */
  readonly skipped: readonly (readonly [string, number])[];
  /** lines with `last`: the last line is not JSON (the file is cut off). */
  readonly truncated: boolean;
  /** Rows of a fact-tuple table (the `kql` query's result, tuples.ts) were among them. */
  readonly tuples: boolean;
}

const NON_BLANK = /\S/;

function buffer(bytes: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** UTF-8 bytes as text; ASCII (most exports) read as Latin-1: the same text at a third of the cost. */
function text(bytes: Uint8Array | undefined): string {
  const b = buffer(bytes);
  return b.toString(isAscii(b) ? 'latin1' : 'utf8');
}

/** The array a JSON value's rows are in: a page's `value`, else a blob's `records` (else null). */
function rowArray(v: unknown): unknown[] | null {
  if (!isObj(v)) return null;
  const a = Array.isArray(v['value']) ? v['value'] : v['records'];
  return Array.isArray(a) ? (a as unknown[]) : null;
}

/** Bytes of a page's records parsed at a time (about 16 Graph records). */
const GROUP_BYTES = 32 * 1024;
const ARRAY_KEY = /"(?:value|records)":\[/;
/** A record's opening `{"k1":"v1","k2":`, e.g. `{"id":"…","createdDateTime":`. */
const OPENING = /^\{("[^"\\]+":")[^"\\]*(","[^"\\]+":)/;
const LF = 0x0a;

/**
 * The rows of a Graph page or records blob on one line, b[from, to), to `each`, its records parsed
 * a group at a time; false (nothing given) when the line is not one to cut: then it is parsed
 * whole. A pool worker's young generation is small (pool.ts): a whole 2 MB page's objects, and its
 * text, outlive it and are promoted and marked (a third of the CPU); a group's die young. Groups end
 * where the next record opens as the first one does (a native search), and the rows are
 * JSON.parse's whatever it finds:
 * - the line with the array emptied parses to a JSON value whose rows are [] (rowArray), and with
 *   `1` put in it to [1]: the array is where the rows are (not in a string, not nested);
 * - each group, a non-empty run of the array's text between commas, parses as an array: then the
 *   whole array parses to their elements in order. A group that does not throws (the line is not
 *   JSON, or a group edge was inside a record): signInChunk then reads the chunk again, whole.
 */
export function pageRows(
  b: Buffer,
  from: number,
  to: number,
  enc: BufferEncoding,
  each: (x: unknown) => void,
): boolean {
  // Latin-1: one character per byte, so indexes in these texts are offsets in b.
  const key = ARRAY_KEY.exec(b.toString('latin1', from, Math.min(to, from + 4096)));
  if (key === null) return false;
  const start = from + key.index + key[0].length;
  const end = b.lastIndexOf(']', to - 1);
  const m = OPENING.exec(b.toString('latin1', start, Math.min(to, start + 512)));
  if (end < start || m === null) return false;
  const head = b.toString(enc, from, start);
  const tail = b.toString(enc, end, to);
  try {
    const empty = rowArray(JSON.parse(head + tail));
    const one = rowArray(JSON.parse(`${head}1${tail}`));
    if (empty?.length !== 0 || one?.length !== 1 || one[0] !== 1) return false;
  } catch {
    return false;
  }
  const open = `},{${m[1] ?? ''}`;
  const next = m[2] ?? '';
  for (let at = start; at < end;) {
    let stop = end;
    // (Latin-1: byte for character, as the texts these were cut from.)
    for (
      let i = b.indexOf(open, at + GROUP_BYTES, 'latin1');
      i >= 0 && i < end;
      i = b.indexOf(open, i + 1, 'latin1')
    ) {
      const q = b.indexOf('"', i + open.length);
      if (q >= 0 && b.toString('latin1', q, q + next.length) === next) {
        stop = i + 1;
        break;
      }
    }
    for (const x of JSON.parse(`[${b.toString(enc, at, stop)}]`) as unknown[]) each(x);
    at = stop + 1;
  }
  return true;
}

/**
 * The rows of a chunk, in order, to `add`; rows that are not sign-ins to `skip` with a reason.
 * Returns whether the chunk is a truncated last line. `whole`: each line parsed whole (else a long
 * page's records a group at a time, pageRows: which throws when a group does not parse).
 */
export function chunkRows(
  c: SignInChunk,
  add: (row: SignInRow) => void,
  skip: (why: string) => void,
  whole = true,
): boolean {
  const hint = c.hint;

  /** An element of a page, a blob or an array of rows. */
  const one = (x: unknown): void => {
    if (!isObj(x)) return skip('not a sign-in record');
    const row = isTupleObject(x) ? rowFromTupleObject(x, c.file) : rowFromObject(x, hint);
    if (row === null || row.appId === null) skip('not a sign-in record (no appId)');
    else add(row);
  };
  /** A parsed JSON value that should be one row, a page of rows or a records blob. */
  const rowsOf = (v: unknown, depth: number): void => {
    const list = depth > 0 ? null : Array.isArray(v) ? v : rowArray(v);
    if (list === null) one(v);
    else for (const x of list as unknown[]) one(x);
  };

  switch (c.mode) {
    case 'lines': {
      const b = buffer(c.bytes);
      // ASCII (most exports) read as Latin-1: the same text at a third of the cost.
      const enc = isAscii(b) ? 'latin1' : 'utf8';
      let from = 0;
      while (from < b.length) {
        let nl = b.indexOf(LF, from);
        if (nl < 0) nl = b.length;
        const at = from;
        from = nl + 1;
        if (!whole && nl - at > 4 * GROUP_BYTES && pageRows(b, at, nl, enc, one)) continue;
        const line = b.toString(enc, at, nl);
        if (!NON_BLANK.test(line)) continue;
        let v: unknown;
        try {
          v = JSON.parse(line) as unknown;
        } catch {
          if (c.last === true && from >= b.length) return true;
          skip('not JSON');
          continue;
        }
        rowsOf(v, 0);
      }
      return false;
    }
    case 'texts':
      for (const t of c.texts ?? []) {
        if (t === null) {
          skip('too large');
          continue;
        }
        let v: unknown;
        try {
          v = JSON.parse(t) as unknown;
        } catch {
          skip('not JSON');
          continue;
        }
        rowsOf(v, 1);
      }
      return false;
    case 'values':
      for (const v of c.values ?? []) rowsOf(v, 1);
      return false;
    case 'csv-admin':
    case 'csv-la':
      csvRows(c, add, skip);
      return false;
  }
}

function csvRows(c: SignInChunk, add: (row: SignInRow) => void, skip: (why: string) => void): void {
  const header = c.header ?? [];
  const splitter = new CsvSplitter(false);
  let map: (fields: string[]) => SignInRow | null;
  const tuple = c.mode === 'csv-la' ? tupleReader(header, c.file) : null;
  if (tuple) map = tuple;
  else if (c.mode === 'csv-admin') {
    const cols = adminCsvColumns(header);
    const hint =
      c.hint === null && cols.servicePrincipal !== undefined && cols.userType === undefined
        ? 'servicePrincipal'
        : c.hint;
    // Only the columns the mapping reads are cut out of each line.
    splitter.select(Object.values(cols));
    map = (fields) => rowFromAdminCsv(cols, fields, hint);
  } else {
    map = (fields) => {
      const o: Obj = {};
      header.forEach((h, i) => {
        if (!(h in o)) o[h] = fields[i];
      });
      return rowFromObject(o, c.hint);
    };
  }
  const record = (fields: string[] | null): void => {
    if (fields === null) {
      skip('too large');
      return;
    }
    if (fields.length !== header.length) {
      skip(`a row with ${fields.length} of ${header.length} columns`);
      return;
    }
    const row = map(fields);
    if (row === null || row.appId === null) skip('not a sign-in record (no appId)');
    else add(row);
  };
  splitter.each(text(c.bytes), record);
  for (const fields of splitter.end().records) record(fields);
}

/** The `signin-chunk` task: a chunk -> its fold part and skip counts. */
export function signInChunk(c: SignInChunk): SignInChunkResult {
  try {
    return foldRows(c, false);
  } catch {
    // A page's group that does not parse (the page is not JSON), or a row that throws: the chunk is
    // read again from the start, each line whole, as the one-by-one reading does (readSignIns).
    return foldRows(c, true);
  }
}

function foldRows(c: SignInChunk, whole: boolean): SignInChunkResult {
  const skipped = new Map<string, number>();
  let truncated = false;
  let tuples = false;
  const part = foldChunk((add) => {
    truncated = chunkRows(
      c,
      (row) => {
        if (row.tally !== undefined) tuples = true;
        add(row);
      },
      (why) => skipped.set(why, (skipped.get(why) ?? 0) + 1),
      whole,
    );
  });
  return { part, skipped: [...skipped], truncated, tuples };
}
