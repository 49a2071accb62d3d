/**
 * The fact-tuple table is as good as the rows it stands for: a generated tenant's sign-ins,
 * classified as a raw Log Analytics export and as the tuple table the `kql` query returns for the
 * same rows (grouped by the query's `by` columns with its aggregates, tools/bench/signin-tuples.ts),
 * in each export shape, give the same per-application verdicts, counts and findings. Through the
 * real CLI, which also prints the query.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { laRow, makeTenant, tenantRows, writeLa } from '../../tools/bench/signin-gen.js';
import { TupleEngine, writeTuples } from '../../tools/bench/signin-tuples.js';
import { kqlQuery } from '../../src/sources/signins/kql.js';
import type { ApplicationRecord, Report } from '../../src/core/types.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const tenant = makeTenant(40, 21);
const rows = [...tenantRows(tenant, 40 * 25, 9)];
let dir = '';
let tuples = 0;
const reports: Record<string, Report> = {};
const stderrs: Record<string, string> = {};

async function classify(name: string, file: string): Promise<void> {
  const out = join(dir, `${name}.json`);
  const r = await runCli(['classify', file, '--out', out], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  reports[name] = JSON.parse(readFileSync(out, 'utf8')) as Report;
  stderrs[name] = r.stderr;
}

beforeAll(async () => {
  dir = tempDir('kql-tuples');
  const raw = rows.map((r) => r.row);
  await writeLa(join(dir, 'raw.csv'), raw, 'csv');
  await writeLa(join(dir, 'raw.json'), raw, 'json');
  const engine = new TupleEngine();
  for (const r of raw) engine.add(laRow(r));
  const t = engine.tuples();
  tuples = t.length;
  await writeTuples(join(dir, 'tuples.csv'), t, 'csv');
  await writeTuples(join(dir, 'tuples.json'), t, 'json');
  await writeTuples(join(dir, 'tuples-api.json'), t, 'la-api');
  for (const [name, file] of [
    ['raw-csv', 'raw.csv'],
    ['raw-json', 'raw.json'],
    ['tuples-csv', 'tuples.csv'],
    ['tuples-json', 'tuples.json'],
    ['tuples-api', 'tuples-api.json'],
  ] as const)
    await classify(name, join(dir, file));
}, 180_000);

/** What must not depend on the route: everything of an application but the record ids. */
function apps(r: Report): unknown[] {
  return [...r.applications]
    .sort((a, b) => (a.clientId ?? '').localeCompare(b.clientId ?? ''))
    .map((a: ApplicationRecord) => ({
      clientId: a.clientId,
      name: a.name,
      verdict: a.verdict,
      signIns: a.signIns,
      records: a.exchangeIds.length,
      findings: a.findings
        .map((f) => ({
          code: f.code,
          severity: f.severity,
          message: f.message,
          n: f.exchangeIds.length,
        }))
        .sort((x, y) => `${x.code}${x.message}`.localeCompare(`${y.code}${y.message}`)),
    }));
}

describe('fact tuples vs raw rows', () => {
  it('collapse the rows to far fewer tuples', () => {
    expect(tuples).toBeGreaterThanOrEqual(tenant.length);
    expect(tuples).toBeLessThan(rows.length / 5);
  });

  it.each(['tuples-csv', 'tuples-json', 'tuples-api'])(
    '%s: the same applications, verdicts, counts and findings as the raw rows',
    (name) => {
      const raw = reports['raw-csv'] as Report;
      const got = reports[name] as Report;
      expect(apps(got)).toEqual(apps(raw));
      expect(got.summary.byVerdict).toEqual(raw.summary.byVerdict);
      expect(got.summary.verdict).toBe(raw.summary.verdict);
      expect(stderrs[name]).toMatch(new RegExp(`${rows.length} sign-in log rows read`));
    },
  );

  it('the raw JSON and CSV exports agree too, and the tenant ground truth holds', () => {
    expect(apps(reports['raw-json'] as Report)).toEqual(apps(reports['raw-csv'] as Report));
    const got = reports['tuples-csv'] as Report;
    for (const a of tenant) {
      const app = got.applications.find((x) => x.clientId === a.appId);
      expect(app?.verdict, a.kind).toBe(a.expected.verdict);
      expect(
        app?.findings.map((f) => f.code),
        a.kind,
      ).toContain(a.expected.reason);
    }
    const codes = got.applications.flatMap((a) => a.findings.map((f) => f.code));
    expect(codes).toContain('bas-issued');
    expect(codes).toContain('prediction-contradicted');
  });
});

describe('entra-bas-proxy kql', () => {
  it('prints the generated query', async () => {
    const r = await runCli([
      'kql',
      '--days',
      '7',
      '--tables',
      'signinlogs,AADManagedIdentitySignInLogs',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      kqlQuery({ days: 7, tables: ['SigninLogs', 'AADManagedIdentitySignInLogs'] }),
    );
    const adx = await runCli(['kql', '--adx']);
    expect(adx.stdout).toBe(kqlQuery({ adx: true }));
  });

  it('says in one line what is wrong with its options', async () => {
    for (const args of [
      ['--days', '0'],
      ['--days', 'x'],
      ['--tables', 'AuditLogs'],
      ['--tables', ','],
      ['extra'],
      ['--out', 'x.json'],
    ]) {
      const r = await runCli(['kql', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });
});
