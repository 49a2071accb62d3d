/**
 * How every report names, orders and sums up an application: its display name (CONTRACT `name`,
 * from sign-in logs or the `app_displayname` its exchanges carried) with the client id beside it,
 * or the client id alone; worst first; its top finding and its flows. Pure; the renderers escape
 * the result for their format.
 */
import type { ApplicationRecord, Finding, Verdict } from '../core/types.js';
import { atLeastAsBad, verdictRank } from '../core/verdict.js';

/** An application's display name, when one is known (a report of an older version has none). */
export function appName(a: ApplicationRecord): string | null {
  return typeof a.name === 'string' && a.name !== '' ? a.name : null;
}

/** "Name (client id)" when the application has a display name, else the client id. */
export function appLabel(a: ApplicationRecord): string {
  const name = appName(a);
  return name === null ? a.clientId : `${name} (${a.clientId})`;
}

/** Display names by client id (the exchanges name their client by id). */
export function namesByClient(apps: readonly ApplicationRecord[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const a of apps) {
    const n = appName(a);
    if (n !== null) out[a.clientId] = n;
  }
  return out;
}

/** Worst first, then by client id, so the rows that matter survive a cap. */
export function sortApps(apps: readonly ApplicationRecord[]): ApplicationRecord[] {
  return [...apps].sort(
    (a, b) =>
      verdictRank(b.verdict) - verdictRank(a.verdict) || a.clientId.localeCompare(b.clientId),
  );
}

/** The most severe finding (the session's order among equals). */
export function topFinding(a: ApplicationRecord): Finding | undefined {
  return (
    a.findings.find((f) => f.severity === 'error') ??
    a.findings.find((f) => f.severity === 'warning') ??
    a.findings[0]
  );
}

/** `authorization_code x3, refresh_token x1` (`times`: the sign between flow and count). */
export function flowList(a: ApplicationRecord, times = 'x'): string {
  return Object.entries(a.flows)
    .map(([k, n]) => `${k} ${times}${n}`)
    .join(', ');
}

/**
 * True when this application fails under `failOn` (the exit status, JUnit failures);
 * `not-applicable` applications never do.
 */
export function failsAt(a: ApplicationRecord, failOn: Verdict): boolean {
  return a.verdict !== 'not-applicable' && atLeastAsBad(a.verdict, failOn);
}
