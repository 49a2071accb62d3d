import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HostRejections } from '../../../src/core/tls-rejections.js';
import { VERDICTS, type Verdict } from '../../../src/core/types.js';
import { buildReportHead, type ReportInput } from '../../../src/report/build.js';
import { isEmptySession, sessionFindings } from '../../../src/report/session-findings.js';
import { renderToString } from '../../../src/report/writer.js';
import {
  FLOWS,
  XSS,
  applicationsOf,
  reportInputOf,
  resetIds,
  summaryOf,
} from '../../helpers/report-fixtures.js';

beforeEach(() => resetIds());

function byVerdict(counts: Partial<Record<Verdict, number>>): Record<Verdict, number> {
  return Object.fromEntries(VERDICTS.map((v) => [v, counts[v] ?? 0])) as Record<Verdict, number>;
}

const REFUSED: HostRejections = {
  host: 'login.microsoftonline.com',
  count: 2,
  clients: { [`curl${XSS.img}`]: 2 },
  errors: { ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 2 },
};

describe('isEmptySession', () => {
  it.each([
    [0, {}, true],
    [2, { 'not-applicable': 2 }, true],
    [3, { 'not-applicable': 2, covered: 1 }, false],
    [1, { unknown: 1 }, false],
  ] as const)('%i exchanges %o: %s', (exchanges, counts, empty) => {
    expect(isEmptySession({ exchanges, byVerdict: byVerdict(counts) })).toBe(empty);
  });
});

describe('sessionFindings', () => {
  it('nothing to say about a judged session without refusals', () => {
    expect(sessionFindings({ exchanges: 1, byVerdict: byVerdict({ covered: 1 }) })).toEqual([]);
  });

  it('no-signin-traffic (error) for none, and for discovery documents only', () => {
    const [none] = sessionFindings({ exchanges: 0, byVerdict: byVerdict({}) });
    expect(none).toMatchObject({ code: 'no-signin-traffic', severity: 'error' });
    expect(none?.message).toMatch(/nothing to judge.*This is not a pass/);
    expect(none?.remediation).toMatch(/HTTPS_PROXY.*NO_PROXY.*entra-bas-proxy ca/);
    const [na] = sessionFindings({ exchanges: 3, byVerdict: byVerdict({ 'not-applicable': 3 }) });
    expect(na?.message).toMatch(/3 exchanges with Entra ID, all not applicable/);
  });

  it('one tls-handshake-rejected (warning) per host, errors first, named in the empty finding', () => {
    const found = sessionFindings({ exchanges: 0, byVerdict: byVerdict({}) }, [
      REFUSED,
      { host: 'login.microsoftonline.us', count: 1, clients: { node: 1 }, errors: { x: 1 } },
    ]);
    expect(found.map((f) => [f.code, f.severity, f.host])).toEqual([
      ['no-signin-traffic', 'error', undefined],
      ['tls-handshake-rejected', 'warning', 'login.microsoftonline.com'],
      ['tls-handshake-rejected', 'warning', 'login.microsoftonline.us'],
    ]);
    expect(found[0]?.message).toMatch(
      /3 TLS handshakes for login\.microsoftonline\.com, login\.microsoftonline\.us were refused/,
    );
    expect(found[1]).toMatchObject({ count: 2, errors: REFUSED.errors, clients: REFUSED.clients });
    expect(found[1]?.message).toMatch(
      /2 TLS handshakes .* were refused by .* \(alert unknown_ca\)/,
    );
    expect(found[2]?.remediation).toContain('NODE_EXTRA_CA_CERTS');
  });
});

const schema = JSON.parse(
  readFileSync(new URL('../../../schema/report.schema.json', import.meta.url), 'utf8'),
) as object;

function input(records = [FLOWS.metadata()], rejections = [REFUSED]): ReportInput {
  const applications = applicationsOf(records);
  const head = buildReportHead({
    applications,
    summary: summaryOf(records, applications),
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T10:59:59.000Z',
    sources: [{ kind: 'proxy', name: 'http://127.0.0.1:8080' }],
    version: '0.1.0-test',
    rejections,
  });
  return reportInputOf(head, records);
}

describe('session findings in every report', () => {
  it('JSON: summary.findings, valid against the shipped schema; the schema refuses a bad code', async () => {
    const report = JSON.parse(await renderToString('json', input())) as {
      summary: { findings: { code: string }[] };
    };
    expect(report.summary.findings.map((f) => f.code)).toEqual([
      'no-signin-traffic',
      'tls-handshake-rejected',
    ]);
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(report)).toBe(true);
    const bad = structuredClone(report);
    if (bad.summary.findings[0]) bad.summary.findings[0].code = 'looks-fine';
    expect(validate(bad)).toBe(false);
  });

  it('JSON: an empty list when there is nothing to say', async () => {
    const report = JSON.parse(await renderToString('json', input([FLOWS.spaPkce()], []))) as {
      summary: { findings: unknown[] };
    };
    expect(report.summary.findings).toEqual([]);
  });

  it('Markdown: a Session findings block, traffic text escaped', async () => {
    const md = await renderToString('md', input());
    expect(md).toMatch(
      /## Session findings\n\n- \*\*error\*\* `no-signin-traffic`: No sign-in traffic seen/,
    );
    expect(md).toMatch(/- \*\*warning\*\* `tls-handshake-rejected`: 2 TLS handshakes/);
    expect(md).not.toContain('<img');
    expect(md.indexOf('## Session findings')).toBeLessThan(md.indexOf('## Applications'));
  });

  it('HTML: a Session findings section under the summary, traffic text escaped', async () => {
    const html = await renderToString('html', input());
    expect(html).toContain('<section id="session-findings"><h2>Session findings</h2>');
    expect(html).toMatch(
      /<li class="finding sev-error">.*<code>no-signin-traffic<\/code> No sign-in traffic seen/,
    );
    expect(html).toContain('<code>tls-handshake-rejected</code> 2 TLS handshakes');
    expect(html).not.toContain('<img src=x');
    expect(html.indexOf('id="session-findings"')).toBeLessThan(html.indexOf('id="chart"'));
  });

  it('HTML and Markdown: no block when there is nothing to say', async () => {
    const quiet = input([FLOWS.spaPkce()], []);
    expect(await renderToString('html', quiet)).not.toContain('session-findings');
    expect(await renderToString('md', quiet)).not.toContain('Session findings');
  });
});
