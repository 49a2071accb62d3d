/**
 * `classify --workspace` through the real CLI, the real @azure/monitor-query-logs LogsQueryClient
 * and DefaultAzureCredential (client secret from the environment, token from the simulated Entra
 * ID), against a local HTTPS stand-in of the Log Analytics query API answering its documented
 * shapes: `tables[].columns/rows` (the `kql` query's fact tuples), a partial result (200 with
 * `error`), and 403. No mocked client.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PII_CITY,
  PII_IP,
  PII_MARK,
  laRow,
  makeTenant,
  tenantRows,
  type TenantApp,
} from '../../tools/bench/signin-gen.js';
import type { ApplicationRecord, Report } from '../../src/core/types.js';
import { kqlQuery } from '../../src/sources/signins/kql.js';
import { TupleEngine, writeTuples } from '../../tools/bench/signin-tuples.js';
import {
  CLIENT_SECRET,
  sendJson,
  startAzureStandIns,
  tokenFor,
  type AzureStandIns,
} from '../helpers/azure-standins.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const WORKSPACE = '6c3a1e52-0000-4000-8000-00000000f00d';
const LOGS_AUD = /^https:\/\/api\.loganalytics\.io\/?$/;
const tenant: TenantApp[] = makeTenant(17, 31);
const rows = [...tenantRows(tenant, 17 * 12, 4)];

/**
 * The query's result table as the query API sends it: the fact tuples of the first `n` rows (the
 * engine's summarize, mirrored by tools/bench/signin-tuples.ts), dynamic columns as JSON text.
 */
async function resultOf(n: number): Promise<{ tables: unknown[] }> {
  const engine = new TupleEngine();
  for (const r of rows.slice(0, n)) engine.add(laRow(r.row));
  const file = join(dir, `tuples-${n}.json`);
  await writeTuples(file, engine.tuples(), 'la-api');
  const body = JSON.parse(readFileSync(file, 'utf8')) as { tables: unknown[] };
  rmSync(file);
  return body;
}

let full: { tables: unknown[] };
let part: { tables: unknown[] };

type Mode = 'ok' | 'partial' | 'denied';
let mode: Mode = 'ok';
const asked: { query: unknown; timespan: unknown }[] = [];

function logsHandler(tid: () => string) {
  return (req: http.IncomingMessage, body: string, res: http.ServerResponse): void => {
    if (req.method !== 'POST' || req.url !== `/v1/workspaces/${WORKSPACE}/query`) {
      sendJson(res, 404, {
        error: { code: 'PathNotFoundError', message: `The requested path does not exist` },
      });
      return;
    }
    if (tokenFor(req, LOGS_AUD, tid()) === null) {
      sendJson(res, 401, {
        error: {
          code: 'AuthorizationRequiredError',
          message: 'Valid authentication was not provided',
        },
      });
      return;
    }
    const q = JSON.parse(body) as { query: unknown; timespan: unknown };
    asked.push({ query: q.query, timespan: q.timespan });
    if (mode === 'denied') {
      sendJson(res, 403, {
        error: {
          message:
            'The provided credentials have insufficient access to perform the requested operation',
          code: 'InsufficientAccessError',
          correlationId: '0b8f7d1e-0000-4000-8000-000000000001',
        },
      });
      return;
    }
    if (mode === 'partial') {
      sendJson(res, 200, {
        tables: part.tables,
        error: {
          code: 'PartialError',
          message: 'There were some errors when processing your query.',
          details: [
            {
              code: 'EngineError',
              message: 'Query result set has exceeded the internal record count limit.',
            },
          ],
        },
      });
      return;
    }
    sendJson(res, 200, full);
  };
}

let az: AzureStandIns;
let dir = '';

beforeAll(async () => {
  dir = tempDir('workspace');
  full = await resultOf(rows.length);
  part = await resultOf(20);
  let tid = '';
  az = await startAzureStandIns(dir, (sim) => {
    tid = sim.tenantId;
    return logsHandler(() => tid);
  });
}, 60_000);

afterAll(async () => {
  await az?.close();
});

function classify(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(['classify', '--workspace', WORKSPACE, ...args], {
    env: { ...az.env, ...env },
    timeoutMs: 90_000,
  });
}

function expectClean(texts: Record<string, string>): void {
  const all = [PII_MARK, PII_IP, PII_CITY, CLIENT_SECRET, ...az.sim.secretsSeen()];
  expect(all.length).toBeGreaterThan(2);
  for (const [where, text] of Object.entries(texts)) {
    for (const m of all) expect(text.includes(m), `${m.slice(0, 12)}... in ${where}`).toBe(false);
  }
}

describe('classify --workspace', () => {
  let r: CliResult;
  let report: Report;

  beforeAll(async () => {
    mode = 'ok';
    mkdirSync(join(dir, 'tmp'));
    r = await classify(
      ['--days', '7', '--out', join(dir, 'r.json'), '--out', join(dir, 'r.html')],
      {
        TMPDIR: join(dir, 'tmp'),
      },
    );
    report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Report;
  }, 120_000);

  it('sends the query with its timespan, and classifies the result table', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(asked.at(-1)).toEqual({ query: kqlQuery({ days: 7 }), timespan: 'P7D' });
    // A small table of fact tuples came back, not the rows.
    const tuples = (full.tables[0] as { rows: unknown[] }).rows.length;
    expect(tuples).toBeLessThan(rows.length / 2);
    expect(r.stderr).toContain(`workspace ${WORKSPACE} answered ${tuples} rows`);
    expect(r.stderr).toContain(`${rows.length} sign-in log rows read`);
    for (const a of tenant) {
      const app = report.applications.find((x) => x.clientId === a.appId) as ApplicationRecord;
      expect(app, a.kind).toBeDefined();
      expect(app.verdict, a.kind).toBe(a.expected.verdict);
      expect(app.findings.map((f) => f.code)).toContain(a.expected.reason);
      expect(app.signIns?.total).toBe(rows.filter((x) => x.app === a).length);
      expect(app.signIns?.basIssued).toBe(
        rows.filter((x) => x.app === a && x.row['tokenIssuerType'] === 'AzureADBackupAuth').length,
      );
    }
    expect(tenant.some((a) => a.bas === 'issued')).toBe(true);
    // The result table went through a temporary file, removed after.
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(report.session.sources).toHaveLength(1);
    expect(report.session.sources[0]?.kind).toBe('signins');
    expect(report.session.sources[0]?.name).toMatch(
      new RegExp(`/v1/workspaces/${WORKSPACE}/query \\(last 7 days\\)$`),
    );
  });

  it('keeps no personal data, no secret and no token in any output', () => {
    const files = readdirSync(dir).filter((f) => !f.endsWith('.pem') && f !== 'tmp');
    expect(files.some((f) => f.endsWith('.session.ndjson'))).toBe(true);
    expectClean({
      stdout: r.stdout,
      stderr: r.stderr,
      ...Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')])),
    });
  });
});

describe('classify --workspace, partial or refused', () => {
  it('a partial result: the report is written, said loudly twice, exit 1', async () => {
    mode = 'partial';
    const out = join(dir, 'partial.json');
    const r = await classify(['--out', out]);
    expect(r.code).toBe(1);
    const loud = r.stderr.split('\n').filter((l) => l.includes('PARTIAL RESULT'));
    expect(loud).toHaveLength(2);
    expect(loud[0]).toMatch(/PartialError: .*exceeded the internal record count limit/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/PARTIAL RESULT/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.session.sources[0]?.name).toMatch(/PARTIAL result/);
    expect(report.applications.reduce((n, a) => n + (a.signIns?.total ?? 0), 0)).toBe(20);
    expect(asked.at(-1)?.timespan).toBe('P30D');
  }, 90_000);

  it('403: one line naming the role the identity needs', async () => {
    mode = 'denied';
    const out = join(dir, 'denied.json');
    const r = await classify(['--out', out]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^entra-bas-proxy: workspace ${WORKSPACE} refused the query \\(403 InsufficientAccessError: .*Log Analytics Reader`,
      ),
    );
    expect(existsSync(out)).toBe(false);
    expectClean({ stdout: r.stdout, stderr: r.stderr });
  }, 90_000);
});
