import { VERDICTS, type Verdict } from './types.js';

const RANK: Readonly<Record<Verdict, number>> = Object.fromEntries(
  VERDICTS.map((v, i) => [v, i]),
) as Record<Verdict, number>;

/** Position in the contract's order, best (0, not-applicable) to worst (not-covered). */
export function verdictRank(v: Verdict): number {
  return RANK[v];
}

/** The worse of two verdicts. */
export function worseVerdict(a: Verdict, b: Verdict): Verdict {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The worst verdict of a list, ignoring not-applicable ones; not-applicable when nothing else is left. */
export function worstVerdict(vs: Iterable<Verdict>): Verdict {
  let worst: Verdict = 'not-applicable';
  for (const v of vs) worst = worseVerdict(worst, v);
  return worst;
}

/** True when `v` is `threshold` or worse (for --fail-on). */
export function atLeastAsBad(v: Verdict, threshold: Verdict): boolean {
  return RANK[v] >= RANK[threshold];
}

export function isVerdict(s: string): s is Verdict {
  return (VERDICTS as readonly string[]).includes(s);
}
