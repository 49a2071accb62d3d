/**
 * The `kql` query, checked by Microsoft's KQL language service against the documented schemas of
 * the four sign-in tables (test/fixtures/kql/signin-tables.json), and the fact-tuple mapping.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FACTS,
  SIGNIN_TABLES,
  TUPLE_COLUMNS,
  columnsRead,
  factTupleColumns,
  kqlQuery,
  rowFromTuple,
  type KqlOptions,
  type SignInTable,
} from '../../../src/sources/signins/kql.js';
import { tupleReader } from '../../../src/sources/signins/tuples.js';
import { isGuest, judgeSignIn } from '../../../src/sources/signins/facts.js';
import { readSignIns } from '../../helpers/read-signins.js';
import type { SignInRow } from '../../../src/sources/signins/row.js';
import { laRow, makeTenant, tenantRows, writeLa } from '../../../tools/bench/signin-gen.js';
import { TupleEngine, writeTuples, type Tuple } from '../../../tools/bench/signin-tuples.js';
import { kqlDiagnostics, loadSchemas } from '../../helpers/kusto.js';
import { tempDir } from '../../helpers/temp.js';

const schemas = loadSchemas(
  fileURLToPath(new URL('../../fixtures/kql/signin-tables.json', import.meta.url)),
);
const documented = (t: string): Set<string> =>
  new Set((schemas[t]?.columns ?? []).map((c) => c.name));

/** Read by the query although no table reference lists them: always through column_ifexists. */
const UNDOCUMENTED = ['OriginalTransferMethod', 'ClientCredentialType'];

/** Personal data (CONTRACT "Never in any output"): the query must not even read these. */
const PERSONAL = [
  'UserPrincipalName',
  'UserDisplayName',
  'UserId',
  'Identity',
  'AlternateSignInName',
  'SignInIdentifier',
  'IPAddress',
  'IPAddressFromResourceProvider',
  'Location',
  'LocationDetails',
  'NetworkLocationDetails',
  'DeviceDetail',
  'SessionId',
  'CorrelationId',
  'Id',
  'OriginalRequestId',
  'UniqueTokenIdentifier',
  'UserAgent',
  'AutonomousSystemNumber',
];

function subsets<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let m = 1; m < 1 << xs.length; m++) out.push(xs.filter((_, i) => m & (1 << i)));
  return out;
}

const VARIANTS: [string, KqlOptions][] = [
  ['default', {}],
  ['--days 1', { days: 1 }],
  ['--days 7', { days: 7 }],
  ['--days 90', { days: 90 }],
  ['--days 730', { days: 730 }],
  ['--adx', { adx: true }],
  ['--adx --days 7', { adx: true, days: 7 }],
  ...subsets(SIGNIN_TABLES).flatMap((t): [string, KqlOptions][] => [
    [`--tables ${t.join(',')}`, { tables: t }],
    [`--adx --tables ${t.join(',')}`, { adx: true, tables: t }],
  ]),
];

describe('kql query', () => {
  it.each(VARIANTS)('%s: zero diagnostics from the KQL language service', (_name, o) => {
    const q = kqlQuery(o);
    expect(kqlDiagnostics(q, schemas)).toEqual([]);
    // Only the chosen tables, each once.
    for (const t of SIGNIN_TABLES) {
      const uses = q.split(`(${t} | invoke SignInFacts("${t}"))`).length - 1;
      expect(uses, t).toBe(!o.tables || o.tables.includes(t) ? 1 : 0);
    }
    expect(q).toContain(`ago(${o.days ?? 30}d)`);
  });

  it('checks against each table alone too (a workspace with only one of them)', () => {
    for (const t of SIGNIN_TABLES) {
      const one = { [t]: schemas[t] } as Parameters<typeof kqlDiagnostics>[1];
      expect(kqlDiagnostics(kqlQuery({ tables: [t] }), one), t).toEqual([]);
      expect(kqlDiagnostics(kqlQuery({ tables: [t], adx: true }), one), t).toEqual([]);
    }
  });

  it('catches a misspelled column, a missing column and a misspelled table (the check can fail)', () => {
    const q = kqlQuery({});
    const typo = kqlDiagnostics(q.replace('tolong(ResultType)', 'tolong(ResultTyp)'), schemas);
    expect(typo.map((d) => d.at)).toEqual(['ResultTyp']);
    expect(typo[0]?.message).toMatch(/does not refer to any known column/);
    // A column one table lacks, read directly instead of through column_ifexists.
    const direct = kqlDiagnostics(
      q.replace('T:(TimeGenerated:datetime,', 'T:(TimeGenerated:datetime, AppDisplayName:string,'),
      schemas,
    );
    expect(direct.map((d) => d.at).sort()).toEqual([
      'AADManagedIdentitySignInLogs',
      'AADServicePrincipalSignInLogs',
    ]);
    const table = kqlDiagnostics(
      q.replace('(SigninLogs | invoke', '(SignInLogs | invoke'),
      schemas,
    );
    expect(table.some((d) => d.at === 'SignInLogs' && d.severity === 'Error')).toBe(true);
    const fn = kqlDiagnostics(q.replace('make_set_if(', 'make_sett_if('), schemas);
    expect(fn.length).toBeGreaterThan(0);
  });

  it('reads only documented columns (or the listed optional ones), never a personal one', () => {
    const all = new Set(SIGNIN_TABLES.flatMap((t) => [...documented(t)]));
    for (const c of columnsRead()) {
      expect(all.has(c) || UNDOCUMENTED.includes(c), c).toBe(true);
      expect(PERSONAL, c).not.toContain(c);
    }
    for (const c of UNDOCUMENTED) expect(all.has(c), `${c} is documented now`).toBe(false);
    for (const o of [{}, { adx: true }]) {
      const q = kqlQuery(o);
      for (const p of PERSONAL) expect(q, p).not.toMatch(new RegExp(`\\b${p}\\b`));
      // A column some table lacks is only ever read through column_ifexists.
      const everywhere = SIGNIN_TABLES.map(documented).reduce(
        (a, b) => new Set([...a].filter((x) => b.has(x))),
      );
      for (const c of columnsRead().filter((x) => !everywhere.has(x)))
        if (new RegExp(`\\b${c}\\b`).test(q)) expect(q, c).toContain(`column_ifexists("${c}", "")`);
    }
  });

  it('says which window, tables and variant it is in its first line', () => {
    expect(kqlQuery({ days: 7, tables: ['SigninLogs'], adx: true }).split('\n')[0]).toBe(
      '// entra-bas-proxy kql --adx --days 7 --tables SigninLogs',
    );
    expect(() => kqlQuery({ days: 0 })).toThrow(RangeError);
    expect(() => kqlQuery({ days: 1.5 })).toThrow(RangeError);
    expect(() => kqlQuery({ tables: [] })).toThrow(RangeError);
    expect(() => kqlQuery({ tables: ['Nope' as SignInTable] })).toThrow(RangeError);
  });

  it('summarizes by every group fact and outputs exactly the tuple columns', () => {
    const q = kqlQuery({});
    const by = /\n\s+by (.*)\n/.exec(q)?.[1]?.split(', ');
    expect(by).toEqual(FACTS.filter((f) => f.kind === 'group').map((f) => f.column));
    expect(q).toContain(`| project ${TUPLE_COLUMNS.join(', ')}\n`);
  });
});

describe('fact tuples', () => {
  const tuple = {
    SignInTable: 'AADNonInteractiveUserSignInLogs',
    AppId: 'AAAAAAAA-0000-4000-8000-000000000001',
    AuthenticationProtocol: 'oAuth2',
    OriginalTransferMethod: '',
    ClientAppUsed: 'Mobile Apps and Desktop clients',
    ClientCredentialType: 'none',
    Guest: 'False',
    ResourceTenantId: '72F988BF-0000-4000-8000-00000000AAAA',
    SignInFrequency: 'false',
    Library: 'MSAL.NET 4.61.3',
    AppDisplayName: 'Contoso native',
    SignIns: '1200',
    BasIssued: '3',
    Failed: '2',
    FirstSeen: '2026-11-01T00:10:00Z',
    LastSeen: '2026-11-28T09:00:00Z',
    BasHours: '["2026-11-12T14:00:00Z"]',
    FailedHours: '["2026-11-12T14:00:00Z","2026-11-13T01:00:00Z"]',
  } as Record<string, string>;

  it('is told from its columns, not from a raw Log Analytics export', () => {
    expect(factTupleColumns(Object.keys(tuple))).toBe('yes');
    expect(factTupleColumns(['TimeGenerated', 'AppId', 'ResultType', 'CorrelationId'])).not.toBe(
      'yes',
    );
    const csvHeader = Object.keys(tuple).map((c) => (c.endsWith('Seen') ? `${c} [UTC]` : c));
    expect(tupleReader(csvHeader)).not.toBeNull();
    expect(tupleReader(['AppId', 'TimeGenerated'])).toBeNull();
  });

  it('becomes one weighted row with its tally, judged like the rows it stands for', () => {
    const row = rowFromTuple((c) => tuple[c]);
    expect(row).not.toBeNull();
    expect(row).toMatchObject({
      appId: 'aaaaaaaa-0000-4000-8000-000000000001',
      appName: 'Contoso native',
      eventType: 'nonInteractiveUser',
      protocol: 'oauth2',
      clientApp: 'mobileappsanddesktopclients',
      credential: 'none',
      resourceTenant: '72f988bf-0000-4000-8000-00000000aaaa',
      library: 'MSAL.NET 4.61.3',
      signInFrequency: false,
      guest: false,
      correlationId: null,
      count: 1200,
      tally: {
        basIssued: 3,
        failed: 2,
        firstSeen: '2026-11-01T00:10:00.000Z',
        lastSeen: '2026-11-28T09:00:00.000Z',
        basHours: ['2026-11-12T14'],
        failedHours: ['2026-11-12T14', '2026-11-13T01'],
      },
    });
    const j = judgeSignIn(row!);
    expect(j.verdict).toBe('conditional');
    expect(j.grantType).toBe('refresh_token');
    expect(isGuest(rowFromTuple((c) => (c === 'Guest' ? 'True' : tuple[c]))!)).toBe(true);
    expect(rowFromTuple((c) => (c === 'AppId' ? '' : tuple[c]))).toBeNull();
  });

  it('takes typed cells as a query client gives them (numbers, booleans, Dates, arrays)', () => {
    const typed: Record<string, unknown> = {
      ...tuple,
      Guest: true,
      SignIns: 7,
      BasIssued: 0,
      Failed: 7,
      FirstSeen: new Date('2026-11-12T14:05:00Z'),
      LastSeen: new Date('2026-11-12T14:55:00Z'),
      BasHours: [],
      FailedHours: [new Date('2026-11-12T14:00:00Z')],
    };
    const row = tupleReader(Object.keys(typed))?.(Object.values(typed));
    expect(row).toMatchObject({
      guest: true,
      count: 7,
      tally: {
        basIssued: 0,
        failed: 7,
        firstSeen: '2026-11-12T14:05:00.000Z',
        lastSeen: '2026-11-12T14:55:00.000Z',
        basHours: [],
        failedHours: ['2026-11-12T14'],
      },
    });
  });
});

describe('fact-tuple files', () => {
  const dir = tempDir('kql-read');

  async function read(path: string, chunkSize = 1 << 20) {
    const it = readSignIns(path, { chunkSize });
    const rows: SignInRow[] = [];
    for await (const r of it) rows.push(r);
    return { rows, shape: it.stats.shape, skipped: Object.fromEntries(it.stats.skipped) };
  }

  it.each(['csv', 'json', 'la-api'] as const)(
    '%s: told from the columns, one weighted row per tuple, cut anywhere',
    async (format) => {
      const engine = new TupleEngine();
      const gen = [...tenantRows(makeTenant(17, 3), 17 * 8, 4)];
      for (const { row } of gen) engine.add(laRow(row));
      const tuples = engine.tuples();
      // A tuple without an app id is skipped and counted, like a row without one.
      tuples.push({ ...(tuples[0] as Tuple), AppId: '' });
      const file = join(dir, `t-${format}.${format === 'csv' ? 'csv' : 'json'}`);
      await writeTuples(file, tuples, format);
      for (const chunk of [1 << 20, 7]) {
        const got = await read(file, chunk);
        expect(got.shape).toBe('fact-tuples');
        expect(got.rows).toHaveLength(tuples.length - 1);
        expect(got.skipped).toEqual({ 'not a sign-in record (no appId)': 1 });
        expect(got.rows.reduce((a, r) => a + r.count, 0)).toBe(gen.length);
        expect(got.rows.every((r) => r.tally !== undefined && r.correlationId === null)).toBe(true);
      }
    },
  );

  it('JSON lines of tuples (a Data Explorer export) are tuples too', async () => {
    const engine = new TupleEngine();
    for (const { row } of tenantRows(makeTenant(17, 3), 34, 4)) engine.add(laRow(row));
    const file = join(dir, 't.ndjson');
    writeFileSync(
      file,
      engine
        .tuples()
        .map((t) => JSON.stringify(t))
        .join('\n'),
    );
    const got = await read(file);
    expect(got.shape).toBe('fact-tuples');
    expect(got.rows.reduce((a, r) => a + r.count, 0)).toBe(34);
  });

  it('a tuple table missing columns is an error that names them, never read as raw rows', async () => {
    const file = join(dir, 'partial.csv');
    writeFileSync(
      file,
      'SignInTable,AppId,SignIns,FirstSeen [UTC]\nSigninLogs,a1,40,2026-11-01T00:00:00Z\n',
    );
    await expect(read(file)).rejects.toMatchObject({
      code: 'ERR_SIGNINS_INVALID',
      message: expect.stringMatching(
        /^partial\.csv: a fact-tuple table \(it has SignIns\) without the columns AuthenticationProtocol, .*BasHours, FailedHours; export every column/,
      ) as unknown,
    });
    const json = join(dir, 'partial.json');
    writeFileSync(json, JSON.stringify([{ AppId: 'a1', SignIns: 40 }]));
    await expect(read(json)).rejects.toMatchObject({ code: 'ERR_SIGNINS_INVALID' });
  });

  it('a raw Log Analytics export stays rows (no tally)', async () => {
    const file = join(dir, 'raw.csv');
    await writeLa(
      file,
      [...tenantRows(makeTenant(17, 3), 34, 4)].map((x) => x.row),
      'csv',
    );
    const got = await read(file);
    expect(got.shape).toBe('csv-la');
    expect(got.rows.every((r) => r.tally === undefined && r.count === 1)).toBe(true);
  });
});
