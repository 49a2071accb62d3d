/**
 * JUnit XML, so CI systems show one test case per application, named by its display name when one
 * is known, with its client id beside it: `Contoso Desktop (04b07795-...)`, else the client id.
 *
 * Mapping of verdicts (a decision, kept stable for users' CI dashboards). The threshold is the
 * run's `--fail-on` (ReportInput.failOn); without one it is `not-covered`:
 * - at or past the threshold -> <failure type="VERDICT">: message = the top finding, body = every
 *                       finding with its remediation. `not-applicable` applications never fail,
 *                       as with the exit status (app-label.ts failsAt).
 * - `conditional`    -> below the threshold: passes, with the findings in <system-out>: BAS may
 *                       serve it, depending on conditions the wire cannot show (recent sign-in,
 *                       Conditional Access).
 * - `unknown`        -> below the threshold: passes, with the findings in <system-out>: the traffic
 *                       could not be judged, which is not evidence of a gap.
 * - `covered`        -> below the threshold: passes (findings, if any, in <system-out>).
 * - `not-applicable` -> <skipped>: no sign-in flow to judge (metadata only).
 * Session findings (summary.findings: no sign-in traffic, refused TLS handshakes) are test cases of
 * class `entra-bas-proxy.session`, named by code (and host): severity error -> <failure>, else
 * passing with the text in <system-out>. A session with nothing to judge is never a green suite.
 * No <error> elements: errors are failures of the tool itself, which end the run instead.
 */
import type { ApplicationRecord, Finding, SessionFinding, Verdict } from '../core/types.js';
import { appLabel, failsAt, flowList, topFinding } from './app-label.js';
import type { ReportInput } from './build.js';

/** The threshold when the run gave no --fail-on: what JUnit always failed. */
export const JUNIT_DEFAULT_FAIL_ON: Verdict = 'not-covered';

export async function* renderJunit(input: ReportInput): AsyncIterable<string> {
  const { head } = input;
  const apps = head.applications;
  const failOn = input.failOn ?? JUNIT_DEFAULT_FAIL_ON;
  const failures = apps.filter((a) => failsAt(a, failOn)).length;
  const found = head.summary.findings ?? [];
  const sessionFailures = found.filter((f) => f.severity === 'error').length;
  const skipped = apps.filter((a) => a.verdict === 'not-applicable').length;
  const seconds = Math.max(
    0,
    (Date.parse(head.session.endedAt) - Date.parse(head.session.startedAt)) / 1000,
  );
  const time = Number.isFinite(seconds) ? seconds.toFixed(3) : '0';
  const counts = `tests="${apps.length + found.length}" failures="${failures + sessionFailures}" errors="0" skipped="${skipped}" time="${time}"`;
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<testsuites name="entra-bas-proxy" ${counts}>\n`;
  yield `  <testsuite name="entra-bas-proxy" ${counts} timestamp="${attr(head.session.startedAt)}">\n`;
  yield '    <properties>\n';
  yield prop('tool.version', head.tool.version);
  yield prop('schemaVersion', String(head.schemaVersion));
  yield prop('verdict', head.summary.verdict);
  yield prop('exchanges', String(head.summary.exchanges));
  yield prop('failOn', failOn);
  yield '    </properties>\n';
  for (const f of found) yield sessionTestcase(f);
  for (const a of apps) yield testcase(a, failOn);
  yield '  </testsuite>\n</testsuites>\n';
}

const NO_FINDING: Readonly<Record<Verdict, string>> = {
  'not-covered': 'not covered by the backup authentication system',
  unknown: 'BAS coverage could not be judged',
  conditional: 'covered by BAS only under conditions the traffic cannot show',
  covered: 'covered by the backup authentication system',
  'not-applicable': 'no sign-in flow seen',
};

function testcase(a: ApplicationRecord, failOn: Verdict): string {
  const open = `    <testcase classname="entra-bas-proxy.${attr(a.appType)}" name="${attr(appLabel(a))}">\n`;
  const details = findingsText(a);
  let body = '';
  if (failsAt(a, failOn)) {
    const top = topFinding(a);
    const message = top ? `${top.code}: ${top.message}` : NO_FINDING[a.verdict];
    const why =
      failOn === JUNIT_DEFAULT_FAIL_ON
        ? ''
        : `verdict ${a.verdict}, at or past --fail-on ${failOn}\n`;
    body = `      <failure message="${attr(message)}" type="${attr(a.verdict)}">${text(why + details)}</failure>\n`;
  } else if (a.verdict === 'not-applicable') {
    body = '      <skipped message="not applicable: no sign-in flow seen"/>\n';
  } else {
    body = `      <system-out>${text(`verdict: ${a.verdict}\n${details}`)}</system-out>\n`;
  }
  return `${open}${body}    </testcase>\n`;
}

function sessionTestcase(f: SessionFinding): string {
  const name = f.host ? `${f.code} ${f.host}` : f.code;
  const open = `    <testcase classname="entra-bas-proxy.session" name="${attr(name)}">\n`;
  const details = `[${f.severity}] ${f.code}: ${f.message}\n  remediation: ${f.remediation}\n`;
  const body =
    f.severity === 'error'
      ? `      <failure message="${attr(`${f.code}: ${f.message}`)}" type="${attr(f.code)}">${text(details)}</failure>\n`
      : `      <system-out>${text(details)}</system-out>\n`;
  return `${open}${body}    </testcase>\n`;
}

function findingsText(a: ApplicationRecord): string {
  const flows = flowList(a);
  const lines = [
    `application: ${appLabel(a)} (${a.appType}, ${a.clientType}${a.library ? `, ${a.library}` : ''})`,
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
