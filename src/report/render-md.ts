/**
 * The Markdown report, for pull-request comments and GitHub step summaries. Bounded in size
 * (a step summary may hold at most 1 MiB): tables are capped and say how many rows were left out,
 * and a byte budget stops the output with a note before the limit. Text that comes from traffic
 * (client ids, hosts, libraries, messages) is escaped so it cannot break a table or inject markup.
 */
import { predictedObserved } from './predicted-observed.js';
import {
  VERDICTS,
  type ApplicationRecord,
  type ExchangeRecord,
  type Finding,
  type SessionFinding,
  type Verdict,
} from '../core/types.js';
import { plural } from '../core/plural.js';
import { appName, flowList, namesByClient, sortApps, topFinding } from './app-label.js';
import type { ReportInput } from './build.js';
import { WIRE_LIMITS } from './wire-limits.js';

/** Caps, exported so tests and callers can reason about the size. */
export const MD_LIMITS = {
  applicationRows: 200,
  applicationsWithFindings: 50,
  findingsPerApplication: 20,
  exchangeRows: 50,
  cellChars: 200,
  findingChars: 2000,
  /** Stop well below GitHub's 1 MiB step-summary limit. */
  bytes: 900 * 1024,
} as const;

const TITLE: Readonly<Record<Verdict, string>> = {
  'not-covered': 'Not covered',
  unknown: 'Unknown',
  conditional: 'Conditionally covered',
  covered: 'Covered',
  'not-applicable': 'No sign-in traffic',
};

export async function* renderMarkdown(input: ReportInput): AsyncIterable<string> {
  const budget = new Budget(MD_LIMITS.bytes);
  for (const part of headParts(input)) {
    if (!budget.take(part)) {
      yield truncatedNote();
      return;
    }
    yield part;
  }
  const names = namesByClient(input.head.applications);
  let shown = 0;
  let more = 0;
  let truncated = false;
  for await (const r of input.exchanges()) {
    if (r.verdict === 'covered' || r.verdict === 'not-applicable') continue;
    if (shown >= MD_LIMITS.exchangeRows || truncated) {
      more += 1;
      continue;
    }
    const row = (shown === 0 ? exchangeTableHeader() : '') + exchangeRow(r, names);
    if (!budget.take(row)) {
      truncated = true;
      more += 1;
      continue;
    }
    yield row;
    shown += 1;
  }
  if (shown === 0 && more === 0) yield '\nEvery exchange was covered or not a sign-in.\n';
  if (more > 0)
    yield `\n${plural(more, 'more exchange')} not shown (see the JSON or HTML report).\n`;
  yield wireNotes();
}

function* headParts(input: ReportInput): Iterable<string> {
  const { head } = input;
  const s = head.summary;
  yield `# Entra backup authentication (BAS) coverage: ${TITLE[s.verdict]}\n\n`;
  yield (
    `**Overall verdict: \`${s.verdict}\`** for ${plural(s.applications, 'application')} and ` +
    `${plural(s.exchanges, 'exchange')} seen between ${text(head.session.startedAt)} and ` +
    `${text(head.session.endedAt)} (${text(head.tool.name)} ${text(head.tool.version)}).\n\n`
  );
  const appsBy = countBy(head.applications.map((a) => a.verdict));
  yield '| Verdict | Applications | Exchanges |\n| --- | ---: | ---: |\n';
  for (const v of [...VERDICTS].reverse()) {
    yield `| ${v} | ${appsBy.get(v) ?? 0} | ${s.byVerdict[v] ?? 0} |\n`;
  }
  yield sessionFindings(s.findings ?? []);
  yield '\n## Applications\n\n';
  const apps = sortApps(head.applications);
  if (apps.length === 0) {
    yield 'No application signed in during this session.\n';
  } else {
    yield (
      '| Application | Client ID | App type | Verdict | Flows | Top finding |\n' +
      '| --- | --- | --- | --- | --- | --- |\n'
    );
    for (const a of apps.slice(0, MD_LIMITS.applicationRows)) {
      const top = topFinding(a);
      yield (
        `| ${cell(appName(a) ?? '-')} | ${cell(a.clientId)} | ${a.appType} | ${a.verdict} | ${cell(flowList(a))} | ` +
        `${top ? cell(`${top.code}: ${top.message}`) : ''} |\n`
      );
    }
    if (apps.length > MD_LIMITS.applicationRows) {
      yield `\n${apps.length - MD_LIMITS.applicationRows} more applications not shown.\n`;
    }
  }
  yield* predictedObservedTable(apps);
  const withFindings = apps.filter((a) => a.findings.length > 0);
  if (withFindings.length > 0) yield '\n## Findings\n';
  for (const a of withFindings.slice(0, MD_LIMITS.applicationsWithFindings)) yield appFindings(a);
  if (withFindings.length > MD_LIMITS.applicationsWithFindings) {
    yield `\n${withFindings.length - MD_LIMITS.applicationsWithFindings} more applications with findings not shown.\n`;
  }
  yield (
    '\n## Exchanges to check\n\nNot covered, unknown and conditional exchanges, in capture order. ' +
    'Look up the client request id in the sign-in logs to see which service issued the token.\n'
  );
}

/** Applications seen in sign-in logs: the rules' prediction beside what BAS really did. */
function* predictedObservedTable(apps: readonly ApplicationRecord[]): Iterable<string> {
  const rows = predictedObserved(apps);
  if (rows.length === 0) return;
  yield (
    '\n## Predicted vs observed (sign-in logs)\n\n' +
    '| Application | Client ID | Predicted | Sign-ins | BAS-issued | Failed | Observed |\n' +
    '| --- | --- | --- | ---: | ---: | ---: | --- |\n'
  );
  for (const r of rows.slice(0, MD_LIMITS.applicationRows)) {
    yield (
      `| ${cell(r.name ?? '-')} | ${cell(r.clientId)} | ${r.predicted} | ${r.signIns} | ${r.basIssued} | ${r.failed} | ` +
      `${r.contradicted ? '**contradicted**: ' : ''}${cell(r.observed)} |\n`
    );
  }
  if (rows.length > MD_LIMITS.applicationRows) {
    yield `\n${rows.length - MD_LIMITS.applicationRows} more applications not shown.\n`;
  }
}

function appFindings(a: ApplicationRecord): string {
  const lib = a.library ? `, ${text(a.library)}` : '';
  const name = appName(a);
  const title = name === null ? text(a.clientId) : `${text(name)} (${text(a.clientId)})`;
  let out = `\n### ${title} (${a.appType}${lib}): ${a.verdict}\n\n`;
  for (const f of a.findings.slice(0, MD_LIMITS.findingsPerApplication)) out += finding(f);
  if (a.findings.length > MD_LIMITS.findingsPerApplication) {
    out += `- ${a.findings.length - MD_LIMITS.findingsPerApplication} more findings not shown.\n`;
  }
  return out;
}

/**
 * A message that already states its count, "(3 exchanges)" or "(1 call)", as the session's findings
 * do (at the end, or inside the sentence).
 */
const COUNTED = /\(\d+ (?:exchanges?|calls?)\)/;

/** An application's finding (its exchange count, docs), or one of the session's. */
function finding(f: Finding | SessionFinding): string {
  // The session writes the count into the message; add it only to messages that lack one.
  const count =
    'exchangeIds' in f && !COUNTED.test(f.message)
      ? ` (${plural(f.exchangeIds.length, 'exchange')})`
      : '';
  let out = `- **${f.severity}** \`${f.code}\`: ${text(clip(f.message, MD_LIMITS.findingChars))}${count}\n`;
  if (f.remediation)
    out += `  - Remediation: ${text(clip(f.remediation, MD_LIMITS.findingChars))}\n`;
  if (f.docUrl && isWebUrl(f.docUrl)) out += `  - Docs: <${f.docUrl}>\n`;
  return out;
}

/** What no application owns (no sign-in traffic, refused TLS handshakes): a block of its own. */
function sessionFindings(found: readonly SessionFinding[]): string {
  if (found.length === 0) return '';
  let out = '\n## Session findings\n\n';
  for (const f of found.slice(0, MD_LIMITS.findingsPerApplication)) out += finding(f);
  return out;
}

function exchangeTableHeader(): string {
  return (
    '\n| Started | Verdict | Method | Host | Path | Application | Client request id | Reasons |\n' +
    '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
  );
}

function exchangeRow(r: ExchangeRecord, names: Readonly<Record<string, string>>): string {
  const reasons = r.reasons.map((x) => x.code).join(', ');
  const id = r.clientId ?? '';
  const name = r.appName ?? names[id];
  const client = name === undefined || id === '' ? id : `${name} (${id})`;
  return (
    `| ${cell(r.startedAt)} | ${r.verdict} | ${cell(r.method)} | ${cell(r.host)} | ` +
    `${cell(r.path)} | ${cell(client)} | ${cell(r.clientRequestId ?? '')} | ${cell(reasons)} |\n`
  );
}

/** Trusted note text: `code` spans kept, the rest escaped. */
function noteText(s: string): string {
  return s
    .split('`')
    .map((part, i) => (i % 2 === 1 ? `\`${part}\`` : text(part)))
    .join('');
}

function wireNotes(): string {
  const items = WIRE_LIMITS.map(
    (l) => `- **${noteText(l.title)}.** ${noteText(l.text)} _Sign-in logs:_ ${noteText(l.logs)}\n`,
  );
  return `\n## What the wire cannot show\n\n${items.join('')}`;
}

function truncatedNote(): string {
  return '\n\n_The report was cut here to stay within the GitHub step summary limit; see the JSON or HTML report._\n';
}

class Budget {
  private used = 0;
  constructor(private readonly limit: number) {}
  /** Account for `s`; false (and nothing accounted) when it would pass the limit. */
  take(s: string): boolean {
    const n = Buffer.byteLength(s, 'utf8');
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
}

function countBy<T>(xs: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function isWebUrl(s: string): boolean {
  return /^https?:\/\/[^\s<>]+$/i.test(s);
}

/**
 * Inline text from traffic: one line, HTML-significant characters as entities (GitHub renders
 * raw HTML), Markdown punctuation backslash-escaped.
 */
function text(s: string): string {
  return s
    .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/** A table cell: escaped text, capped in length. */
function cell(s: string): string {
  return text(clip(s, MD_LIMITS.cellChars));
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
