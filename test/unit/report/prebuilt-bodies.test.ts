/**
 * Report parts made ahead (ReportBodies): the JSON report copied from the session log's lines and
 * the HTML report's rows spooled while recording must give the very bytes the record-by-record
 * renderers give, script-safety included.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../../../src/core/types.js';
import type { ReportBodies, ReportInput } from '../../../src/report/build.js';
import { Interner, rowText } from '../../../src/report/html-rows.js';
import { indentLines } from '../../../src/report/render-json.js';
import { renderToString } from '../../../src/report/writer.js';
import { joinRecordLine, recordParts } from '../../../src/sources/session-log.js';
import { resetIds, sampleInput, xssInput } from '../../helpers/report-fixtures.js';

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
