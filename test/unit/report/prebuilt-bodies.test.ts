/**
 * Report parts made ahead (ReportBodies): the JSON report copied from the session log's lines and
 * the HTML report's rows spooled while recording must give the very bytes the record-by-record
 * renderers give, script-safety included. The report cache (report-cache.ts) makes them from what
 * the recording hands its sink.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ToolError } from '../../../src/core/errors.js';
import { EMPTY_EVIDENCE, type ExchangeRecord } from '../../../src/core/types.js';
import type { ReportBodies, ReportInput } from '../../../src/report/build.js';
import { Interner, rowText } from '../../../src/report/html-rows.js';
import { indentLines } from '../../../src/report/render-json.js';
import { openReportCache } from '../../../src/report/report-cache.js';
import { renderToString } from '../../../src/report/writer.js';
import {
  joinRecordLine,
  openSessionLog,
  readSessionLogLines,
  recordParts,
} from '../../../src/sources/session-log.js';
import { resetIds, sampleInput, xssInput } from '../../helpers/report-fixtures.js';
import { tempDir } from '../../helpers/temp.js';

beforeEach(() => resetIds());

async function recordsOf(input: ReportInput): Promise<ExchangeRecord[]> {
  const out: ExchangeRecord[] = [];
  for await (const r of input.exchanges()) out.push(r);
  return out;
}

async function* bytes(parts: readonly string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield Buffer.from(p, 'utf8');
}

/** Bodies made the way the HAR pipeline makes them, the log's lines cut into `cut`-line chunks. */
function bodiesOf(records: readonly ExchangeRecord[], cut: number): ReportBodies {
  const lines = records.map((r) => JSON.stringify(r) + '\n');
  const chunks: string[] = [''];
  for (let i = 0; i < lines.length; i += cut) chunks.push(lines.slice(i, i + cut).join(''), '');
  return {
    jsonLines: () => bytes(chunks),
    htmlRows: () => {
      const strings = new Interner();
      const rows = records.map((r) => {
        return rowText(r, strings, recordParts(r).evidence);
      });
      // One row split across two chunks, the way a file read cuts them.
      const text = rows.join(',\n');
      const mid = Math.floor(text.length / 2);
      return {
        rows: bytes([text.slice(0, mid), text.slice(mid)]),
        strings: () => strings.values(),
      };
    },
  };
}

describe('prebuilt report bodies', () => {
  for (const [name, make] of [
    ['sample', sampleInput],
    ['xss', xssInput],
  ] as const) {
    for (const cut of [1, 2, 1000]) {
      it(`${name} input, ${cut}-line chunks: JSON and HTML identical to rendering each record`, async () => {
        const input = make();
        const records = await recordsOf(input);
        expect(records.length).toBeGreaterThan(0);
        const fast: ReportInput = { ...input, bodies: bodiesOf(records, cut) };
        expect(await renderToString('html', fast)).toBe(await renderToString('html', input));
        // the JSON report with its lines made must not read the records at all
        const noRecords: ReportInput = {
          ...fast,
          exchanges: () => {
            throw new Error('exchanges() read although the lines were there');
          },
        };
        expect(await renderToString('json', noRecords)).toBe(await renderToString('json', input));
      });
    }
  }

  it('an empty session gives an empty exchanges array', async () => {
    const input = sampleInput();
    const fast: ReportInput = { ...input, bodies: { jsonLines: () => bytes(['', '']) } };
    const text = await renderToString('json', fast);
    expect((JSON.parse(text) as { exchanges: unknown[] }).exchanges).toEqual([]);
  });

  it('the XSS payloads stay escaped in the spooled rows', async () => {
    const input = xssInput();
    const records = await recordsOf(input);
    const html = await renderToString('html', { ...input, bodies: bodiesOf(records, 3) });
    const rows = /<script type="application\/json" id="ebp-rows">([\s\S]*?)<\/script>/.exec(html);
    expect(rows?.[1]).toBeDefined();
    expect(rows?.[1]).not.toContain('<');
    expect(rows?.[1]).not.toMatch(/[\u2028\u2029]/);
  });
});

describe('the report cache, fed as the recording feeds it', () => {
  it.each([
    ['sample', sampleInput],
    ['xss', xssInput],
  ] as const)(
    '%s: JSON and HTML identical to rendering each record; its file goes',
    async (_, make) => {
      const dir = tempDir('report-cache');
      const logPath = join(dir, 's.ndjson');
      const input = make();
      const records = await recordsOf(input);
      const log = openSessionLog(logPath, { startedAt: input.head.session.startedAt });
      const cache = openReportCache({
        sessionLogPath: logPath,
        logLines: () => readSessionLogLines(logPath),
      });
      const [file] = readdirSync(dir).filter((f) => f.endsWith('.rows.tmp'));
      expect(file).toBeDefined();
      expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
      for (const r of records) {
        // What the recording step does: the line from the parts, the record without its evidence.
        const parts = recordParts(r);
        log.appendLine(joinRecordLine(parts.rest, parts.evidence));
        cache.add({ ...r, evidence: EMPTY_EVIDENCE }, parts);
      }
      log.close();
      await new Promise((resolve) => setImmediate(resolve));
      cache.finish();
      expect(cache.error).toBeNull();
      const fast: ReportInput = { ...input, bodies: cache.bodies() };
      for (const format of ['json', 'html'] as const) {
        expect(await renderToString(format, fast)).toBe(await renderToString(format, input));
      }
      cache.dispose();
      cache.dispose();
      expect(existsSync(join(dir, file!))).toBe(false);
    },
  );

  it('a folder it cannot write in is one ERR_IO line', () => {
    const err = (() => {
      try {
        openReportCache({ sessionLogPath: '/nonexistent-dir/s.ndjson', logLines: () => bytes([]) });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe('ERR_IO');
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('recordParts and joinRecordLine', () => {
  it('the record without evidence parses back, and the two join into JSON.stringify(record)', async () => {
    for (const r of await recordsOf(xssInput())) {
      const { rest, evidence } = recordParts(r);
      const { evidence: ev, ...without } = r;
      expect(JSON.parse(rest)).toEqual(without);
      expect(evidence).toBe(JSON.stringify(ev));
      expect(joinRecordLine(rest, evidence)).toBe(JSON.stringify(r));
    }
    expect(joinRecordLine('{}', '{"a":1}')).toBe('{"evidence":{"a":1}}');
  });

  it('a record whose evidence is not its last member: the same data, evidence last', async () => {
    const [r] = await recordsOf(sampleInput());
    const { evidence, ...rest } = r!;
    const reordered = { evidence, ...rest } as ExchangeRecord;
    const parts = recordParts(reordered);
    const line = joinRecordLine(parts.rest, parts.evidence);
    expect(JSON.parse(line)).toEqual(reordered);
    expect(line.endsWith(`"evidence":${JSON.stringify(evidence)}}`)).toBe(true);
  });
});

describe('indentLines', () => {
  it('makes array elements of whole lines, skipping empty ones', () => {
    const text = (s: string, first: boolean) => indentLines(Buffer.from(s), first).toString();
    expect(text('{"a":1}\n{"b":2}\n', true)).toBe('\n    {"a":1},\n    {"b":2}');
    expect(text('{"c":3}\n', false)).toBe(',\n    {"c":3}');
    expect(text('\n\n', true)).toBe('');
    expect(text('', false)).toBe('');
    expect(text('{"d":"é"}\n', true)).toBe('\n    {"d":"é"}');
  });
});
