/**
 * What a running proxy exposes about its session while it runs: the dashboard, the programmatic
 * API and the CLI read it. Implemented in src/proxy/live-session.ts.
 */
import type { CompactSnapshot } from './compact-aggregates.js';
import type { ApplicationRecord, ExchangeRecord, ReportSummary } from './types.js';

export interface LiveSnapshot {
  readonly startedAt: string;
  readonly summary: ReportSummary;
  readonly applications: readonly ApplicationRecord[];
}

export interface LiveSession {
  /** Aggregates of every exchange recorded so far (no exchange list). */
  snapshot(): Promise<LiveSnapshot>;
  /** The same with each id list cut to its latest few (and its count): what the dashboard shows. */
  compactSnapshot(): Promise<CompactSnapshot>;
  /** The most recent exchange records, newest last, at most `limit` (the latest few hundred). */
  recent(limit: number): Promise<readonly ExchangeRecord[]>;
  /** One record by id, if still available (from memory or the session log). */
  get(id: string): Promise<ExchangeRecord | undefined>;
  /**
   * Called for every new classified record; returns an unsubscribe function. Records may come
   * without their evidence (`get` has it).
   */
  subscribe(listener: (record: ExchangeRecord) => void): () => void;
  /**
   * Called when the session changes without a new record (a refused TLS handshake: the snapshot's
   * `summary.findings` change); returns an unsubscribe function.
   */
  onSessionChange?(listener: () => void): () => void;
  /**
   * The full report of the session so far, rendered in a format (whole, in memory: small sessions).
   * `format` is a format id of src/report/formats.ts (REPORT_FORMATS: `json`, `md`...; typed as
   * `ReportFormat` there); any other rejects with ToolError ERR_USAGE.
   */
  render(format: string): Promise<string>;
  /**
   * The same as chunks to stream, in bounded memory whatever the session's length: the head is
   * taken when the promise settles, the exchanges are those recorded by then (read back from the
   * session log as the chunks are pulled). Stop early with the iterator's `return()` (a `break`).
   */
  renderStream(format: string): Promise<AsyncIterable<string | Uint8Array>>;
}
