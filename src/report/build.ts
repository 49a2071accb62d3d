/**
 * The report head (everything but the exchanges) and the input every renderer takes.
 *
 * A session may hold 100,000+ exchanges, so a report is never one object in memory: the head is
 * small and built once, and the exchanges are streamed from their source (the session log, a HAR
 * reader, a merged report) each time a renderer asks for them. `exchanges` is a factory, so a
 * renderer that needs two passes (the HTML chart, then the table) may call it twice.
 */
import {
  VERDICTS,
  type ApplicationRecord,
  type ExchangeRecord,
  type Report,
  type ReportSource,
  type ReportSummary,
  type Verdict,
} from '../core/types.js';
import type { HostRejections } from '../core/tls-rejections.js';
import { sessionFindings } from './session-findings.js';

export type ReportHead = Omit<Report, 'exchanges'>;

export interface ReportInput {
  readonly head: ReportHead;
  /** A fresh stream of the session's exchange records, in capture order, on every call. */
  readonly exchanges: () => AsyncIterable<ExchangeRecord>;
  /** Parts of some reports already made while the session was recorded (faster to copy). */
  readonly bodies?: ReportBodies;
  /**
   * The `--fail-on` threshold of the run, when one was given: JUnit fails every application at or
   * past it. Absent or null: the renderers' default (JUnit fails `not-covered` only).
   */
  readonly failOn?: Verdict | null;
}

/** What a renderer yields: text, or bytes that are already UTF-8 (copied as they are). */
export type ReportChunk = string | Uint8Array;

/**
 * Report parts made ahead, from the same records `exchanges()` gives, in the same order. A renderer
 * that finds its part here copies it instead of rendering every record again.
 */
export interface ReportBodies {
  /**
   * The records as JSON text, one per line, each line ending in a newline: exactly
   * JSON.stringify(record) (the session log's lines after its header). Chunks hold whole lines.
   */
  readonly jsonLines?: () => AsyncIterable<Uint8Array>;
  /**
   * The HTML report's rows block (html-rows.ts rowText of each record, joined by ",\n") and the
   * string table the rows index, complete once the rows are read.
   */
  readonly htmlRows?: () => {
    readonly rows: AsyncIterable<Uint8Array>;
    readonly strings: () => readonly string[];
  };
}

export interface ReportHeadOptions {
  readonly applications: readonly ApplicationRecord[];
  readonly summary: ReportSummary;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly sources: readonly ReportSource[];
  readonly version: string;
  /** Refused TLS handshakes per host (the live proxy's, a session log's, merged shards'). */
  readonly rejections?: readonly HostRejections[];
}

/**
 * The head of a report, with keys in the order of CONTRACT.md (so a JSON report diffs well) and
 * `summary.byVerdict` holding every verdict, best to worst, zero when absent. Applications keep
 * the order the session gave them. `summary.findings` holds the session-level findings
 * (session-findings.ts): always present, empty when there is nothing to say.
 */
export function buildReportHead(o: ReportHeadOptions): ReportHead {
  const byVerdict = Object.fromEntries(
    VERDICTS.map((v) => [v, o.summary.byVerdict[v] ?? 0]),
  ) as Record<Verdict, number>;
  return {
    schemaVersion: 1,
    tool: { name: 'entra-bas-proxy', version: o.version },
    session: { startedAt: o.startedAt, endedAt: o.endedAt, sources: [...o.sources] },
    summary: {
      exchanges: o.summary.exchanges,
      byVerdict,
      applications: o.summary.applications,
      verdict: o.summary.verdict,
      ...(o.summary.hosts !== undefined ? { hosts: o.summary.hosts } : {}),
      findings: sessionFindings(o.summary, o.rejections),
    },
    applications: [...o.applications],
  };
}
