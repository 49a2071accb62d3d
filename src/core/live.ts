/**
 * What a running proxy exposes about its session while it runs: the dashboard, the programmatic
 * API and the CLI read it. Implemented in src/proxy/live-session.ts.
 */
import type { ApplicationRecord, ExchangeRecord, ReportSummary } from './types.js';

export type ReportFormat = 'json' | 'md' | 'html' | 'xml' | 'har';

export interface LiveSnapshot {
  readonly startedAt: string;
  readonly summary: ReportSummary;
  readonly applications: readonly ApplicationRecord[];
}

export interface LiveSession {
  /** Current aggregates (cheap: no exchange list). */
  snapshot(): LiveSnapshot;
  /** The most recent exchange records, newest last, at most `limit`. */
  recent(limit: number): readonly ExchangeRecord[];
  /** One record by id, if still available (from memory or the session log). */
  get(id: string): Promise<ExchangeRecord | undefined>;
  /** Called for every new classified record; returns an unsubscribe function. */
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  /** The full report of the session so far, rendered in a format. */
  render(format: ReportFormat): Promise<string>;
}
