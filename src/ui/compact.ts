/**
 * Light views of records for the dashboard's lists and its event stream: no evidence, bounded
 * strings and bounded id lists, so 10,000 exchanges never turn into megabytes per update.
 * Pure; every value comes from the (already redacted) records the LiveSession hands out.
 */
import type { LiveSnapshot } from '../core/live.js';
import type {
  ApplicationRecord,
  ExchangeRecord,
  Finding,
  ReasonCode,
  ReportSummary,
  Verdict,
} from '../core/types.js';

const MAX_TEXT = 300;
/** At most this many exchange ids per application or finding in the dashboard's views. */
export const MAX_IDS = 20;

function clip(s: string, max = MAX_TEXT): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function clipOrNull(s: string | null): string | null {
  return s === null ? null : clip(s);
}

/** One exchange in the live list: what the table row shows, and nothing secret or heavy. */
export interface CompactRecord {
  readonly id: string;
  readonly startedAt: string;
  readonly durationMs: number | null;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly status: number | null;
  readonly endpoint: string;
  readonly grantType: string | null;
  readonly appType: string;
  readonly clientId: string | null;
  readonly library: string | null;
  readonly verdict: Verdict;
  readonly reasonCodes: readonly ReasonCode[];
  readonly error: string | null;
}

export function compactRecord(r: ExchangeRecord): CompactRecord {
  return {
    id: clip(r.id, 200),
    startedAt: clip(r.startedAt, 40),
    durationMs: r.durationMs,
    method: clip(r.method, 20),
    host: clip(r.host, 255),
    path: clip(r.path),
    status: r.status,
    endpoint: r.endpoint,
    grantType: r.grantType,
    appType: r.appType,
    clientId: clipOrNull(r.clientId),
    library: clipOrNull(r.library),
    verdict: r.verdict,
    reasonCodes: r.reasons.map((x) => x.code),
    error: r.error === null ? null : r.error.code,
  };
}

export interface CompactFinding extends Omit<Finding, 'exchangeIds'> {
  readonly exchangeIds: readonly string[];
  readonly exchangeCount: number;
}

export interface CompactApplication extends Omit<ApplicationRecord, 'exchangeIds' | 'findings'> {
  /** The most recent ids only (at most MAX_IDS). */
  readonly exchangeIds: readonly string[];
  readonly exchangeCount: number;
  readonly findings: readonly CompactFinding[];
}

function lastIds(ids: readonly string[]): readonly string[] {
  return ids.length > MAX_IDS ? ids.slice(ids.length - MAX_IDS) : ids;
}

export function compactApplication(a: ApplicationRecord): CompactApplication {
  return {
    ...a,
    exchangeIds: lastIds(a.exchangeIds),
    exchangeCount: a.exchangeIds.length,
    findings: a.findings.map((f) => ({
      ...f,
      exchangeIds: lastIds(f.exchangeIds),
      exchangeCount: f.exchangeIds.length,
    })),
  };
}

/** The aggregates pushed as `snapshot` events and returned (with `recent`) by /api/snapshot. */
export interface CompactSnapshot {
  readonly startedAt: string;
  readonly summary: ReportSummary;
  readonly applications: readonly CompactApplication[];
}

export function compactSnapshot(s: LiveSnapshot): CompactSnapshot {
  return {
    startedAt: s.startedAt,
    summary: s.summary,
    applications: s.applications.map(compactApplication),
  };
}
