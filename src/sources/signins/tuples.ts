/**
 * The fact-tuple table: what the `kql` query (kql.ts) returns, exported from Log Analytics,
 * Sentinel or Data Explorer as CSV, as a JSON array of rows, or as the Log Analytics query API's
 * `tables[].columns/rows`. It is told from its columns (the tuple's count and app id), and each
 * tuple becomes one weighted sign-in row (its `count` and `tally`), which the fold adds like any
 * row (fold.ts): the same records, verdicts and findings as the rows it stands for.
 *
 * A tuple carries no correlation id (the query never reads one), so a tuple table joins no
 * captured exchange.
 */
import { ToolError } from '../../core/errors.js';
import { factTupleColumns, rowFromTuple } from './kql.js';
import type { SignInRow } from './row.js';

/** Log Analytics CSV headers carry the type: "FirstSeen [UTC]" -> "FirstSeen". */
export function laColumn(name: string): string {
  return name.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

/**
 * A reader of positional tuples (CSV fields, query API rows) under these column names, or null
 * when the columns are not a fact-tuple table's (no count column: a raw export). The reader gives
 * null for a tuple without an app id (skipped by the caller, like a row without one). Throws
 * ERR_SIGNINS_INVALID, naming `file`, for a count column without the rest of the tuple columns:
 * read as raw rows, each tuple would count as one sign-in.
 */
export function tupleReader(
  columns: readonly string[],
  file = 'input',
): ((cells: readonly unknown[]) => SignInRow | null) | null {
  const names = columns.map(laColumn);
  const verdict = factTupleColumns(names);
  if (verdict === 'no') return null;
  if (verdict !== 'yes')
    throw new ToolError(
      'ERR_SIGNINS_INVALID',
      `${file}: a fact-tuple table (it has SignIns) without the columns ${verdict.join(', ')}; export every column of the query \`entra-bas-proxy kql\` prints`,
    );
  const at = new Map<string, number>();
  names.forEach((n, i) => {
    const k = n.toLowerCase();
    if (!at.has(k)) at.set(k, i);
  });
  return (cells) =>
    rowFromTuple((column) => {
      const i = at.get(column.toLowerCase());
      return i === undefined ? undefined : cells[i];
    });
}

/** A JSON row object (an exported array of rows, JSON lines) that claims to be a fact tuple. */
export function isTupleObject(o: Record<string, unknown>): boolean {
  // The count column: a raw sign-in row fails here at the cost of a few lookups.
  return 'SignIns' in o || 'signIns' in o || 'signins' in o || 'SIGNINS' in o;
}

/** The reader of the latest column set (set only once tupleReader accepted it). */
let last: { columns: string | null; read: ReturnType<typeof tupleReader> } = {
  columns: null,
  read: null,
};

/**
 * One JSON row object of a fact-tuple table -> its weighted sign-in row (null: no app id). Throws
 * ERR_SIGNINS_INVALID when it lacks tuple columns (see tupleReader).
 */
export function rowFromTupleObject(o: Record<string, unknown>, file = 'input'): SignInRow | null {
  const keys = Object.keys(o);
  // The rows of one table share their columns: the reader is made once per column set.
  const columns = keys.join('\u0000');
  if (columns !== last.columns) last = { columns, read: tupleReader(keys, file) };
  return last.read === null ? null : last.read(keys.map((k) => o[k]));
}
