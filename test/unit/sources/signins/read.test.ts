import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  makeTenant,
  tenantRows,
  writeAdminCsv,
  writeAdminJson,
  writeDiag,
  writeGraph,
  writeLa,
} from '../../../../tools/bench/signin-gen.js';
import { readSignIns } from '../../../helpers/read-signins.js';
import type { SignInRow } from '../../../../src/sources/signins/row.js';
import { tempDir } from '../../../helpers/temp.js';

const dir = tempDir('signins');

const tenant = makeTenant(17, 7);
const all = [...tenantRows(tenant, 170, 3)].map((x) => x.row);
const users = all.filter((r) => {
  const t = (r['signInEventTypes'] as string[])[0];
  return t === 'interactiveUser' || t === 'nonInteractiveUser';
});
const sps = all.filter((r) => (r['signInEventTypes'] as string[])[0] === 'servicePrincipal');

async function read(
  path: string,
  chunkSize = 1 << 20,
): Promise<{ rows: SignInRow[]; shape: string | null; skipped: Record<string, number> }> {
  const it = readSignIns(path, { chunkSize });
  const rows: SignInRow[] = [];
  for await (const r of it) rows.push(r);
  return { rows, shape: it.stats.shape, skipped: Object.fromEntries(it.stats.skipped) };
}

/** The facts every shape must agree on. */
function facts(r: SignInRow) {
  return {
    appId: r.appId,
    time: r.time,
    eventType: r.eventType,
    protocol: r.protocol,
    credential: r.credential,
    crossTenant: r.crossTenant,
    issuer: r.issuer,
    errorCode: r.errorCode,
    homeTenant: r.homeTenant,
  };
}

describe('readSignIns: every export shape gives the same facts', () => {
  const expected = async () =>
    (await read(await write('graph.json', (p) => writeGraph(p, all, { pageSize: 50 })))).rows.map(
      facts,
    );
  async function write(name: string, w: (p: string) => Promise<void>): Promise<string> {
    const p = join(dir, name);
    await w(p);
    return p;
  }

  it('Graph pages, one per line', async () => {
    const r = await read(
      await write('graph-lines.json', (p) => writeGraph(p, all, { pageSize: 50 })),
    );
    expect(r.shape).toBe('graph');
    expect(r.rows).toHaveLength(170);
    expect(r.rows[0]?.appName).toBe(tenant[0]?.name);
  });

  it.each([13, 4096])('a pretty-printed Graph page in chunks of %i', async (size) => {
    const r = await read(
      await write(`graph-pretty-${size}.json`, (p) =>
        writeGraph(p, all, { pageSize: 1000, pretty: true }),
      ),
      size,
    );
    expect(r.shape).toBe('graph');
    expect(r.rows.map(facts)).toEqual(await expected());
  });

  it('the admin-center JSON download', async () => {
    const r = await read(
      await write('InteractiveSignIns_2026.json', (p) => writeAdminJson(p, all)),
    );
    expect(r.shape).toBe('rows-json');
    expect(r.rows.map(facts)).toEqual(await expected());
  });

  it('diagnostic-settings NDJSON and records blobs', async () => {
    const a = await read(await write('diag.ndjson', (p) => writeDiag(p, all)));
    const b = await read(await write('blobs.json', (p) => writeDiag(p, all, { blobs: 40 })));
    expect(a.shape).toBe('ndjson');
    expect(b.shape).toBe('records');
    const want = await expected();
    expect(a.rows.map(facts)).toEqual(want);
    expect(b.rows.map(facts)).toEqual(want);
  });

  it('Log Analytics CSV (TimeGenerated [UTC], dynamic columns as JSON) and JSON', async () => {
    const c = await read(await write('la.csv', (p) => writeLa(p, all, 'csv')));
    const j = await read(await write('la.json', (p) => writeLa(p, all, 'json')));
    expect(c.shape).toBe('csv-la');
    expect(j.shape).toBe('rows-json');
    const want = await expected();
    expect(c.rows.map(facts)).toEqual(want);
    expect(j.rows.map(facts)).toEqual(want);
    expect(c.rows.find((r) => r.signInFrequency)).toBeDefined();
    expect(c.rows.find((r) => r.library !== null)?.library).toBe('MSAL.NET 4.61.3');
  });

  it('the admin-center CSV: header traps, display text, duplicate columns', async () => {
    const u = await read(
      await write('NonInteractiveSignIns_2026-11-01_2026-11-29.csv', (p) =>
        writeAdminCsv(p, users),
      ),
    );
    expect(u.shape).toBe('csv-admin');
    const byTime = new Map((await expected()).map((f) => [`${f.appId}${f.time}`, f]));
    for (const r of u.rows) {
      const want = byTime.get(`${r.appId}${r.time}`);
      expect(want).toBeDefined();
      expect(r.protocol).toBe(want?.protocol);
      expect(r.issuer).toBe(want?.issuer); // "Azure AD Backup Auth" -> azureadbackupauth
      expect(r.crossTenant).toBe(want?.crossTenant);
      expect(r.credential).toBe(want?.credential);
    }
    expect(u.rows.some((r) => r.issuer === 'azureadbackupauth')).toBe(true);
    const s = await read(
      await write('ApplicationSignIns_2026.csv', (p) => writeAdminCsv(p, sps, true)),
    );
    expect(s.rows.length).toBe(sps.length);
    expect(new Set(s.rows.map((r) => r.eventType))).toEqual(new Set(['servicePrincipal']));
  });
});

describe('readSignIns: bad input is a one-line error or counted skips', () => {
  function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }
  const row = JSON.stringify(all[0]);

  it.each([
    ['empty', '', /empty file/],
    ['truncated-page', `{"value":[${row},${row.slice(0, 50)}`, /truncated JSON/],
    ['truncated-array', `[${row},`, /truncated JSON/],
    ['har', '{"log":{"entries":[]}}', /a HAR file/],
    ['unknown-csv', 'Foo,Bar,Baz\n1,2,3\n', /header is not a sign-in log/],
    ['truncated-csv', `Date (UTC),Application ID ,Application\n2026-11-01,"abc`, /truncated CSV/],
    ['garbage', '\u0000\u0001garbage', /neither JSON nor CSV/],
    ['object', '{\n"hello": 1\n}', /neither a Graph sign-ins page/],
  ])('%s', async (name, text, message) => {
    await expect(read(file(`${name}.txt`, text))).rejects.toThrow(message);
  });

  it('a mix of shapes in one JSON-lines file: rows, pages and blobs read, the rest counted', async () => {
    const p = file(
      'mixed.ndjson',
      [
        row,
        JSON.stringify({ value: [all[1], all[2]] }),
        JSON.stringify({ records: [{ category: 'SignInLogs', properties: all[3] }] }),
        '{"hello":1}',
        'not json',
        '[1,2]',
        '',
      ].join('\n'),
    );
    const r = await read(p);
    expect(r.rows).toHaveLength(4);
    expect(r.skipped).toEqual({
      'not a sign-in record (no appId)': 1,
      'not JSON': 1,
      'not a sign-in record': 2,
    });
  });

  it('a CSV row with the wrong number of columns is skipped and counted', async () => {
    const p = file(
      'short.csv',
      'TimeGenerated,AppId,AppDisplayName\n2026-11-01T00:00:00Z,abc,App\n2026-11-01T00:00:00Z,short\n',
    );
    const r = await read(p);
    expect(r.rows).toHaveLength(1);
    expect(r.skipped).toEqual({ 'a row with 2 of 3 columns': 1 });
  });

  it('unknownFutureValue enums and missing optional columns are read, not guessed', async () => {
    const p = file(
      'min.csv',
      'TimeGenerated,AppId,TokenIssuerType\n2026-11-01T00:00:00Z,abc,unknownFutureValue\n',
    );
    const r = await read(p);
    expect(r.rows[0]).toMatchObject({
      appId: 'abc',
      issuer: 'unknownfuturevalue',
      protocol: null,
      eventType: 'unknown',
    });
  });

  it('a directory or a missing file is ERR_INPUT', async () => {
    await expect(read(dir)).rejects.toThrow(/cannot read \(EISDIR\)/);
    await expect(read(join(dir, 'nope.json'))).rejects.toThrow(/cannot read \(ENOENT\)/);
  });
});
