/**
 * Sign-in rows -> records: rows with the same application and the same facts fold into one record
 * with a `count` (CONTRACT "Sign-in log evidence"), judged once by the rules table (facts.ts). A
 * million rows of 200 applications become a few thousand records, so memory follows the number of
 * distinct flows, not of rows.
 *
 * Each record also carries what the logs say BAS did (`signIns`): sign-ins, those BAS issued
 * (tokenIssuerType AzureADBackupAuth), failures, first and last seen, and the hours in which BAS
 * issued or a sign-in failed (capped), from which the session tells a prediction contradicted.
 * The correlation ids go into a compact index (join-index.ts) that joins captured exchanges.
 * A pre-aggregated row (a fact tuple of the `kql` query) brings its own tally: it is added whole.
 */
import { EMPTY_EVIDENCE, type ExchangeRecord, type SignInCounts } from '../../core/types.js';
import { scrubText } from '../../classifiers/secret-text.js';
import { judgeSignIn, isGuest } from './facts.js';
import {
  CorrelationIndex,
  JoinLog,
  mergeJoins,
  type JoinedSignIn,
  type JoinLogPart,
} from './join-index.js';
import type { SignInRow, SignInTally } from './row.js';

/** Hours kept per record, each of BAS issuance and of failures (the latest ones). */
export const MAX_HOURS = 200;
const BAS_ISSUER = 'azureadbackupauth';

interface Group {
  readonly first: SignInRow;
  /** factsOf(first). */
  readonly facts: readonly string[];
  readonly order: number;
  count: number;
  basIssued: number;
  failed: number;
  firstSeen: string | null;
  lastSeen: string | null;
  readonly basHours: Set<string>;
  readonly failedHours: Set<string>;
  appName: string | null;
}

/** The facts a row is judged by (null as ''): rows with equal facts get the same verdict. */
function factsOf(r: SignInRow): string[] {
  const n = (s: string | null): string => s ?? '';
  return [
    n(r.appId),
    r.eventType,
    n(r.protocol),
    n(r.transferMethod),
    n(r.clientApp),
    n(r.credential),
    n(r.msiType),
    isGuest(r) ? 'g' : '',
    r.signInFrequency ? 'f' : '',
    n(r.library),
    n(r.resourceTenant),
  ];
}

/** A fold's groups by key (a row's facts joined), and each app id's groups (see addRow). */
interface Groups {
  readonly byKey: Map<string, Group>;
  readonly byApp: Map<string | null, Group[]>;
}

function newGroups(): Groups {
  return { byKey: new Map(), byApp: new Map() };
}

/**
 * A copy of a string that shares no memory with the text it was cut from. CSV fields are slices
 * of the 1 MiB chunk they were read in: a kept slice keeps the whole chunk alive (a 1M-row CSV
 * held 725 MB that way). Only what outlives a row is copied: a group's first row, its name.
 */
export function detach<T extends string | null>(s: T): T {
  return (s === null ? null : (JSON.parse(JSON.stringify(s)) as string)) as T;
}

function detachRow(r: SignInRow): SignInRow {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'string' ? detach(v) : v;
  return out as unknown as SignInRow;
}

/** What a group keeps of a string: a copy (detach) or the string itself (same). */
type Keep = <T extends string | null>(s: T) => T;

function addHour(set: Set<string>, hour: string, keep: Keep = detach): void {
  if (set.has(hour)) return;
  hour = keep(hour);
  if (set.size >= MAX_HOURS) {
    // Keep the latest: drop the earliest (insertion order is not time order across files).
    let min: string | null = null;
    for (const h of set) if (min === null || h < min) min = h;
    if (min !== null && min > hour) return;
    if (min !== null) set.delete(min);
  }
  set.add(hour);
}

/**
 * What one chunk of rows folded to (the pool's `signin-chunk` task gives it): structured-cloneable,
 * merged into the run's fold in chunk order, so the records, counts and joins are the same as
 * folding the rows one by one in this thread, whatever the number of workers.
 */
export interface SignInFoldPart {
  readonly rows: number;
  readonly groups: readonly GroupPart[];
  readonly joins: JoinLogPart;
}

/** One group of a chunk: its first row, count and latest name, and the tally of its sign-ins. */
export interface GroupPart extends SignInTally {
  readonly key: string;
  readonly first: SignInRow;
  readonly count: number;
  readonly appName: string | null;
}

export interface SignInFold {
  add(row: SignInRow): void;
  /** Adds a chunk's fold, as if its rows were added here one by one (parts in chunk order). */
  merge(part: SignInFoldPart): void;
  /** Sign-in rows folded. */
  readonly rows: number;
  /** The records, one per application and facts, in first-seen order. */
  records(idPrefix?: string): ExchangeRecord[];
  /** Correlation id -> the sign-in's issuer and app name. */
  readonly joins: CorrelationIndex;
}

const same = <T>(s: T): T => s;

/**
 * A tally added as it is: a pre-aggregated row's (a fact tuple, tuples.ts), or a chunk's group
 * (merge): its counts, first/last seen and hours.
 */
function addTally(g: Group, t: SignInTally, keep: Keep): void {
  g.basIssued += t.basIssued;
  g.failed += t.failed;
  if (t.firstSeen !== null && (g.firstSeen === null || t.firstSeen < g.firstSeen))
    g.firstSeen = keep(t.firstSeen);
  if (t.lastSeen !== null && (g.lastSeen === null || t.lastSeen > g.lastSeen))
    g.lastSeen = keep(t.lastSeen);
  for (const h of t.basHours) addHour(g.basHours, h, keep);
  for (const h of t.failedHours) addHour(g.failedHours, h, keep);
}

/**
 * The group of `key` (made on first sight from `first`), counted `count` more sign-ins, under the
 * latest name seen. `keep` copies what the group keeps (detach), or not (`same`: a chunk's part,
 * copied or merged right away).
 */
function enter(
  groups: Map<string, Group>,
  key: string,
  first: SignInRow,
  count: number,
  appName: string | null,
  keep: Keep,
): Group {
  let g = groups.get(key);
  if (!g) {
    const kept = keep === same ? first : detachRow(first);
    g = {
      first: kept,
      facts: factsOf(kept),
      order: groups.size,
      count: 0,
      basIssued: 0,
      failed: 0,
      firstSeen: null,
      lastSeen: null,
      basHours: new Set(),
      failedHours: new Set(),
      appName: keep(appName),
    };
    groups.set(key, g);
  }
  g.count += count;
  if (appName !== null && appName !== g.appName) g.appName = keep(appName);
  return g;
}

/** Folds one row into its group; the row's join goes to `joins`. */
function addRow(
  groups: Groups,
  row: SignInRow,
  joins: { add(correlationId: string, joined: JoinedSignIn): void },
  keep: Keep,
): void {
  // The row's group among its app's, by its facts: its key is made only for a group new here.
  const facts = factsOf(row);
  const mine = groups.byApp.get(row.appId);
  let g = mine?.find((x) => x.facts.every((f, i) => f === facts[i]));
  if (g === undefined) {
    g = enter(groups.byKey, facts.join('\u0000'), row, 0, null, keep);
    if (mine === undefined) groups.byApp.set(row.appId, [g]);
    else if (!mine.includes(g)) mine.push(g);
  }
  g.count += row.count;
  if (row.appName !== null && row.appName !== g.appName) g.appName = keep(row.appName);
  if (row.tally !== undefined) {
    addTally(g, row.tally, keep);
    return;
  }
  const bas = row.issuer === BAS_ISSUER;
  const failed = row.errorCode !== null && row.errorCode !== 0;
  if (bas) g.basIssued += row.count;
  if (failed) g.failed += row.count;
  if (row.time !== null) {
    if (g.firstSeen === null || row.time < g.firstSeen) g.firstSeen = keep(row.time);
    if (g.lastSeen === null || row.time > g.lastSeen) g.lastSeen = keep(row.time);
    const hour = row.time.slice(0, 13);
    if (bas) addHour(g.basHours, hour, keep);
    if (failed) addHour(g.failedHours, hour, keep);
  }
  if (row.correlationId !== null) {
    joins.add(row.correlationId, { issuer: row.issuer, appName: row.appName });
  }
}

export function createSignInFold(): SignInFold {
  const groups = newGroups();
  const joins = new CorrelationIndex();
  let rows = 0;
  return {
    get rows() {
      return rows;
    },
    joins,
    add(row) {
      rows += row.count;
      addRow(groups, row, joins, detach);
    },
    merge(part) {
      rows += part.rows;
      for (const p of part.groups) {
        // The chunk's last name seen (null: none there) is the latest; addHour keeps the
        // MAX_HOURS latest distinct hours: the same set in any grouping.
        addTally(enter(groups.byKey, p.key, p.first, p.count, p.appName, detach), p, detach);
      }
      mergeJoins(joins, part.joins);
    },
    records(idPrefix = 'signin') {
      const out: ExchangeRecord[] = [];
      for (const g of groups.byKey.values()) out.push(recordOf(g, `${idPrefix}-${g.order + 1}`));
      return out;
    },
  };
}

/** The fold of one chunk's rows (the `signin-chunk` task), as a SignInFoldPart. */
export function foldChunk(rowsOf: (add: (row: SignInRow) => void) => void): SignInFoldPart {
  const groups = newGroups();
  const log = new JoinLog();
  let rows = 0;
  rowsOf((row) => {
    rows += row.count;
    addRow(groups, row, log, same);
  });
  const parts: GroupPart[] = [];
  for (const [key, g] of groups.byKey) {
    const { facts: _facts, order: _order, basHours, failedHours, ...rest } = g;
    parts.push({ ...rest, key, basHours: [...basHours], failedHours: [...failedHours] });
  }
  return { rows, groups: parts, joins: log.part() };
}

function recordOf(g: Group, id: string): ExchangeRecord {
  const r = g.first;
  const j = judgeSignIn(r);
  const signIns: SignInCounts = {
    total: g.count,
    basIssued: g.basIssued,
    failed: g.failed,
    firstSeen: g.firstSeen,
    lastSeen: g.lastSeen,
    basHours: [...g.basHours].sort(),
    failedHours: [...g.failedHours].sort(),
  };
  const lib = r.library === null ? null : /^(.*?)\s+(\d[\w.+-]*)$/.exec(r.library);
  return {
    id,
    startedAt: g.firstSeen ?? new Date(0).toISOString(),
    durationMs: null,
    method: 'SIGN-IN',
    host: '',
    path: '',
    status: null,
    cloud: 'unknown',
    hostSupported: false,
    protocol: j.protocol,
    endpoint: j.endpoint,
    grantType: j.grantType,
    pkce: null,
    clientType: j.clientType,
    clientCredential: j.clientCredential,
    appType: j.appType,
    samlInitiation: null,
    clientId: r.appId,
    // Kept "as seen", so scrubbed like every such field (classifiers/secret-text.ts).
    ...(g.appName !== null ? { appName: scrubText(g.appName) } : {}),
    tenant: r.resourceTenant,
    scopes: null,
    library: lib ? scrubText(lib[1] ?? '') : r.library === null ? null : scrubText(r.library),
    libraryVersion: lib ? scrubText(lib[2] ?? '') : null,
    clientRequestId: null,
    serverRequestId: null,
    // A managed identity is its app id in the logs: each one is its own application.
    managedIdentity: j.managedIdentity !== null ? r.appId : null,
    interaction: j.interaction,
    verdict: j.verdict,
    reasons: j.reasons,
    error: null,
    source: 'signin-log',
    evidence: EMPTY_EVIDENCE,
    count: g.count,
    signIns,
  };
}
