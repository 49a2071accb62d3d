/**
 * Sign-in log exports, streamed: each file's shape is told from its first bytes, then its rows are
 * cut out one at a time (JSON arrays by the structural scanner of ../har-scan.ts, lines by a line
 * splitter, CSV by csv.ts) and reduced to SignInRow facts (row.ts). Bounded memory whatever the
 * file size. Rows that are not sign-ins are skipped and counted by reason; a file that is none of
 * the shapes is a one-line ToolError ERR_SIGNINS_INVALID.
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
import { basename } from 'node:path';
import { ToolError } from '../../core/errors.js';
import { readFileHead } from '../file-head.js';
import type { SignInsReader } from '../source.js';
import { JsonArrayScanner, type ArrayTarget } from '../har-scan.js';
import { CsvSplitter, headerKey } from './csv.js';
import {
  adminCsvColumns,
  eventTypeFromFileName,
  rowFromAdminCsv,
  rowFromObject,
  type SignInEventType,
  type SignInRow,
} from './row.js';
import { isTupleObject, rowFromTupleObject, tupleReader } from './tuples.js';

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

/** The one-line error for a file that is not a sign-in log export. */
export function invalidSignIns(file: string, what: string): ToolError {
  return new ToolError('ERR_SIGNINS_INVALID', `${file}: ${what}`);
}

/** Characters kept per JSON string of a row: sign-in fields are short; a huge one is cut. */
const STRING_CAP = 64 * 1024;
/** A line longer than this (NDJSON) is skipped as too large. */
const LINE_BUDGET = 64 * 1024 * 1024;
const HEAD_BYTES = 64 * 1024;
/** What `lines` yields when the file is not JSON lines after all. */
const NON_BLANK = /\S/;
const NOT_LINES = Symbol('not JSON lines');

/** Log Analytics CSV headers: "TimeGenerated [UTC]" -> "TimeGenerated". */
function laColumn(name: string): string {
  return name.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

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

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The sign-in rows of one export file, in order. The iterable carries `stats`, filled in as it is
 * read. Throws ToolError ERR_SIGNINS_INVALID on a file that is not an export (or ends mid-document),
 * ERR_INPUT when it cannot be read.
 */
export function readSignIns(
  path: string,
  opts: SignInReadOptions = {},
): AsyncIterable<SignInRow> & { readonly stats: SignInReadStats } {
  const stats: SignInReadStats = { shape: null, rows: 0, skipped: new Map(), bytes: 0 };
  const file = basename(path);
  const hint = eventTypeFromFileName(file);
  const skip = (why: string): void => {
    stats.skipped.set(why, (stats.skipped.get(why) ?? 0) + 1);
  };

  /** A parsed JSON value that should be one row, a page of rows or a records blob. */
  function* rowsOf(v: unknown, depth = 0): Generator<SignInRow> {
    if (Array.isArray(v) && depth === 0) {
      for (const x of v) yield* rowsOf(x, 1);
      return;
    }
    if (!isObj(v)) {
      skip('not a sign-in record');
      return;
    }
    if (depth === 0 && Array.isArray(v['value'])) {
      for (const x of v['value'] as unknown[]) yield* rowsOf(x, 1);
      return;
    }
    if (depth === 0 && Array.isArray(v['records'])) {
      for (const x of v['records'] as unknown[]) yield* rowsOf(x, 1);
      return;
    }
    let row: SignInRow | null;
    if (isTupleObject(v)) {
      stats.shape = 'fact-tuples';
      row = rowFromTupleObject(v, file);
    } else row = rowFromObject(v, hint);
    if (row === null || row.appId === null) skip('not a sign-in record (no appId)');
    else {
      stats.rows++;
      yield row;
    }
  }

  function parseText(text: string | null): unknown {
    if (text === null) {
      skip('too large');
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      skip('not JSON');
      return undefined;
    }
  }

  async function* chunks(bom: number): AsyncGenerator<string> {
    const src = createReadStream(path, {
      start: bom,
      encoding: 'utf8',
      highWaterMark: opts.chunkSize ?? 1 << 20,
    });
    try {
      for await (const chunk of src as AsyncIterable<string>) {
        stats.bytes = bom + src.bytesRead;
        yield chunk;
        opts.onProgress?.(stats.rows, stats.bytes);
      }
    } catch (err) {
      if (err instanceof ToolError) throw err;
      const code = (err as { code?: string }).code ?? String(err);
      throw new ToolError('ERR_INPUT', `${file}: cannot read (${code})`, { cause: err });
    } finally {
      src.destroy();
    }
  }

  async function* scanArray(bom: number, target: ArrayTarget): AsyncGenerator<SignInRow> {
    const scanner = new JsonArrayScanner(file, STRING_CAP, target);
    for await (const chunk of chunks(bom)) {
      for (const text of scanner.feed(chunk)) {
        const v = parseText(text);
        if (v !== undefined) yield* rowsOf(v, 1);
      }
    }
    scanner.end();
  }

  /**
   * JSON lines: each line one value (a row, a record, a page or a blob). With `strict`, the first
   * line that is not JSON ends the reading and yields NOT_LINES (the caller then scans the file as
   * one document): rows are only yielded once the first line has parsed.
   */
  async function* lines(bom: number, strict = false): AsyncGenerator<SignInRow | typeof NOT_LINES> {
    let carry: string[] = [];
    let carryLen = 0;
    let oversize = false;
    let first = true;
    const line = function* (text: string): Generator<SignInRow | typeof NOT_LINES> {
      if (!NON_BLANK.test(text)) return;
      if (strict && first) {
        first = false;
        let v: unknown;
        try {
          v = JSON.parse(text);
        } catch {
          yield NOT_LINES;
          return;
        }
        yield* rowsOf(v, 0);
        return;
      }
      const v = parseText(text);
      if (v !== undefined) yield* rowsOf(v, 0);
    };
    for await (const chunk of chunks(bom)) {
      let from = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
        if (oversize) skip('too large');
        else {
          carry.push(chunk.slice(from, nl));
          for (const r of line(carry.length === 1 ? (carry[0] as string) : carry.join(''))) {
            yield r;
            if (r === NOT_LINES) return;
          }
        }
        carry = [];
        carryLen = 0;
        oversize = false;
        from = nl + 1;
      }
      if (from < chunk.length && !oversize) {
        carryLen += chunk.length - from;
        if (carryLen > LINE_BUDGET) {
          if (strict && first) {
            yield NOT_LINES;
            return;
          }
          oversize = true;
          carry = [];
        } else carry.push(chunk.slice(from));
      }
    }
    if (oversize) skip('too large');
    else if (carryLen > 0) {
      const last = carry.join('');
      if (NON_BLANK.test(last)) {
        try {
          JSON.parse(last);
        } catch {
          if (strict && first) {
            yield NOT_LINES;
            return;
          }
          throw invalidSignIns(file, 'truncated JSON (the last line is cut off)');
        }
        yield* line(last);
      }
    }
  }

  /** Pages or blobs one per line are parsed whole (fast); a document spread over lines is scanned. */
  async function* documents(bom: number, target: ArrayTarget): AsyncGenerator<SignInRow> {
    for await (const r of lines(bom, true)) {
      if (r === NOT_LINES) {
        yield* scanArray(bom, target);
        return;
      }
      yield r;
    }
  }

  async function* csv(bom: number, shape: 'csv-admin' | 'csv-la'): AsyncGenerator<SignInRow> {
    const splitter = new CsvSplitter();
    let header: string[] | null = null;
    let tuple: ReturnType<typeof tupleReader> = null;
    let cols: ReturnType<typeof adminCsvColumns> = {};
    let csvHint: SignInEventType | null = hint;
    const record = function* (fields: string[] | null): Generator<SignInRow> {
      if (fields === null) {
        skip(header ? 'too large' : 'header too large');
        return;
      }
      if (header === null) {
        header = fields;
        if (shape === 'csv-admin') {
          cols = adminCsvColumns(fields);
          if (cols.appId === undefined)
            throw invalidSignIns(file, 'CSV without an "Application ID" column');
          if (
            csvHint === null &&
            cols.servicePrincipal !== undefined &&
            cols.userType === undefined
          )
            csvHint = 'servicePrincipal';
        } else {
          header = fields.map(laColumn);
          if (!header.some((h) => h.toLowerCase() === 'appid'))
            throw invalidSignIns(file, 'CSV without an "AppId" column');
          tuple = tupleReader(header, file);
          if (tuple) stats.shape = 'fact-tuples';
        }
        return;
      }
      if (fields.length !== header.length) {
        skip(`a row with ${fields.length} of ${header.length} columns`);
        return;
      }
      let row: SignInRow | null;
      if (shape === 'csv-admin') row = rowFromAdminCsv(cols, fields, csvHint);
      else if (tuple) row = tuple(fields);
      else {
        const o: Obj = {};
        header.forEach((h, i) => {
          if (!(h in o)) o[h] = fields[i];
        });
        row = rowFromObject(o, hint);
      }
      if (row === null || row.appId === null) skip('not a sign-in record (no appId)');
      else {
        stats.rows++;
        yield row;
      }
    };
    for await (const chunk of chunks(bom)) {
      for (const fields of splitter.feed(chunk)) yield* record(fields);
    }
    const end = splitter.end();
    if (end.unterminatedQuote)
      throw invalidSignIns(file, 'truncated CSV (ends inside a quoted field)');
    for (const fields of end.records) yield* record(fields);
    if (header === null) throw invalidSignIns(file, 'empty CSV');
  }

  async function* laApi(bom: number): AsyncGenerator<SignInRow> {
    const parts: string[] = [];
    let len = 0;
    for await (const chunk of chunks(bom)) {
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
    const tables = isObj(doc) && Array.isArray(doc['tables']) ? (doc['tables'] as unknown[]) : [];
    for (const t of tables) {
      if (!isObj(t) || !Array.isArray(t['columns']) || !Array.isArray(t['rows'])) continue;
      const names = (t['columns'] as unknown[]).map((c) =>
        isObj(c) && typeof c['name'] === 'string' ? c['name'] : '',
      );
      const tuple = tupleReader(names, file);
      if (tuple) stats.shape = 'fact-tuples';
      for (const r of t['rows'] as unknown[]) {
        if (!Array.isArray(r)) {
          skip('not a sign-in record');
          continue;
        }
        if (tuple) {
          const row = tuple(r);
          if (row === null) skip('not a sign-in record (no appId)');
          else {
            stats.rows++;
            yield row;
          }
          continue;
        }
        const o: Obj = {};
        names.forEach((n, i) => {
          if (n && !(n in o)) o[n] = r[i];
        });
        yield* rowsOf(o, 1);
      }
    }
  }

  async function* gen(): AsyncGenerator<SignInRow> {
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
        for await (const r of lines(bom)) if (r !== NOT_LINES) yield r;
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
  return { stats, [Symbol.asyncIterator]: () => it };
}

/** Sign-in log exports as an input kind (../registry.ts): rows folded into records. */
export const signInsSource: SignInsReader = {
  yields: 'sign-ins',
  read: (path, onRead) => readSignIns(path, onRead ? { onProgress: onRead } : {}),
};
