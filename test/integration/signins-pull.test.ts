/**
 * `signins pull` through the real CLI, the real DefaultAzureCredential (client secret from the
 * environment, token from the simulated Entra ID) and a local HTTPS stand-in of Graph beta
 * `auditLogs/signIns` that answers the documented shapes: `value` pages with `@odata.nextLink`,
 * `unknownFutureValue` for a BAS issuer unless `Prefer: include-unknown-enum-members`, 429 with
 * Retry-After, and 403 with Graph's error body. No mocked client.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PII_CITY,
  PII_IP,
  PII_MARK,
  makeTenant,
  tenantRows,
  type TenantApp,
} from '../../tools/bench/signin-gen.js';
import type { ApplicationRecord, Report } from '../../src/core/types.js';
import {
  CLIENT_SECRET,
  sendJson,
  startAzureStandIns,
  tokenFor,
  type AzureStandIns,
} from '../helpers/azure-standins.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const GRAPH_AUD = /^00000003-0000-0000-c000-000000000000$/;
const PAGE = 5;
const tenant: TenantApp[] = makeTenant(17, 21);
const rows = [...tenantRows(tenant, 17 * 4, 9)];
const typeOf = (r: Record<string, unknown>): string => (r['signInEventTypes'] as string[])[0] ?? '';

type Mode = 'ok' | 'denied' | 'no-licence' | 'throttled' | 'foreign-next';
let mode: Mode = 'ok';
/** When the one planned 429 was answered, and when its request came again. */
const throttle = { at: 0, retriedAt: 0 };
const filters = new Set<string>();
let requests = 0;

function graphHandler(tid: () => string) {
  return (req: http.IncomingMessage, _body: string, res: http.ServerResponse): void => {
    requests++;
    const url = new URL(req.url ?? '/', 'https://graph.test');
    if (url.pathname !== '/beta/auditLogs/signIns') {
      sendJson(res, 404, { error: { code: 'BadRequest', message: 'Resource not found.' } });
      return;
    }
    if (tokenFor(req, GRAPH_AUD, tid()) === null) {
      sendJson(res, 401, {
        error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' },
      });
      return;
    }
    if (mode === 'denied') {
      sendJson(res, 403, {
        error: {
          code: 'Authorization_RequestDenied',
          message: 'Insufficient privileges to complete the operation.',
          innerError: { date: '2026-12-06T10:00:00', 'request-id': 'r-1' },
        },
      });
      return;
    }
    if (mode === 'no-licence') {
      sendJson(res, 403, {
        error: {
          code: 'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
          message: "Neither tenant is B2C or tenant doesn't have premium license",
        },
      });
      return;
    }
    if (mode === 'foreign-next') {
      sendJson(res, 200, {
        value: [],
        '@odata.nextLink': 'https://graph.example.test/beta/auditLogs/signIns?$skiptoken=1',
      });
      return;
    }
    if (mode === 'throttled') {
      sendJson(
        res,
        429,
        { error: { code: 'TooManyRequests', message: 'Too many requests.' } },
        { 'retry-after': '0' },
      );
      return;
    }
    const filter = url.searchParams.get('$filter') ?? '';
    const type = /signInEventTypes\/any\(t: t eq '(\w+)'\)/.exec(filter)?.[1];
    const since = /createdDateTime ge (\S+)/.exec(filter)?.[1];
    if (type === undefined || since === undefined) {
      sendJson(res, 400, { error: { code: 'BadRequest', message: 'Invalid filter clause' } });
      return;
    }
    filters.add(type);
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
    // The first follow-up page of the non-interactive sign-ins is throttled once.
    if (type === 'nonInteractiveUser' && skip === PAGE) {
      if (throttle.at === 0) {
        throttle.at = Date.now();
        sendJson(
          res,
          429,
          { error: { code: 'TooManyRequests', message: 'Too many requests.' } },
          { 'retry-after': '1' },
        );
        return;
      }
      throttle.retriedAt ||= Date.now();
    }
    const enums = /include-unknown-enum-members/.test(String(req.headers['prefer'] ?? ''));
    const all = rows.map((r) => r.row).filter((r) => typeOf(r) === type);
    const value = all.slice(skip, skip + PAGE).map((r) =>
      // Without the Prefer header Graph hides the evolvable enum members behind unknownFutureValue.
      !enums && r['tokenIssuerType'] === 'AzureADBackupAuth'
        ? { ...r, tokenIssuerType: 'unknownFutureValue' }
        : r,
    );
    const next = new URL(url.href);
    next.searchParams.set('$skiptoken', String(skip + PAGE));
    sendJson(res, 200, {
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#auditLogs/signIns',
      value,
      ...(skip + PAGE < all.length
        ? { '@odata.nextLink': `https://${String(req.headers.host)}${next.pathname}${next.search}` }
        : {}),
    });
  };
}

let az: AzureStandIns;
let dir = '';

beforeAll(async () => {
  dir = tempDir('signins-pull');
  let tid = '';
  az = await startAzureStandIns(dir, (sim) => {
    tid = sim.tenantId;
    return graphHandler(() => tid);
  });
}, 60_000);

afterAll(async () => {
  await az?.close();
});

function pull(args: readonly string[]): Promise<CliResult> {
  return runCli(['signins', 'pull', '--tenant', az.sim.tenantId, ...args], {
    env: az.env,
    timeoutMs: 90_000,
  });
}

/** Planted personal data and every secret that crossed the wire (client secret, tokens). */
function markers(): string[] {
  return [PII_MARK, PII_IP, PII_CITY, 'contoso.example', CLIENT_SECRET, ...az.sim.secretsSeen()];
}

function expectClean(texts: Record<string, string>): void {
  const all = markers();
  expect(all.length).toBeGreaterThan(2);
  for (const [where, text] of Object.entries(texts)) {
    for (const m of all) expect(text.includes(m), `${m.slice(0, 12)}... in ${where}`).toBe(false);
  }
}

describe('signins pull', () => {
  let r: CliResult;
  let report: Report;
  const pulled = (): string => join(dir, 'pulled.ndjson');

  beforeAll(async () => {
    mode = 'ok';
    r = await pull(['--days', '7', '--out', pulled(), '--out', join(dir, 'r.json')]);
    report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Report;
  }, 120_000);

  it('reads every event type, follows the pages and classifies them', () => {
    expect(r.code, r.stderr).toBe(0);
    expect([...filters].sort()).toEqual(
      ['interactiveUser', 'managedIdentity', 'nonInteractiveUser', 'servicePrincipal'].sort(),
    );
    expect(r.stderr).toContain(`pulled ${rows.length} sign-ins`);
    const app = (a: TenantApp): ApplicationRecord =>
      report.applications.find((x) => x.clientId === a.appId) as ApplicationRecord;
    for (const a of tenant) {
      expect(app(a), a.kind).toBeDefined();
      expect(app(a).verdict, a.kind).toBe(a.expected.verdict);
      expect(app(a).findings.map((f) => f.code)).toContain(a.expected.reason);
      expect(app(a).signIns?.total).toBe(rows.filter((x) => x.app === a).length);
    }
    expect(report.session.sources).toEqual([{ kind: 'signins', name: pulled() }]);
  });

  it('asks for the BAS issuer values (Prefer: include-unknown-enum-members)', () => {
    const issued = tenant.filter((a) => a.bas === 'issued');
    expect(issued.length).toBeGreaterThan(0);
    for (const a of issued) {
      const app = report.applications.find((x) => x.clientId === a.appId);
      expect(app?.signIns?.basIssued, a.kind).toBe(1);
    }
  });

  it('waits out a 429 for its Retry-After, then carries on', () => {
    expect(throttle.at).toBeGreaterThan(0);
    expect(throttle.retriedAt - throttle.at).toBeGreaterThanOrEqual(950);
    expect(r.stderr).toMatch(/Graph answered 429: trying again in 1 second \(retry 1\)/);
  });

  it('writes a file classify reads on its own, the same verdicts', async () => {
    const again = await runCli(['classify', pulled(), '--out', join(dir, 'again.json')]);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')) as Report;
    const verdicts = (x: Report): string[] =>
      x.applications.map((a) => `${a.clientId} ${a.verdict} ${a.signIns?.total ?? 0}`).sort();
    expect(verdicts(second)).toEqual(verdicts(report));
  });

  it('keeps no personal data, no secret and no token in any output', () => {
    const files = readdirSync(dir).filter((f) => !f.endsWith('.pem'));
    expect(files).toContain('pulled.ndjson');
    expect(files.some((f) => f.endsWith('.session.ndjson'))).toBe(true);
    expect(files.some((f) => f.endsWith('.partial'))).toBe(false);
    expectClean({
      stdout: r.stdout,
      stderr: r.stderr,
      ...Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')])),
    });
  });
});

describe('signins pull, refused or throttled', () => {
  it('403: one line naming AuditLog.Read.All and the licence; no file left behind', async () => {
    mode = 'denied';
    const out = join(dir, 'denied.ndjson');
    const r = await pull(['--out', out, '--out', join(dir, 'denied.json')]);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    expect(last).toMatch(
      /^entra-bas-proxy: Graph refused the sign-in logs \(403 Authorization_RequestDenied/,
    );
    expect(last).toMatch(/AuditLog\.Read\.All/);
    expect(last).toMatch(/P1\/P2/);
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
    expect(existsSync(join(dir, 'denied.json'))).toBe(false);
    expectClean({ stdout: r.stdout, stderr: r.stderr });
  }, 90_000);

  it('403 for a tenant without P1/P2: says the licence is missing', async () => {
    mode = 'no-licence';
    const r = await pull(['--out', join(dir, 'nolicence.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no Microsoft Entra ID P1\/P2 licence/);
    expect(r.stderr).toMatch(/Authentication_RequestFromNonPremiumTenantOrB2CTenant/);
  }, 90_000);

  it('no credential in the environment: one line saying how to give one', async () => {
    mode = 'ok';
    const env = { ...az.env };
    delete env['AZURE_CLIENT_SECRET'];
    const before = requests;
    const r = await runCli(['signins', 'pull', '--tenant', az.sim.tenantId], { env });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^entra-bas-proxy: cannot get a token for https:\/\/graph\.microsoft\.com\/\.default \(no Azure credential found: set AZURE_TENANT_ID/,
    );
    expect(requests).toBe(before);
  }, 90_000);

  it('straight into a report: the pull goes through a temporary file, removed after', async () => {
    mode = 'ok';
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const out = join(dir, 'direct.json');
    const r = await runCli(['signins', 'pull', '--tenant', az.sim.tenantId, '--out', out], {
      env: { ...az.env, TMPDIR: tmp },
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.session.sources).toEqual([
      {
        kind: 'signins',
        name: `${az.service.url}/beta/auditLogs/signIns (tenant ${az.sim.tenantId}, last 30 days)`,
      },
    ]);
    expect(report.applications).toHaveLength(tenant.length);
    expect(readdirSync(tmp)).toEqual([]);
  }, 90_000);

  it('follows no @odata.nextLink off the Graph origin (the token goes to Graph only)', async () => {
    mode = 'foreign-next';
    const r = await pull(['--out', join(dir, 'foreign.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /@odata\.nextLink points at https:\/\/graph\.example\.test, not https:\/\/127\.0\.0\.1:\d+: not followed/,
    );
  }, 90_000);

  it('gives up after a bounded number of 429s, in one line', async () => {
    mode = 'throttled';
    const before = requests;
    const r = await pull(['--out', join(dir, 'throttled.json')]);
    expect(r.code).toBe(1);
    expect(requests - before).toBe(6);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /Graph answered 429 6 times in a row \(throttled or unavailable\)/,
    );
  }, 90_000);
});
