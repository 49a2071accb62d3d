/**
 * Verdict and reasons of an exchange: the first matching coverage rule of rules.ts, its extra
 * reasons, then the modifiers (a worse verdict goes before the flow's reasons, advice after). Pure.
 */
import type { HostFacts } from '../core/hosts.js';
import type { Reason, Verdict } from '../core/types.js';
import { worseVerdict } from '../core/verdict.js';
import {
  MODIFIERS,
  applies,
  firstRule,
  hostAdvice,
  type Modifier,
  type Rule,
  type RuleFacts,
} from './rules.js';

function fill(message: string, host: string, alternative: string): string {
  if (!message.includes('{')) return message;
  return message.replace('{host}', host).replace('{alternative}', alternative);
}

function toReason(row: Rule | Modifier, host: string, alternative: string): Reason {
  const remediation = fill(row.remediation ?? '', host, alternative);
  return {
    code: row.reason,
    message: fill(row.message, host, alternative),
    ...(remediation.length > 0 ? { remediation } : {}),
    docUrl: row.docUrl,
    ruleId: row.id,
  };
}

/**
 * Judge the facts of an exchange. `host` is lower case; the parser's first problem is added to the
 * `unrecognised` rule's message.
 */
export function judge(
  facts: RuleFacts,
  hf: HostFacts,
  host: string,
  problems: readonly string[],
): { verdict: Verdict; reasons: Reason[] } {
  const alternative = hostAdvice(hf.cloud, hf.supportedAlternative);
  const rule = firstRule(facts);
  let verdict = rule.verdict;
  const first = toReason(rule, host, alternative);
  const flowReasons: Reason[] = [
    rule.id === 'unrecognised' && problems.length > 0
      ? { ...first, message: `${first.message} (${problems[0] ?? ''})` }
      : first,
  ];
  for (const x of rule.extra ?? []) flowReasons.push({ ...x, ruleId: rule.id });
  const before: Reason[] = [];
  const after: Reason[] = [];
  for (const m of MODIFIERS as readonly Modifier[]) {
    if (!m.appliesTo.includes(rule.verdict) || !applies(m, facts)) continue;
    if (before.some((r) => r.code === m.reason)) continue;
    if (m.verdict === null) after.push(toReason(m, host, alternative));
    else {
      verdict = worseVerdict(verdict, m.verdict);
      before.push(toReason(m, host, alternative));
    }
  }
  return { verdict, reasons: [...before, ...flowReasons, ...after] };
}
