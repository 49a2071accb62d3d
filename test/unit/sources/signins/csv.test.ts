import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSplitter, RECORD_BUDGET, headerKey } from '../../../../src/sources/signins/csv.js';

function split(text: string, size: number): { records: (string[] | null)[]; open: boolean } {
  const sp = new CsvSplitter();
  const records: (string[] | null)[] = [];
  for (let i = 0; i < text.length; i += size) records.push(...sp.feed(text.slice(i, i + size)));
  const end = sp.end();
  return { records: [...records, ...end.records], open: end.unterminatedQuote };
}

describe('CsvSplitter', () => {
  const text = '\ufeffa,b ,"c"\r\n1,"x,""y""\nz",3\n\n"",,"q"\r\nlast,"ok"';
  const expected = [
    ['a', 'b ', 'c'],
    ['1', 'x,"y"\nz', '3'],
    ['', '', 'q'],
    ['last', 'ok'],
  ];

  it.each([1, 2, 3, 5, 7, 100])('splits quoted fields, CRLF and a BOM in chunks of %i', (size) => {
    expect(split(text, size)).toEqual({ records: expected, open: false });
  });

  it('says when the file ends inside a quoted field', () => {
    expect(split('a,b\n1,"never closed\n2,3', 4).open).toBe(true);
  });

  it('gives a record over the budget as null and goes on with the next', () => {
    const huge = `x,"${'y'.repeat(RECORD_BUDGET + 10)}"\nnext,1\n`;
    expect(split(huge, 65536).records).toEqual([null, ['next', '1']]);
  });

  it('round-trips any fields written the RFC 4180 way, whatever the chunking', () => {
    const field = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é') });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 9 }),
        (rows, size) => {
          const csv = rows
            .map((r) => r.map((f) => `"${f.replaceAll('"', '""')}"`).join(','))
            .join('\r\n');
          expect(split(csv, size).records).toEqual(rows);
        },
      ),
    );
  });

  it('matches headers leniently', () => {
    expect(headerKey(' Application ID ')).toBe('application id');
    expect(headerKey('Autonomous system  number')).toBe('autonomous system number');
  });
});
