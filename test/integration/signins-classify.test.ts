/**
 * Sign-in logs as evidence, through the real CLI (`classify`): a generated tenant whose every app
 * has a known ground truth, in several export shapes, plus a HAR of two of its apps joined by
 * client-request-id = correlationId, into one report. Planted personal data must reach no output.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PII_CITY,
  PII_IP,
  PII_MARK,
  makeTenant,
  tenantRows,
  writeAdminCsv,
  writeDiag,
  writeGraph,
  writeLa,
  type TenantApp,
} from '../../tools/bench/signin-gen.js';
import type { ApplicationRecord, ExchangeRecord, Report } from '../../src/core/types.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

let dir = '';
const tenant: TenantApp[] = makeTenant(17, 11);
const rows = [...tenantRows(tenant, 17 * 12, 5)];
const byKind = (k: string): TenantApp => tenant.find((a) => a.kind === k) as TenantApp;

/** A HAR of a native app's refresh whose client-request-id is the correlationId of one of its sign-ins. */
function harOf(app: TenantApp, correlationId: string): string {
  const entry = {
    startedDateTime: '2026-11-12T14:10:00.000Z',
    time: 50,
    request: {
      method: 'POST',
      url: 'https://login.microsoftonline.com/72f988bf-0000-4000-8000-00000000aaaa/oauth2/v2.0/token',
      httpVersion: 'HTTP/1.1',
      headers: [
        { name: 'content-type', value: 'application/x-www-form-urlencoded' },
        { name: 'client-request-id', value: correlationId },
        { name: 'x-client-SKU', value: 'MSAL.NET' },
        { name: 'x-client-Ver', value: '4.61.3' },
      ],
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: 120,
      postData: {
        mimeType: 'application/x-www-form-urlencoded',
        text: `client_id=${app.appId}&grant_type=refresh_token&refresh_token=PLANTED-REFRESH&scope=openid%20offline_access&client_info=1`,
      },
    },
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      headers: [{ name: 'content-type', value: 'application/json' }],
      cookies: [],
      content: {
        size: 40,
        mimeType: 'application/json',
        text: '{"token_type":"Bearer","expires_in":3599}',
      },
      redirectURL: '',
      headersSize: -1,
      bodySize: 40,
    },
    cache: {},
    timings: { send: 0, wait: 50, receive: 0 },
  };
  return JSON.stringify({
    log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [entry] },
  });
}

let report: Report;
let outputs: string[] = [];
let stderr = '';

beforeAll(async () => {
  dir = tempDir('signins-e2e');
  const all = rows.map((r) => r.row);
  const type = (r: Record<string, unknown>): string => (r['signInEventTypes'] as string[])[0] ?? '';
  const interactive = all.filter((r) => type(r) === 'interactiveUser');
  const silent = all.filter((r) => type(r) === 'nonInteractiveUser');
  const sps = all.filter((r) => (r['signInEventTypes'] as string[])[0] === 'servicePrincipal');
  const mis = all.filter((r) => (r['signInEventTypes'] as string[])[0] === 'managedIdentity');
  // Interactive users as the admin-center CSV download, non-interactive ones as a Log Analytics
  // export, service principals as Graph pages, managed identities as diagnostic-settings records:
  // four shapes into one report.
  await writeAdminCsv(join(dir, 'InteractiveSignIns_2026-11-01_2026-11-29.csv'), interactive);
  await writeLa(join(dir, 'noninteractive.csv'), silent, 'csv');
  await writeGraph(join(dir, 'sp-pages.json'), sps, { pageSize: 7 });
  await writeDiag(join(dir, 'mi.ndjson'), mis);
  const native = byKind('native-silent');
  const corr = rows.find(
    (r) => r.app === native && r.row['tokenIssuerType'] === 'AzureADBackupAuth',
  )?.row['correlationId'] as string;
  writeFileSync(join(dir, 'capture.har'), harOf(native, corr.toUpperCase()));
  outputs = ['r.json', 'r.md', 'r.html', 'r.xml', 'r.har'].map((f) => join(dir, f));
  const r = await runCli([
    'classify',
    join(dir, 'InteractiveSignIns_2026-11-01_2026-11-29.csv'),
    join(dir, 'noninteractive.csv'),
    join(dir, 'sp-pages.json'),
    join(dir, 'mi.ndjson'),
    join(dir, 'capture.har'),
    ...outputs.flatMap((o) => ['--out', o]),
    '--log-level',
    'debug',
  ]);
  stderr = r.stderr;
  expect(r.code, r.stderr).toBe(0);
  report = JSON.parse(readFileSync(outputs[0] as string, 'utf8')) as Report;
}, 120_000);

function appOf(a: TenantApp): ApplicationRecord {
  const found = report.applications.find((x) => x.clientId === a.appId);
  expect(found, `${a.kind} ${a.appId}`).toBeDefined();
  return found as ApplicationRecord;
}

describe('classify sign-in logs', () => {
  it('names every source kind it read', () => {
    expect(report.session.sources.map((s) => s.kind)).toEqual([
      'signins',
      'signins',
      'signins',
      'signins',
      'har',
    ]);
    expect(stderr).toMatch(
      new RegExp(`${rows.length} sign-in log rows read, 1 captured exchange joined`),
    );
  });

  it.each(tenant.map((a) => [a.kind, a] as const))(
    '%s: the verdict and reason the ground truth says',
    (_kind, a) => {
      const app = appOf(a);
      expect(app.verdict).toBe(a.expected.verdict);
      expect(app.findings.map((f) => f.code)).toContain(a.expected.reason);
      expect(app.name).toBe(a.name);
      // Sign-in rows rarely name the library: no non-MSAL finding from the logs alone.
      expect(app.findings.map((f) => f.code)).not.toContain('non-msal-client');
      expect(app.signIns?.total).toBe(rows.filter((r) => r.app === a).length);
    },
  );

  it('checks predictions against what BAS issued, in both directions', () => {
    const native = appOf(byKind('native-silent'));
    expect(native.signIns?.basIssued).toBe(1);
    expect(native.findings.find((f) => f.code === 'bas-issued')?.message).toMatch(/issued 1 token/);
    expect(native.findings.some((f) => f.code === 'prediction-contradicted')).toBe(false);
    const ropc = appOf(byKind('ropc'));
    expect(ropc.findings.find((f) => f.code === 'prediction-contradicted')?.message).toMatch(
      /Predicted not covered, yet/,
    );
    const mi = appOf(byKind('mi-user'));
    expect(mi.verdict).toBe('covered');
    expect(mi.findings.find((f) => f.code === 'prediction-contradicted')?.message).toMatch(
      /Predicted covered, but .* failed in 2026-11-12 14:00 UTC/,
    );
  });

  it('says what a capture would settle where the logs cannot', () => {
    const saml = appOf(byKind('saml'));
    expect(saml.findings.find((f) => f.code === 'saml-initiation-unknown')?.remediation).toMatch(
      /proxy or in a HAR/,
    );
    const spa = appOf(byKind('browser-public'));
    expect(spa.findings.find((f) => f.code === 'signin-log-ambiguous')?.remediation).toMatch(
      /proxy or in a HAR/,
    );
  });

  it('joins the captured exchange to its sign-in row, and the app keeps its log name', () => {
    const ex = report.exchanges.find((e) => e.source === 'har') as ExchangeRecord;
    expect(ex.signIn).toEqual({
      tokenIssuerType: 'AzureADBackupAuth',
      appName: byKind('native-silent').name,
    });
    const app = appOf(byKind('native-silent'));
    expect(app.exchangeIds).toContain(ex.id);
  });

  it('writes no personal data from the logs anywhere', () => {
    const files = [
      ...outputs,
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.ndjson') && f.startsWith('r.'))
        .map((f) => join(dir, f)),
    ];
    expect(files.length).toBe(6);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const marker of [PII_MARK, PII_IP, PII_CITY, 'contoso.example', 'PLANTED-REFRESH']) {
        expect(text.includes(marker), `${marker} in ${f}`).toBe(false);
      }
    }
    for (const marker of [PII_MARK, PII_IP, PII_CITY]) expect(stderr.includes(marker)).toBe(false);
  });
});
