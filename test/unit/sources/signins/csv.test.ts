import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CsvCutter,
  CsvSplitter,
  RECORD_BUDGET,
  firstRecordEnd,
  headerKey,
} from '../../../../src/sources/signins/csv.js';

function split(text: string, size: number): { records: (string[] | null)[]; open: boolean } {
  const sp = new CsvSplitter();
  const records: (string[] | null)[] = [];
  for (let i = 0; i < text.length; i += size) records.push(...sp.feed(text.slice(i, i + size)));
  const end = sp.end();
  return { records: [...records, ...end.records], open: end.unterminatedQuote };
}

/** Any text at all, well-formed CSV or not (quotes mid-field, text after a closing quote). */
const anyText = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', 'é') });

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

  it('the fast path for plain records splits exactly as the state machine does, on any text', () => {
    // Chunks of 1 character never hold a whole record: the state machine reads everything.
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 40 }), (text, size) => {
        expect(split(text, size)).toEqual(split(text, 1));
      }),
      { numRuns: 500 },
    );
  });

  it('each() gives the records feed() gives, in order, each as soon as it is complete', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 40 }), (text, size) => {
        const sp = new CsvSplitter();
        const seen: (string[] | null)[] = [];
        for (let i = 0; i < text.length; i += size) {
          sp.each(text.slice(i, i + size), (r) => seen.push(r));
          // Nothing held back: a chunk ending in a record's line end has given that record.
          const piece = text.slice(0, i + size);
          if (/[\r\n]$/.test(piece) && !split(piece, 1).open)
            expect(seen.length).toBe(split(piece.replace(/\r$/, ''), 1).records.length);
        }
        seen.push(...sp.end().records);
        expect(seen).toEqual(split(text, size).records);
      }),
      { numRuns: 300 },
    );
  });

  it('select() keeps only the chosen columns, the others given as empty', () => {
    const text = 'a,b,c,d\n1,"2,x",3,4\n5,6,"7\n8",9\n';
    const sp = new CsvSplitter().select([1, 2]);
    expect(sp.feed(text)).toEqual([
      ['', 'b', 'c', ''],
      ['', '2,x', '3', ''],
      ['', '6', '7\n8', ''],
    ]);
  });
});

describe('CsvCutter', () => {
  /** Cut `text` fed as bytes in chunks of `size`: the pieces, the rest and the quote state. */
  function cut(text: string, size: number): { pieces: Buffer[]; open: boolean; oversize: number } {
    const bytes = Buffer.from(text);
    const cutter = new CsvCutter();
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      const b = cutter.feed(bytes.subarray(i, i + size));
      if (b.length > 0) pieces.push(b);
    }
    const end = cutter.end();
    if (end.rest.length > 0) pieces.push(end.rest);
    return { pieces, open: end.unterminatedQuote, oversize: cutter.oversize };
  }

  it('cuts any text at record boundaries: each piece split alone gives the same records', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 30 }), (text, size) => {
        const whole = split(text, 1 << 20);
        const c = cut(text, size);
        expect(Buffer.concat(c.pieces).toString()).toBe(text);
        const records = c.pieces.flatMap((p) => {
          const sp = new CsvSplitter(false);
          return [...sp.feed(p.toString()), ...sp.end().records];
        });
        expect(records).toEqual(whole.records);
        expect(c.open).toBe(whole.open);
      }),
      { numRuns: 500 },
    );
  });

  it('drops a record that never ends, in bounded memory, and goes on after it', () => {
    const huge = `x,"${'y'.repeat(5 * RECORD_BUDGET)}"\nnext,1\n`;
    const c = cut(huge, 65536);
    expect(c.oversize).toBe(1);
    expect(Buffer.concat(c.pieces).toString()).toBe('next,1\n');
  });

  it('finds the end of the first record (the header)', () => {
    expect(firstRecordEnd(Buffer.from('a,"b\nc",d\r\n1,2'))).toBe(10);
    expect(firstRecordEnd(Buffer.from('a,"b\n'))).toBe(-1);
  });
});

describe('headers', () => {
  it('matches headers leniently', () => {
    expect(headerKey(' Application ID ')).toBe('application id');
    expect(headerKey('Autonomous system  number')).toBe('autonomous system number');
  });
});
