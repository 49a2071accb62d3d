/**
 * The one offline path (classify-files.ts) and the one report head (finish.ts): session logs and
 * reports as inputs, what `report` and `merge` keep, and the head's span, sources and refused
 * handshakes, whichever command recorded the session.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tlsRejectionLine } from '../../../src/core/tls-rejections.js';
import type { ExchangeRecord, Report } from '../../../src/core/types.js';
import { classifyFiles } from '../../../src/session/classify-files.js';
import { reportInput, writeSessionReports } from '../../../src/session/finish.js';
import { makeRecord } from '../../helpers/records.js';
import { tempDir } from '../../helpers/temp.js';

const HEADER_AT = '2026-03-01T10:00:00.000Z';

function sessionLog(dir: string, name: string, records: ExchangeRecord[], notes: string[] = []) {
  const path = join(dir, name);
  const header = {
    type: 'session',
    schemaVersion: 1,
    tool: 'entra-bas-proxy',
    startedAt: HEADER_AT,
  };
  const lines = [JSON.stringify(header), ...notes, ...records.map((r) => JSON.stringify(r))];
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const records = (n: number, app: string): ExchangeRecord[] =>
  Array.from({ length: n }, (_, i) =>
    makeRecord({ clientId: app, startedAt: `2026-03-01T10:0${i}:00.000Z` }),
  );

const refusal = tlsRejectionLine(
  { host: 'login.microsoftonline.com', error: 'ERR_SSL_SSLV3_ALERT_UNKNOWN_CA', client: 'curl/8' },
  3,
  HEADER_AT,
);

describe('classifyFiles', () => {
  it('records a session log’s records as they are (classify SESSION)', async () => {
    const dir = tempDir('offline');
    const input = records(3, 'app-a');
    const log = sessionLog(dir, 'in.session.ndjson', input);
    const { recorded, sources } = await classifyFiles({
      files: [log],
      keep: { log: join(dir, 'out.ndjson') },
      workers: 0,
    });
    recorded.dispose();
    expect(sources).toEqual([{ kind: 'session', name: log }]);
    const lines = readFileSync(join(dir, 'out.ndjson'), 'utf8').trim().split('\n').slice(1);
    expect(lines).toEqual(input.map((r) => JSON.stringify(r)));
    expect(recorded.session.summary().exchanges).toBe(3);
  });

  it('report: reads the input log back, writes nothing, tells its span and refusals', async () => {
    const dir = tempDir('offline');
    const input = records(3, 'app-a');
    const log = sessionLog(dir, 'in.session.ndjson', input, [refusal]);
    const { recorded, sources } = await classifyFiles({
      files: [log],
      keep: 'input',
      format: 'session',
    });
    expect(readdirSync(dir)).toEqual(['in.session.ndjson']);
    expect(recorded.sessionLogPath).toBe(log);
    const report = await reportInput(recorded, sources);
    expect(report.head.session).toEqual({
      startedAt: HEADER_AT,
      endedAt: input[2]!.startedAt,
      sources: [{ kind: 'session', name: log }],
    });
    expect(report.head.summary.findings?.map((f) => [f.code, f.count])).toEqual([
      ['tls-handshake-rejected', 3],
    ]);
    const back: ExchangeRecord[] = [];
    for await (const r of report.exchanges()) back.push(r);
    expect(back).toEqual(input);
  });

  it('merge: keeps the records, each exchange and each shard’s refusals once', async () => {
    const dir = tempDir('offline');
    const shard = async (name: string, app: string, at: string): Promise<string> => {
      const log = sessionLog(dir, `${name}.session.ndjson`, records(2, app), [refusal]);
      const { recorded, sources } = await classifyFiles({ files: [log], keep: 'input' });
      const out = join(dir, `${name}.json`);
      await writeSessionReports({ ...recorded, startedAt: at, endedAt: at }, sources, [out]);
      return out;
    };
    const a = await shard('a', 'app-a', '2026-03-02T00:00:00.000Z');
    const b = await shard('b', 'app-b', '2026-03-01T00:00:00.000Z');
    const { recorded, sources } = await classifyFiles({
      files: [a, b, a],
      keep: 'memory',
      format: 'report',
    });
    expect(recorded.sessionLogPath).toBeNull();
    const out = join(dir, 'merged.json');
    await writeSessionReports(recorded, sources, [out]);
    const merged = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(merged.exchanges).toHaveLength(4);
    expect(merged.applications.map((x) => x.clientId).sort()).toEqual(['app-a', 'app-b']);
    expect(merged.session.startedAt).toBe('2026-03-01T00:00:00.000Z');
    expect(merged.session.endedAt).toBe('2026-03-02T00:00:00.000Z');
    expect(merged.session.sources).toEqual([a, b, a].map((name) => ({ kind: 'merge', name })));
    // Two shards of 3 refusals each; the shard given twice counts once.
    expect(merged.summary.findings?.map((f) => [f.code, f.count])).toEqual([
      ['tls-handshake-rejected', 6],
    ]);
  });

  it('a HAR with no span of its own: the head spans the recording up to the report', async () => {
    const dir = tempDir('offline');
    const har = join(dir, 'x.har');
    writeFileSync(har, '{"log":{"version":"1.2","entries":[]}}');
    const before = new Date().toISOString();
    const { recorded, sources } = await classifyFiles({
      files: [har],
      keep: { log: join(dir, 's.ndjson') },
      workers: 0,
    });
    const report = await reportInput(recorded, sources, '2099-01-01T00:00:00.000Z', {
      rejections: [],
    });
    recorded.dispose();
    expect(report.head.session.startedAt >= before).toBe(true);
    expect(report.head.session.endedAt).toBe('2099-01-01T00:00:00.000Z');
    expect(report.head.session.sources).toEqual([{ kind: 'har', name: har }]);
    expect(report.head.summary.findings?.map((f) => f.code)).toEqual(['no-signin-traffic']);
    expect(report.bodies).toBeDefined();
  });
});
