/**
 * What the sign-in logs add to an application: its sign-in counts (CONTRACT `signIns`), and the two
 * findings that check the rules' prediction against what BAS really did:
 * - `bas-issued` (info): BAS issued tokens to this app (tokenIssuerType AzureADBackupAuth);
 * - `prediction-contradicted` (warning): BAS issued tokens to a flow the rules call not covered, or
 *   the reverse: a flow predicted covered or conditional failed in an hour in which BAS was
 *   issuing tokens to other applications of the tenant, and never to this one.
 * Pure: the session (session.ts) feeds records in and asks for the findings.
 */
import type { ExchangeRecord, Finding, SignInCounts, Verdict } from '../core/types.js';
import { verdictRank } from '../core/verdict.js';
import { plural } from '../core/plural.js';
import { DOC } from './rules.js';

/** Hours listed in a finding's message. */
const HOURS_SHOWN = 3;
const MAX_HOURS = 400;

export interface SignInAgg {
  total: number;
  basIssued: number;
  failed: number;
  firstSeen: string | null;
  lastSeen: string | null;
  readonly basHours: Set<string>;
  /** Failed hours of records predicted covered or conditional. */
  readonly failedPredictedHours: Map<string, string>;
  /** Records with BAS-issued sign-ins, and those of them the rules call not covered. */
  readonly basIds: string[];
  readonly notCoveredBas: { id: string; n: number }[];
}

export function newSignInAgg(): SignInAgg {
  return {
    total: 0,
    basIssued: 0,
    failed: 0,
    firstSeen: null,
    lastSeen: null,
    basHours: new Set(),
    failedPredictedHours: new Map(),
    basIds: [],
    notCoveredBas: [],
  };
}

/** Fold the sign-in counts of one record (a sign-in log record: `signIns` set). */
export function foldSignIns(
  agg: SignInAgg,
  r: Pick<ExchangeRecord, 'id' | 'verdict'>,
  s: SignInCounts,
): void {
  agg.total += s.total;
  agg.basIssued += s.basIssued;
  agg.failed += s.failed;
  if (s.firstSeen !== null && (agg.firstSeen === null || s.firstSeen < agg.firstSeen))
    agg.firstSeen = s.firstSeen;
  if (s.lastSeen !== null && (agg.lastSeen === null || s.lastSeen > agg.lastSeen))
    agg.lastSeen = s.lastSeen;
  for (const h of s.basHours ?? []) if (agg.basHours.size < MAX_HOURS) agg.basHours.add(h);
  if (s.basIssued > 0) {
    agg.basIds.push(r.id);
    if (r.verdict === 'not-covered') agg.notCoveredBas.push({ id: r.id, n: s.basIssued });
  }
  if (r.verdict === 'covered' || r.verdict === 'conditional') {
    for (const h of s.failedHours ?? []) {
      if (agg.failedPredictedHours.size < MAX_HOURS && !agg.failedPredictedHours.has(h))
        agg.failedPredictedHours.set(h, r.id);
    }
  }
}

export function signInCounts(agg: SignInAgg): SignInCounts {
  return {
    total: agg.total,
    basIssued: agg.basIssued,
    failed: agg.failed,
    firstSeen: agg.firstSeen,
    lastSeen: agg.lastSeen,
  };
}

function hoursText(hours: readonly string[]): string {
  const shown = hours.slice(0, HOURS_SHOWN).map((h) => `${h.replace('T', ' ')}:00 UTC`);
  return hours.length > HOURS_SHOWN
    ? `${shown.join(', ')} and ${hours.length - HOURS_SHOWN} more`
    : shown.join(', ');
}

/**
 * The findings of one application. `basElsewhere(hour)`: BAS issued tokens to another application
 * of the tenant in that hour.
 */
export function signInFindings(
  agg: SignInAgg,
  appVerdict: Verdict,
  basElsewhere: (hour: string) => boolean,
): Finding[] {
  const out: Finding[] = [];
  if (agg.basIssued > 0) {
    const hours = [...agg.basHours].sort();
    out.push({
      code: 'bas-issued',
      severity: 'info',
      message: `The backup authentication system issued ${plural(agg.basIssued, 'token', 'tokens')} to this app (${plural(agg.basIssued, 'sign-in', 'sign-ins')} of ${agg.total} with token issuer type AzureADBackupAuth${hours.length > 0 ? `, in ${hoursText(hours)}` : ''}).`,
      remediation: '',
      docUrl: DOC.bas,
      exchangeIds: agg.basIds.slice(),
    });
  }
  const forward = agg.notCoveredBas;
  if (forward.length > 0) {
    const n = forward.reduce((a, x) => a + x.n, 0);
    out.push({
      code: 'prediction-contradicted',
      severity: 'warning',
      message: `Predicted not covered, yet the backup authentication system issued ${plural(n, 'token', 'tokens')} to flows of this app that the rules call not covered. Review: BAS may serve more than its documentation promises, or the logs show a flow the rules misread.`,
      remediation:
        'Do not count on it: undocumented coverage can change. Capture the flow through the proxy or a HAR to see what it really does.',
      docUrl: DOC.bas,
      exchangeIds: forward.map((x) => x.id),
    });
  }
  if (verdictRank(appVerdict) <= verdictRank('conditional') && agg.basIssued === 0) {
    const hours: string[] = [];
    const ids = new Set<string>();
    for (const [h, id] of agg.failedPredictedHours) {
      if (basElsewhere(h)) {
        hours.push(h);
        ids.add(id);
      }
    }
    if (hours.length > 0) {
      hours.sort();
      out.push({
        code: 'prediction-contradicted',
        severity: 'warning',
        message: `Predicted ${appVerdict}, but this app's sign-ins failed in ${hoursText(hours)}, while the backup authentication system was issuing tokens to other apps of the tenant, and never to this one.`,
        remediation:
          'Check the failed sign-ins of that hour: a condition the logs do not show (token cache, interaction, Conditional Access, resilience defaults) may keep BAS from serving this app.',
        docUrl: DOC.resilience,
        exchangeIds: [...ids],
      });
    }
  }
  return out;
}
