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

/** UTF-8 bytes as text; ASCII (most exports) read as Latin-1: the same text at a third of the cost. */
function text(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.toString(isAscii(b) ? 'latin1' : 'utf8');
}

/**
 * The rows of a chunk, in order, to `add`; rows that are not sign-ins to `skip` with a reason.
 * Returns whether the chunk is a truncated last line.
 */
export function chunkRows(
  c: SignInChunk,
  add: (row: SignInRow) => void,
  skip: (why: string) => void,
): boolean {
  const hint = c.hint;

  /** A parsed JSON value that should be one row, a page of rows or a records blob. */
  const rowsOf = (v: unknown, depth: number): void => {
    if (Array.isArray(v) && depth === 0) {
      for (const x of v) rowsOf(x, 1);
      return;
    }
    if (!isObj(v)) {
      skip('not a sign-in record');
      return;
    }
    if (depth === 0 && Array.isArray(v['value'])) {
      for (const x of v['value'] as unknown[]) rowsOf(x, 1);
      return;
    }
    if (depth === 0 && Array.isArray(v['records'])) {
      for (const x of v['records'] as unknown[]) rowsOf(x, 1);
      return;
    }
    const row = isTupleObject(v) ? rowFromTupleObject(v, c.file) : rowFromObject(v, hint);
    if (row === null || row.appId === null) skip('not a sign-in record (no appId)');
    else add(row);
  };

  switch (c.mode) {
    case 'lines': {
      const s = text(c.bytes ?? new Uint8Array(0));
      let from = 0;
      while (from < s.length) {
        let nl = s.indexOf('\n', from);
        if (nl < 0) nl = s.length;
        const line = s.slice(from, nl);
        from = nl + 1;
        if (!NON_BLANK.test(line)) continue;
        let v: unknown;
        try {
          v = JSON.parse(line) as unknown;
        } catch {
          if (c.last === true && from >= s.length) return true;
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
  splitter.each(text(c.bytes ?? new Uint8Array(0)), record);
  for (const fields of splitter.end().records) record(fields);
}

/** The `signin-chunk` task: a chunk -> its fold part and skip counts. */
export function signInChunk(c: SignInChunk): SignInChunkResult {
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
    );
  });
  return { part, skipped: [...skipped], truncated, tuples };
}
