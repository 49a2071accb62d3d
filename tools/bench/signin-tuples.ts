/**
 * What the `kql` query returns, computed here over generated Log Analytics rows (signin-gen.ts
 * `laRow`): a stand-in for the query engine, for the equivalence test and the reduction benchmark.
 * Each tuple column of the query (src/sources/signins/kql.ts FACTS) has its engine semantics
 * mirrored below, by name: a fact added to the query without a mirror here throws, so the
 * equivalence test cannot pass by leaving it out.
 *
 * Engine semantics mirrored: `tostring(column_ifexists(C, ""))` is the column's text or "";
 * `tolong` of a non-number is null (so not a failure); `=~` / `!in~` ignore case; `make_set_if` of
 * hour bins; `arg_max` over the rows that have a name.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import {
  LIBRARY_MAX,
  LIBRARY_PATTERN,
  SIGN_IN_FREQUENCY_PATTERN,
} from '../../src/sources/signins/row.js';
import { FACTS, TUPLE_COLUMNS } from '../../src/sources/signins/kql.js';

type Row = Record<string, unknown>;
export type Tuple = Record<string, string | number | boolean | string[] | null>;

const LIBRARY = new RegExp(LIBRARY_PATTERN);
const SIF = new RegExp(SIGN_IN_FREQUENCY_PATTERN, 'i');
const EXPIRATION = /"expirationRequirement"\s*:\s*"([^"]*)"/gi;

/** tostring(column_ifexists(name, "")) */
function text(r: Row, name: string): string {
  const v = r[name];
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function tolong(s: string): number | null {
  return /^\s*-?\d+\s*$/.test(s) ? Number(s) : null;
}

/** The `by` columns of one row, as the engine computes them. */
const GROUP: Readonly<Record<string, (r: Row) => string | boolean>> = {
  SignInTable: (r) => text(r, 'Type'),
  AppId: (r) => text(r, 'AppId').toLowerCase(),
  AuthenticationProtocol: (r) => text(r, 'AuthenticationProtocol'),
  OriginalTransferMethod: (r) => text(r, 'OriginalTransferMethod'),
  ClientAppUsed: (r) => text(r, 'ClientAppUsed'),
  ClientCredentialType: (r) => text(r, 'ClientCredentialType'),
  Guest: (r) => {
    const cta = text(r, 'CrossTenantAccessType').toLowerCase();
    const home = text(r, 'HomeTenantId');
    const res = text(r, 'ResourceTenantId');
    return (
      !['', 'none', 'unknownfuturevalue'].includes(cta) ||
      text(r, 'UserType').toLowerCase() === 'guest' ||
      (home !== '' && res !== '' && home.toLowerCase() !== res.toLowerCase())
    );
  },
  ResourceTenantId: (r) => text(r, 'ResourceTenantId').toLowerCase(),
  SignInFrequency: (r) => {
    const values = [...text(r, 'SessionLifetimePolicies').matchAll(EXPIRATION)].map((m) => m[1]);
    return SIF.test(JSON.stringify(values));
  },
  Library: (r) =>
    LIBRARY.exec(text(r, 'AuthenticationProcessingDetails'))?.[1]?.slice(0, LIBRARY_MAX) ?? '',
};

interface Acc {
  readonly key: Record<string, string | boolean>;
  name: string;
  nameAt: string;
  signIns: number;
  bas: number;
  failed: number;
  first: string;
  last: string;
  readonly basHours: Set<string>;
  readonly failedHours: Set<string>;
}

const MEASURES = [
  'AppDisplayName',
  'SignIns',
  'BasIssued',
  'Failed',
  'FirstSeen',
  'LastSeen',
  'BasHours',
  'FailedHours',
];

function check(): void {
  for (const f of FACTS) {
    if (f.kind === 'group' ? !(f.column in GROUP) : !MEASURES.includes(f.column))
      throw new Error(`signin-tuples.ts has no engine mirror of the kql fact ${f.column}`);
  }
}

/** Summarize Log Analytics rows the way the `kql` query does: its tuples, in first-seen order. */
export class TupleEngine {
  private readonly groups = new Map<string, Acc>();
  rows = 0;

  constructor() {
    check();
  }

  add(r: Row): void {
    const key: Record<string, string | boolean> = {};
    for (const [c, f] of Object.entries(GROUP)) key[c] = f(r);
    if (key['AppId'] === '') return;
    this.rows++;
    const k = JSON.stringify(key);
    const time = new Date(text(r, 'TimeGenerated')).toISOString();
    let g = this.groups.get(k);
    if (!g) {
      g = {
        key,
        name: '',
        nameAt: '',
        signIns: 0,
        bas: 0,
        failed: 0,
        first: time,
        last: time,
        basHours: new Set(),
        failedHours: new Set(),
      };
      this.groups.set(k, g);
    }
    const name = text(r, 'AppDisplayName') || text(r, 'ServicePrincipalName');
    if (name !== '' && time >= g.nameAt) {
      g.name = name;
      g.nameAt = time;
    }
    const bas = text(r, 'TokenIssuerType').toLowerCase() === 'azureadbackupauth';
    const code = tolong(text(r, 'ResultType'));
    const failed = code !== null && code !== 0;
    const hour = `${time.slice(0, 13)}:00:00Z`;
    g.signIns++;
    if (bas) {
      g.bas++;
      g.basHours.add(hour);
    }
    if (failed) {
      g.failed++;
      g.failedHours.add(hour);
    }
    if (time < g.first) g.first = time;
    if (time > g.last) g.last = time;
  }

  get size(): number {
    return this.groups.size;
  }

  tuples(): Tuple[] {
    const out: Tuple[] = [];
    for (const g of this.groups.values()) {
      out.push({
        ...g.key,
        AppDisplayName: g.name,
        SignIns: g.signIns,
        BasIssued: g.bas,
        Failed: g.failed,
        FirstSeen: g.first,
        LastSeen: g.last,
        BasHours: [...g.basHours],
        FailedHours: [...g.failedHours],
      });
    }
    out.sort((a, b) => String(a['FirstSeen']).localeCompare(String(b['FirstSeen'])));
    // The query's column order.
    return out.map((t) => Object.fromEntries(TUPLE_COLUMNS.map((c) => [c, t[c] ?? null])));
  }
}

async function write(out: WriteStream, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain');
}

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const KUSTO_TYPE: Readonly<Record<string, string>> = {
  Guest: 'bool',
  SignInFrequency: 'bool',
  SignIns: 'long',
  BasIssued: 'long',
  Failed: 'long',
  FirstSeen: 'datetime',
  LastSeen: 'datetime',
  BasHours: 'dynamic',
  FailedHours: 'dynamic',
};

/**
 * The tuple table as a user exports it: `csv` (the portal's CSV export: "FirstSeen [UTC]"
 * headers, dynamic columns as JSON text), `json` (an array of row objects) or `la-api` (the Log
 * Analytics query API response, `tables[].columns/rows`, dynamic values as JSON text).
 */
export async function writeTuples(
  path: string,
  tuples: readonly Tuple[],
  format: 'csv' | 'json' | 'la-api',
): Promise<void> {
  const out = createWriteStream(path);
  if (format === 'csv') {
    await write(
      out,
      `${TUPLE_COLUMNS.map((c) => (KUSTO_TYPE[c] === 'datetime' ? `${c} [UTC]` : c)).join(',')}\n`,
    );
    for (const t of tuples)
      await write(out, `${TUPLE_COLUMNS.map((c) => csvField(t[c])).join(',')}\n`);
  } else if (format === 'json') {
    await write(out, JSON.stringify(tuples));
  } else {
    await write(
      out,
      JSON.stringify({
        tables: [
          {
            name: 'PrimaryResult',
            columns: TUPLE_COLUMNS.map((c) => ({ name: c, type: KUSTO_TYPE[c] ?? 'string' })),
            rows: tuples.map((t) =>
              TUPLE_COLUMNS.map((c) => {
                const v = t[c];
                return Array.isArray(v) ? JSON.stringify(v) : v;
              }),
            ),
          },
        ],
      }),
    );
  }
  out.end();
  await once(out, 'finish');
}
