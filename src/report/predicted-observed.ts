/**
 * The "predicted vs observed" rows of a report: for each application the sign-in logs speak of,
 * what the rules predict (its verdict) beside what the logs say BAS did (tokens it issued,
 * failures), and whether the two disagree (a `prediction-contradicted` finding). Pure; the
 * Markdown and HTML renderers lay the rows out.
 */
import type { ApplicationRecord, Verdict } from '../core/types.js';

export interface PredictedObservedRow {
  readonly clientId: string;
  readonly name: string | null;
  readonly predicted: Verdict;
  readonly signIns: number;
  readonly basIssued: number;
  readonly failed: number;
  /** What the logs show, in a few words. */
  readonly observed: string;
  readonly contradicted: boolean;
}

/** Rows for the applications with sign-in log counts, contradictions first, then by sign-ins. */
export function predictedObserved(apps: readonly ApplicationRecord[]): PredictedObservedRow[] {
  const rows: PredictedObservedRow[] = [];
  for (const a of apps) {
    const s = a.signIns;
    if (s === undefined || s === null) continue;
    const contradicted = a.findings.some((f) => f.code === 'prediction-contradicted');
    const failed = s.failed ?? 0;
    const observed =
      s.basIssued > 0
        ? `BAS issued ${s.basIssued} of ${s.total}`
        : contradicted
          ? 'failed while BAS served others'
          : 'no BAS-issued token seen';
    rows.push({
      clientId: a.clientId,
      name: a.name ?? null,
      predicted: a.verdict,
      signIns: s.total,
      basIssued: s.basIssued,
      failed,
      observed,
      contradicted,
    });
  }
  return rows.sort(
    (x, y) => Number(y.contradicted) - Number(x.contradicted) || y.signIns - x.signIns,
  );
}
