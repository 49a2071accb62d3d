/**
 * Light views of the session's aggregates for the dashboard: each application's and finding's id
 * list cut to its latest MAX_IDS, with the full count beside it. Made where the aggregates live
 * (the live proxy's thread), so a session of a million exchanges does not
 * copy a million ids between threads for every dashboard update. Pure.
 */
import type { ApplicationRecord, Finding, ReportSummary } from './types.js';

/** At most this many exchange ids per application or finding in the dashboard's views. */
export const MAX_IDS = 20;

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

/** A LiveSnapshot (core/live.ts, which imports this module's types) made light. */
export function compactSnapshot(s: {
  readonly startedAt: string;
  readonly summary: ReportSummary;
  readonly applications: readonly ApplicationRecord[];
}): CompactSnapshot {
  return {
    startedAt: s.startedAt,
    summary: s.summary,
    applications: s.applications.map(compactApplication),
  };
}
