/**
 * JUnit XML, so CI systems show one test case per application.
 *
 * Mapping of verdicts (a decision, kept stable for users' CI dashboards):
 * - `not-covered`    -> <failure>: message = the top finding, body = every finding with its remediation.
 * - `conditional`    -> passes, with the findings in <system-out>: BAS may serve it, depending on
 *                       conditions the wire cannot show (recent sign-in, Conditional Access).
 * - `unknown`        -> passes, with the findings in <system-out>: the traffic could not be judged,
 *                       which is not evidence of a gap. `--fail-on unknown` makes the run fail instead.
 * - `covered`        -> passes (findings, if any, in <system-out>).
 * - `not-applicable` -> <skipped>: no sign-in flow to judge (metadata only).
 * No <error> elements: errors are failures of the tool itself, which end the run instead.
 */
import type { ApplicationRecord, Finding } from '../core/types.js';
import type { ReportInput } from './build.js';

export async function* renderJunit(input: ReportInput): AsyncIterable<string> {
  const { head } = input;
  const apps = head.applications;
  const failures = apps.filter((a) => a.verdict === 'not-covered').length;
  const skipped = apps.filter((a) => a.verdict === 'not-applicable').length;
  const seconds = Math.max(
    0,
    (Date.parse(head.session.endedAt) - Date.parse(head.session.startedAt)) / 1000,
  );
  const time = Number.isFinite(seconds) ? seconds.toFixed(3) : '0';
  const counts = `tests="${apps.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}"`;
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<testsuites name="entra-bas-proxy" ${counts}>\n`;
  yield `  <testsuite name="entra-bas-proxy" ${counts} timestamp="${attr(head.session.startedAt)}">\n`;
  yield '    <properties>\n';
  yield prop('tool.version', head.tool.version);
  yield prop('schemaVersion', String(head.schemaVersion));
  yield prop('verdict', head.summary.verdict);
  yield prop('exchanges', String(head.summary.exchanges));
  yield '    </properties>\n';
  for (const a of apps) yield testcase(a);
  yield '  </testsuite>\n</testsuites>\n';
}

function testcase(a: ApplicationRecord): string {
  const open = `    <testcase classname="entra-bas-proxy.${attr(a.appType)}" name="${attr(a.clientId)}">\n`;
  const details = findingsText(a);
  let body = '';
  if (a.verdict === 'not-covered') {
    const top = a.findings.find((f) => f.severity === 'error') ?? a.findings[0];
    const message = top
      ? `${top.code}: ${top.message}`
      : 'not covered by the backup authentication system';
    body = `      <failure message="${attr(message)}" type="not-covered">${text(details)}</failure>\n`;
  } else if (a.verdict === 'not-applicable') {
    body = '      <skipped message="not applicable: no sign-in flow seen"/>\n';
  } else {
    body = `      <system-out>${text(`verdict: ${a.verdict}\n${details}`)}</system-out>\n`;
  }
  return `${open}${body}    </testcase>\n`;
}

function findingsText(a: ApplicationRecord): string {
  const flows = Object.entries(a.flows)
    .map(([k, n]) => `${k} x${n}`)
    .join(', ');
  const lines = [
    `application: ${a.clientId} (${a.appType}, ${a.clientType}${a.library ? `, ${a.library}` : ''})`,
    `hosts: ${a.hosts.join(', ')}`,
    `flows: ${flows || 'none'}`,
    `exchanges: ${a.exchangeIds.length}`,
  ];
  for (const f of a.findings) lines.push(...findingLines(f));
  return lines.join('\n') + '\n';
}

function findingLines(f: Finding): string[] {
  return [
    '',
    `[${f.severity}] ${f.code}: ${f.message}`,
    `  remediation: ${f.remediation}`,
    `  docs: ${f.docUrl}`,
    `  exchanges: ${f.exchangeIds.slice(0, 20).join(', ')}${f.exchangeIds.length > 20 ? `, ... (${f.exchangeIds.length} in all)` : ''}`,
  ];
}

function prop(name: string, value: string): string {
  return `      <property name="${attr(name)}" value="${attr(value)}"/>\n`;
}

/** Drop characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF). */
function xmlSafe(s: string): string {
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

function text(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}
