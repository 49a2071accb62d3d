/**
 * Light views of records for the dashboard's lists and its event stream: no evidence, bounded
 * strings and bounded id lists, so 10,000 exchanges never turn into megabytes per update.
 * Pure; every value comes from the (already redacted) records the LiveSession hands out. The
 * aggregates' light views are core/compact-aggregates.ts.
 */
import type { ExchangeRecord, ReasonCode, Verdict } from '../core/types.js';

const MAX_TEXT = 300;

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
  /** The client's display name when the exchange carried one (record.appName). */
  readonly appName?: string;
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
    ...(typeof r.appName === 'string' ? { appName: clip(r.appName, 200) } : {}),
    library: clipOrNull(r.library),
    verdict: r.verdict,
    reasonCodes: r.reasons.map((x) => x.code),
    error: r.error === null ? null : r.error.code,
  };
}
