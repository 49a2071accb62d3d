import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Verdict } from '../../../src/core/types.js';
import { buildReportHead } from '../../../src/report/build.js';
import { renderToString } from '../../../src/report/writer.js';
import {
  CLIENT,
  FLOWS,
  emptyInput,
  makeApplication,
  makeInput,
  resetIds,
  sampleInput,
  xssInput,
} from '../../helpers/report-fixtures.js';

beforeEach(() => resetIds());

interface Case {
  '@_classname': string;
  '@_name': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  skipped?: { '@_message': string };
  'system-out'?: string;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  testcase?: Case[];
}

function parse(xml: string): { suites: Record<string, string>; suite: Suite } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => name === 'testcase',
    processEntities: true,
  }).parse(xml) as { testsuites: Record<string, string> & { testsuite: Suite } };
  return { suites: doc.testsuites, suite: doc.testsuites.testsuite };
}

describe('renderJunit', () => {
  it('has one testcase per application with correct counts', async () => {
    const { suites, suite } = parse(await renderToString('xml', sampleInput()));
    expect(suite['@_name']).toBe('entra-bas-proxy');
    expect(suite.testcase).toHaveLength(7);
    expect(suite['@_tests']).toBe('7');
    expect(suite['@_failures']).toBe('3');
    expect(suite['@_errors']).toBe('0');
    expect(suite['@_skipped']).toBe('0');
    expect(suites['@_tests']).toBe('7');
    expect(suites['@_failures']).toBe('3');
  });

  it('fails not-covered applications with the top finding and all findings with remediation', async () => {
    const { suite } = parse(await renderToString('xml', sampleInput()));
    const c = suite.testcase?.find((t) => t['@_name'] === CLIENT.legacyCli);
    expect(c?.['@_classname']).toBe('entra-bas-proxy.native');
    expect(c?.failure?.['@_message']).toBe(
      'ropc: Resource owner password credentials (ROPC) are not served by BAS.',
    );
    expect(c?.failure?.['@_type']).toBe('not-covered');
    expect(c?.failure?.['#text']).toContain('device-code');
    expect(c?.failure?.['#text']).toContain('remediation:');
  });

  it('passes conditional and unknown applications with notes, skips not-applicable ones', async () => {
    const records = [FLOWS.unparseable(), FLOWS.metadata(), FLOWS.onBehalfOf()] as const;
    const unknownApp = makeApplication([records[0]], { clientId: 'unknown' });
    const naApp = makeApplication([records[1]], { clientId: 'metadata-only' });
    const cond = makeApplication([records[2]]);
    const { suite } = parse(
      await renderToString('xml', makeInput(records, [unknownApp, naApp, cond])),
    );
    expect(suite['@_failures']).toBe('0');
    expect(suite['@_skipped']).toBe('1');
    const byName = new Map(suite.testcase?.map((t) => [t['@_name'], t]));
    expect(byName.get('unknown')?.['system-out']).toContain('verdict: unknown');
    expect(byName.get(CLIENT.webApi)?.['system-out']).toContain('verdict: conditional');
    expect(byName.get('metadata-only')?.skipped).toBeDefined();
  });

  it('fails every application at or past --fail-on, each with its verdict as the type', async () => {
    const records = [
      FLOWS.unparseable(),
      FLOWS.metadata(),
      FLOWS.onBehalfOf(),
      FLOWS.spaPkce(),
      FLOWS.ropc(),
    ] as const;
    const unknownApp = makeApplication([records[0]], { clientId: 'unknown' });
    const naApp = makeApplication([records[1]], { clientId: 'metadata-only' });
    const cond = makeApplication([records[2]]);
    const covered = makeApplication([records[3]]);
    const bad = makeApplication([records[4]]);
    const apps = [unknownApp, naApp, cond, covered, bad];
    const run = async (failOn?: Verdict) => {
      const input = { ...makeInput(records, apps), ...(failOn ? { failOn } : {}) };
      const { suite } = parse(await renderToString('xml', input));
      const byName = new Map(suite.testcase?.map((t) => [t['@_name'], t]));
      return { suite, byName, failed: (n: string) => byName.get(n)?.failure?.['@_type'] };
    };
    // No --fail-on: as before, only not-covered fails.
    const plain = await run();
    expect(plain.suite['@_failures']).toBe('1');
    expect(plain.failed(CLIENT.legacyCli)).toBe('not-covered');
    expect(plain.failed(CLIENT.webApi)).toBeUndefined();
    // --fail-on conditional: conditional, unknown and not-covered fail; covered passes.
    const conditional = await run('conditional');
    expect(conditional.suite['@_failures']).toBe('3');
    expect(conditional.failed(CLIENT.webApi)).toBe('conditional');
    expect(conditional.failed('unknown')).toBe('unknown');
    expect(conditional.failed(CLIENT.legacyCli)).toBe('not-covered');
    expect(conditional.failed(CLIENT.spa)).toBeUndefined();
    expect(conditional.byName.get(CLIENT.webApi)?.failure?.['@_message']).toContain('on-behalf-of');
    expect(conditional.byName.get(CLIENT.webApi)?.failure?.['#text']).toContain(
      'at or past --fail-on conditional',
    );
    // --fail-on unknown: unknown and not-covered.
    expect((await run('unknown')).suite['@_failures']).toBe('2');
    // --fail-on covered: every judged application; not-applicable ones never fail (as the exit status).
    const all = await run('covered');
    expect(all.suite['@_failures']).toBe('4');
    expect(all.failed(CLIENT.spa)).toBe('covered');
    expect(all.byName.get('metadata-only')?.skipped).toBeDefined();
    expect((await run('not-applicable')).suite['@_failures']).toBe('4');
  });

  it('records the threshold in the suite properties', async () => {
    const xml = await renderToString('xml', { ...sampleInput(), failOn: 'unknown' });
    expect(xml).toContain('<property name="failOn" value="unknown"/>');
    expect(await renderToString('xml', sampleInput())).toContain(
      '<property name="failOn" value="not-covered"/>',
    );
  });

  it('names a test case by the application display name, with its client id', async () => {
    const records = [FLOWS.ropc(), FLOWS.spaPkce()] as const;
    const named = makeApplication([records[0]], { name: 'Payroll <Sync> & "Legacy"' });
    const unnamed = makeApplication([records[1]]);
    const xml = await renderToString('xml', makeInput(records, [named, unnamed]));
    const { suite } = parse(xml);
    const names = suite.testcase?.map((t) => t['@_name']);
    expect(names).toEqual([`Payroll <Sync> & "Legacy" (${CLIENT.legacyCli})`, CLIENT.spa]);
    expect(suite.testcase?.[0]?.failure?.['#text']).toContain(
      `application: Payroll <Sync> & "Legacy" (${CLIENT.legacyCli})`,
    );
    expect(xml).not.toContain('<Sync>');
  });

  it('escapes markup and drops characters XML cannot carry', async () => {
    const input = xssInput();
    const app = input.head.applications[0];
    if (!app) throw new Error('fixture');
    const evil = { ...app, clientId: `${app.clientId}\u0000\u0007\uFFFF\uD800` };
    const records = [];
    for await (const r of input.exchanges()) records.push(r);
    const xml = await renderToString('xml', makeInput(records, [evil]));
    // eslint-disable-next-line no-control-regex -- looking for exactly these characters
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    const { suite } = parse(xml);
    expect(suite.testcase?.[0]?.['@_name']).toContain('<img src=x onerror=alert(2)>');
    expect(xml).not.toContain('<img');
  });

  it('renders an empty session as one failing session test case, never a green suite', async () => {
    const { suite } = parse(await renderToString('xml', emptyInput()));
    expect(suite['@_tests']).toBe('1');
    expect(suite['@_failures']).toBe('1');
    const [c] = suite.testcase ?? [];
    expect(c?.['@_classname']).toBe('entra-bas-proxy.session');
    expect(c?.['@_name']).toBe('no-signin-traffic');
    expect(c?.failure?.['@_type']).toBe('no-signin-traffic');
    expect(c?.failure?.['@_message']).toMatch(/^no-signin-traffic: No sign-in traffic seen/);
  });

  it('passes a refused-handshake finding with its text in system-out', async () => {
    const input = makeInput([FLOWS.ropc()]);
    const { head: h } = input;
    const head = buildReportHead({
      applications: h.applications,
      summary: h.summary,
      startedAt: h.session.startedAt,
      endedAt: h.session.endedAt,
      sources: h.session.sources,
      version: h.tool.version,
      rejections: [
        {
          host: 'login.microsoftonline.com',
          count: 2,
          clients: { 'curl/8.5.0': 2 },
          errors: { ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 2 },
        },
      ],
    });
    const { suite } = parse(await renderToString('xml', { ...input, head }));
    expect(suite['@_tests']).toBe('2');
    expect(suite['@_failures']).toBe('1');
    const c = suite.testcase?.find((t) => t['@_classname'] === 'entra-bas-proxy.session');
    expect(c?.['@_name']).toBe('tls-handshake-rejected login.microsoftonline.com');
    expect(c?.failure).toBeUndefined();
    expect(c?.['system-out']).toContain('refused by curl/8.5.0 (alert unknown_ca)');
    expect(c?.['system-out']).toContain('CURL_CA_BUNDLE=<certs>/ca-bundle.pem');
  });
});
