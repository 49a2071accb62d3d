/**
 * The sign-in facts as a query engine computes them: `entra-bas-proxy kql` prints a KQL query
 * that reads the four Entra sign-in tables of a Log Analytics workspace (Sentinel's too) or of an
 * Azure Data Explorer database, and summarizes them by exactly the facts the BAS rules read. A
 * hundred million rows come back as a small table of fact tuples, which `classify` reads
 * (tuples.ts) and folds like rows (fold.ts): the rules stay here, only the aggregation moves.
 *
 * One declaration, FACTS below, is the whole mapping: each fact names its tuple column, the
 * source columns it reads (with `column_ifexists` where a table may lack them), how the engine
 * normalizes them, and which SignInRow field (or tally) it feeds. The query and the tuple reader
 * are both derived from it, so a new fact is one entry. The normalizing patterns (library,
 * sign-in frequency, the event type of a table) are row.ts's own.
 *
 * Never read: user names, UPNs, user/device/session ids, IP addresses, locations, correlation ids
 * (CONTRACT "Never in any output"); the tenant ids are read only inside the guest test.
 *
 * Sources: the four tables' columns, azure-reference-other
 * `azure-monitor-ref/tables/includes/{signinlogs,aadnoninteractiveusersigninlogs,
 * aadserviceprincipalsigninlogs,aadmanagedidentitysigninlogs}-include.md` (test fixture
 * test/fixtures/kql/signin-tables.json); shared/reference/signin-logs.md §3.4.
 */
import {
  LIBRARY_MAX,
  LIBRARY_PATTERN,
  SIGN_IN_FREQUENCY_PATTERN,
  bool,
  displayName,
  eventTypeOf,
  int,
  isoTime,
  list,
  str,
  token,
  type SignInRow,
  type SignInTally,
} from './row.js';

/** The four Log Analytics / Data Explorer tables of Entra sign-ins, in the query's order. */
export const SIGNIN_TABLES = [
  'SigninLogs',
  'AADNonInteractiveUserSignInLogs',
  'AADServicePrincipalSignInLogs',
  'AADManagedIdentitySignInLogs',
] as const;
export type SignInTable = (typeof SIGNIN_TABLES)[number];

export const KQL_DEFAULT_DAYS = 30;
/** Log Analytics keeps data up to 12 years; a longer window is a typo. */
export const KQL_MAX_DAYS = 4383;

export interface KqlOptions {
  /** The window: sign-ins of the last N days (default 30). */
  readonly days?: number;
  /** The tables to read (default all four). */
  readonly tables?: readonly SignInTable[];
  /**
   * The Azure Data Explorer variant: tables of the same names whose schema this tool cannot
   * know (ingested through an Event Hub, or exported from a workspace), so every column is read
   * through `column_ifexists` and the time falls back from TimeGenerated (Log Analytics' ingestion
   * column, absent unless the ingestion mapping writes it) to CreatedDateTime, then to the
   * record's ingestion time.
   */
  readonly adx?: boolean;
}

/** The columns every one of the four tables documents, read directly in Log Analytics. */
const COMMON_COLUMNS = { TimeGenerated: 'datetime', AppId: 'string', ResultType: 'string' };

interface Ctx {
  readonly adx: boolean;
  readonly days: number;
  /** A source column as a string: direct where every table has it (Log Analytics), else column_ifexists. */
  col(name: string): string;
}

/** A value of a tuple column, as the export gave it (CSV text, JSON value). */
type Cell = unknown;

type RowField = Exclude<keyof SignInRow, 'tally'>;

/** What a fact feeds: a field of the row, or of its tally. */
type Feeds =
  | { readonly row: RowField; read(v: Cell): unknown }
  | { readonly tally: keyof SignInTally; read(v: Cell): unknown };

interface Fact {
  /** The tuple column (PascalCase, as the engine exports it). */
  readonly column: string;
  /** Source columns it reads (kept for the schema test and the privacy test). */
  readonly reads: readonly string[];
  /** `group`: a `by` column; `measure`: an aggregate of the group. */
  readonly kind: 'group' | 'measure';
  /** What the aggregate assigns, when more than its column (arg_max also names its argument). */
  readonly as?: string;
  readonly kql: (c: Ctx) => string;
  readonly feeds: Feeds;
}

/** A verbatim KQL string literal (quotes doubled). */
function verbatim(s: string): string {
  return `@"${s.replaceAll('"', '""')}"`;
}

/** A time cell: text from an export, or a Date from a query client (@azure/monitor-query-logs). */
function time(v: Cell): string | null {
  return v instanceof Date ? (Number.isNaN(v.getTime()) ? null : v.toISOString()) : isoTime(v);
}

/** Hours as the fold keeps them: `YYYY-MM-DDTHH`. */
function hours(v: Cell): string[] {
  const out: string[] = [];
  for (const h of list(v)) {
    const t = time(h);
    if (t !== null) out.push(t.slice(0, 13));
  }
  return out;
}

function count(v: Cell): number {
  const n = int(v);
  return n !== null && n > 0 ? n : 0;
}

/**
 * Per-row values the measures aggregate, computed once in the engine: the sign-in's time, whether
 * BAS issued it (row.ts `issuer` = azureadbackupauth), whether it failed (errorCode other than 0),
 * and the app's name (service-principal and managed-identity tables name it ServicePrincipalName).
 */
const ROW_VALUES: readonly { name: string; reads: readonly string[]; kql: (c: Ctx) => string }[] = [
  {
    name: 'SignInTime',
    reads: ['TimeGenerated', 'CreatedDateTime'],
    kql: (c) =>
      c.adx
        ? 'coalesce(todatetime(column_ifexists("TimeGenerated", "")), todatetime(column_ifexists("CreatedDateTime", "")), ingestion_time())'
        : 'TimeGenerated',
  },
  {
    name: 'IsBas',
    reads: ['TokenIssuerType'],
    kql: (c) => `${c.col('TokenIssuerType')} =~ "AzureADBackupAuth"`,
  },
  {
    name: 'IsFailed',
    reads: ['ResultType'],
    kql: (c) => `tolong(${c.col('ResultType')}) != 0`,
  },
  {
    name: 'AppName',
    reads: ['AppDisplayName', 'ServicePrincipalName'],
    kql: (c) => `coalesce(${c.col('AppDisplayName')}, ${c.col('ServicePrincipalName')})`,
  },
];

/** A `by` column read from the source column of the same name, as a token (row.ts `token`). */
function direct(column: string, row: RowField): Fact {
  return {
    column,
    reads: [column],
    kind: 'group',
    kql: (c) => c.col(column),
    feeds: { row, read: token },
  };
}

/** An aggregate of the group, of the per-row values (ROW_VALUES) only. */
function measure(column: string, kql: (c: Ctx) => string, feeds: Feeds): Fact {
  return { column, reads: [], kind: 'measure', kql, feeds };
}

/** The facts: every `by` column and aggregate of the query, and what each feeds on this side. */
export const FACTS: readonly Fact[] = [
  {
    column: 'SignInTable',
    reads: [],
    kind: 'group',
    // The table a row came from tells its event type (row.ts eventTypeOf knows the table names).
    kql: () => 'table_name',
    feeds: { row: 'eventType', read: (v) => eventTypeOf(v) ?? 'unknown' },
  },
  {
    column: 'AppId',
    reads: ['AppId'],
    kind: 'group',
    kql: (c) => `tolower(${c.col('AppId')})`,
    feeds: { row: 'appId', read: (v) => str(v)?.toLowerCase() ?? null },
  },
  direct('AuthenticationProtocol', 'protocol'),
  direct('OriginalTransferMethod', 'transferMethod'),
  direct('ClientAppUsed', 'clientApp'),
  direct('ClientCredentialType', 'credential'),
  {
    // facts.ts isGuest, in the engine: a cross-tenant access type other than none, a guest user
    // type, or a home tenant other than the resource tenant. The tenant ids stay in the engine.
    column: 'Guest',
    reads: ['CrossTenantAccessType', 'UserType', 'HomeTenantId', 'ResourceTenantId'],
    kind: 'group',
    kql: (c) =>
      `${c.col('CrossTenantAccessType')} !in~ ("", "none", "unknownFutureValue") or ${c.col('UserType')} =~ "guest" or (isnotempty(${c.col('HomeTenantId')}) and isnotempty(${c.col('ResourceTenantId')}) and ${c.col('HomeTenantId')} !~ ${c.col('ResourceTenantId')})`,
    feeds: { row: 'guest', read: (v) => bool(v) === true },
  },
  {
    column: 'ResourceTenantId',
    reads: ['ResourceTenantId'],
    kind: 'group',
    kql: (c) => `tolower(${c.col('ResourceTenantId')})`,
    feeds: { row: 'resourceTenant', read: (v) => str(v)?.toLowerCase() ?? null },
  },
  {
    // row.ts frequencyOf: an expirationRequirement of a sign-in frequency control.
    column: 'SignInFrequency',
    reads: ['SessionLifetimePolicies'],
    kind: 'group',
    kql: (c) =>
      `tostring(extract_all(${verbatim('(?i)"expirationRequirement"\\s*:\\s*"([^"]*)"')}, ${c.col('SessionLifetimePolicies')})) matches regex ${verbatim(`(?i)${SIGN_IN_FREQUENCY_PATTERN}`)}`,
    feeds: { row: 'signInFrequency', read: (v) => bool(v) === true },
  },
  {
    // row.ts libraryOf: "MSAL.NET 4.61.3" out of authenticationProcessingDetails.
    column: 'Library',
    reads: ['AuthenticationProcessingDetails'],
    kind: 'group',
    kql: (c) =>
      `substring(extract(${verbatim(LIBRARY_PATTERN)}, 1, ${c.col('AuthenticationProcessingDetails')}), 0, ${LIBRARY_MAX})`,
    feeds: { row: 'library', read: (v) => str(v)?.slice(0, LIBRARY_MAX) ?? null },
  },
  {
    // The latest name the app signed in under (renames happen).
    column: 'AppDisplayName',
    reads: [],
    kind: 'measure',
    as: '(NameSeen, AppDisplayName)',
    kql: () => 'arg_max(iff(isnotempty(AppName), SignInTime, datetime(null)), AppName)',
    feeds: { row: 'appName', read: displayName },
  },
  measure('SignIns', () => 'count()', { row: 'count', read: count }),
  measure('BasIssued', () => 'countif(IsBas)', { tally: 'basIssued', read: count }),
  measure('Failed', () => 'countif(IsFailed)', { tally: 'failed', read: count }),
  measure('FirstSeen', () => 'min(SignInTime)', { tally: 'firstSeen', read: time }),
  measure('LastSeen', () => 'max(SignInTime)', { tally: 'lastSeen', read: time }),
  measure('BasHours', (c) => `make_set_if(bin(SignInTime, 1h), IsBas, ${hourCap(c)})`, {
    tally: 'basHours',
    read: hours,
  }),
  measure('FailedHours', (c) => `make_set_if(bin(SignInTime, 1h), IsFailed, ${hourCap(c)})`, {
    tally: 'failedHours',
    read: hours,
  }),
];

/** Every hour of the window fits (the fold keeps the latest 200). */
function hourCap(c: Ctx): number {
  return c.days * 24 + 24;
}

/** The tuple table's columns, in the query's output order. */
export const TUPLE_COLUMNS: readonly string[] = FACTS.map((f) => f.column);

/** Source columns the query reads, for the schema and privacy tests. */
export function columnsRead(): string[] {
  return [
    ...new Set([
      ...Object.keys(COMMON_COLUMNS),
      ...ROW_VALUES.flatMap((v) => v.reads),
      ...FACTS.flatMap((f) => f.reads),
    ]),
  ];
}

/**
 * Whether columns are a fact-tuple table's: `yes` (every tuple column), `no` (no count column: a
 * raw export), or the tuple columns it lacks (a partial or older export, which must not be read
 * as raw rows).
 */
export function factTupleColumns(names: Iterable<string>): 'yes' | 'no' | string[] {
  const have = new Set<string>();
  for (const n of names) have.add(n.toLowerCase());
  if (!have.has('signins') || !have.has('appid')) return 'no';
  const missing = TUPLE_COLUMNS.filter((c) => !have.has(c.toLowerCase()));
  return missing.length === 0 ? 'yes' : missing;
}

/**
 * One tuple of the table -> a weighted sign-in row (its `count` and `tally` set). `get(column)`
 * reads a cell by its tuple column name. Null when the tuple names no app.
 */
export function rowFromTuple(get: (column: string) => Cell): SignInRow | null {
  // The fields no fact feeds (FACTS sets the others): a tuple does not carry them, and `guest`
  // stands for the tenant fields.
  const row: Record<string, unknown> = {
    time: null,
    correlationId: null,
    incomingToken: null,
    crossTenant: null,
    userType: null,
    homeTenant: null,
    issuer: null,
    errorCode: null,
    msiType: null,
  };
  const tally: Record<string, unknown> = {};
  for (const f of FACTS) {
    const v = f.feeds.read(get(f.column));
    if ('row' in f.feeds) row[f.feeds.row] = v;
    else tally[f.feeds.tally] = v;
  }
  if (row['appId'] === null) return null;
  row['time'] = tally['lastSeen'] ?? null;
  row['tally'] = tally as unknown as SignInTally;
  return row as unknown as SignInRow;
}

const INDENT = '    ';

/** The KQL query (see the module comment). Throws RangeError on options out of range. */
export function kqlQuery(o: KqlOptions = {}): string {
  const days = o.days ?? KQL_DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > KQL_MAX_DAYS)
    throw new RangeError(`days must be a whole number from 1 to ${KQL_MAX_DAYS}, got ${days}`);
  const tables = o.tables ?? SIGNIN_TABLES;
  if (tables.length === 0) throw new RangeError('no table to read');
  for (const t of tables)
    if (!(SIGNIN_TABLES as readonly string[]).includes(t))
      throw new RangeError(`unknown table ${String(t)}`);
  const adx = o.adx === true;
  const ctx: Ctx = {
    adx,
    days,
    col: (name: string) =>
      !adx && Object.hasOwn(COMMON_COLUMNS, name)
        ? name
        : `tostring(column_ifexists("${name}", ""))`,
  };
  // Log Analytics: the columns all four tables have are typed (so the language service checks
  // every direct reference); Data Explorer: nothing is assumed.
  const param = adx
    ? 'T:(*)'
    : `T:(${Object.entries(COMMON_COLUMNS)
        .map(([n, t]) => `${n}:${t}`)
        .join(', ')})`;
  const groups = FACTS.filter((f) => f.kind === 'group');
  const measures = FACTS.filter((f) => f.kind === 'measure');
  const aggregates = measures.map((m) => `${m.as ?? m.column} = ${m.kql(ctx)}`);
  const i2 = INDENT + INDENT;
  const lines = [
    `// entra-bas-proxy kql${adx ? ' --adx' : ''} --days ${days}${o.tables ? ` --tables ${tables.join(',')}` : ''}`,
    '// Entra sign-ins summarized by the facts the BAS rules read; export the result (CSV or JSON)',
    '// and run: entra-bas-proxy classify RESULT.csv. No personal column leaves the engine.',
    `let SignInFacts = (${param}, table_name:string) {`,
    `${INDENT}T`,
    ...(adx ? [] : [`${INDENT}| where TimeGenerated > ago(${days}d)`]),
    `${INDENT}| extend ${ROW_VALUES.map((v) => `${v.name} = ${v.kql(ctx)}`).join(`,\n${i2}`)}`,
    ...(adx ? [`${INDENT}| where SignInTime > ago(${days}d)`] : []),
    `${INDENT}| extend ${groups.map((g) => `${g.column} = ${g.kql(ctx)}`).join(`,\n${i2}`)}`,
    `${INDENT}| where isnotempty(AppId)`,
    `${INDENT}| summarize ${aggregates.join(`,\n${i2}`)}`,
    `${i2}by ${groups.map((g) => g.column).join(', ')}`,
    `${INDENT}| project ${TUPLE_COLUMNS.join(', ')}`,
    '};',
    'union isfuzzy=true',
    tables.map((t) => `${INDENT}(${t} | invoke SignInFacts("${t}"))`).join(',\n'),
    '| order by FirstSeen asc',
    '',
  ];
  return lines.join('\n');
}
