/**
 * The HAR scanner's entry cutting, fed directly: whatever the chunking, each entry comes out as its
 * exact JSON text, strings over the cap shortened by the same rule (never inside an escape), and
 * an entry over the budget as null without losing the entries after it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HarScanner, TRUNCATED_MARK } from '../../../src/sources/har-scan.js';

const MARK_JSON = '\\u0000[truncated]';
/** ENTRY_BUDGET of har-scan.ts. */
const BUDGET = 16 * 1024 * 1024;
const NO_CAP = Number.MAX_SAFE_INTEGER;

function har(entries: readonly string[], sep = ','): string {
  return `{"log":{"version":"1.2","entries":[${entries.join(sep)}]}}`;
}

/** Feeds `text` in chunks of the given sizes (repeated as needed); the entries and end() ran. */
function scan(text: string, sizes: number | readonly number[], cap = NO_CAP): (string | null)[] {
  const steps = typeof sizes === 'number' ? [sizes] : sizes;
  const scanner = new HarScanner('t.har', cap);
  const out: (string | null)[] = [];
  for (let i = 0, k = 0; i < text.length; k++) {
    const size = steps[k % steps.length] as number;
    out.push(...scanner.feed(text.slice(i, i + size)));
    i += size;
  }
  scanner.end();
  return out;
}

/** Feeds `text` in two chunks cut at `at`. */
function scanSplit(text: string, at: number, cap = NO_CAP): (string | null)[] {
  const scanner = new HarScanner('t.har', cap);
  const out = [...scanner.feed(text.slice(0, at)), ...scanner.feed(text.slice(at))];
  scanner.end();
  return out;
}

/**
 * The cutting rule, one character at a time over an entry's whole (valid JSON) text: in a string,
 * each plain character or escape sequence counts one, and is kept while fewer than `cap` were.
 */
function reference(text: string, cap: number): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '"') {
      out += text[i];
      i++;
      continue;
    }
    let j = i + 1;
    let count = 0;
    let dropped = false;
    let kept = '';
    while (text[j] !== '"') {
      const len = text[j] === '\\' ? (text[j + 1] === 'u' ? 6 : 2) : 1;
      if (count < cap && !dropped) {
        kept += text.slice(j, j + len);
        count++;
      } else dropped = true;
      j += len;
    }
    out += `"${kept}${dropped ? MARK_JSON : ''}"`;
    i = j + 1;
  }
  return out;
}

const ESCAPY = {
  startedDateTime: '2025-01-01T00:00:00Z',
  request: {
    method: 'POST',
    url: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
    headers: [{ name: 'x-odd', value: 'a\\b"c\\"d\\\\' }],
    postData: { text: '\u00e9\u0001\n\t\u2028😀\ud800"\\' },
  },
  response: { status: 200, content: { text: '"}]{["\\u1234' } },
};

describe('HarScanner: escapes at chunk boundaries', () => {
  const entries = [JSON.stringify(ESCAPY), JSON.stringify('\\"\u0000'), JSON.stringify(ESCAPY)];
  const text = har(entries, ' ,\n');

  it('holds \\\\, \\" and \\uXXXX in every chunk size from 1 to 7', () => {
    for (let size = 1; size <= 7; size++) {
      const out = scan(text, size);
      expect(out).toEqual(entries);
      expect(out.map((e) => JSON.parse(e ?? ''))).toEqual(JSON.parse(text).log.entries);
    }
  });

  it('holds them with the text split in two at every position', () => {
    for (let at = 0; at <= text.length; at++) expect(scanSplit(text, at)).toEqual(entries);
  });
});

describe('HarScanner: shortened strings', () => {
  const cap = 4;
  // [the string's JSON text, what JSON.parse gives after the cut]
  const cases: [string, string][] = [
    ['"abcd"', 'abcd'],
    ['"abcde"', `abcd${TRUNCATED_MARK}`],
    ['"ab\\"cdef"', `ab"c${TRUNCATED_MARK}`],
    ['"abc\\"def"', `abc"${TRUNCATED_MARK}`],
    ['"abcd\\"e"', `abcd${TRUNCATED_MARK}`],
    ['"abcd\\u00e9"', `abcd${TRUNCATED_MARK}`],
    ['"abc\\u00e9"', 'abcé'],
    ['"abc\\u00e9d"', `abcé${TRUNCATED_MARK}`],
    ['"abc\\\\\\\\"', `abc\\${TRUNCATED_MARK}`],
    ['"\\n\\n\\n\\n\\n"', `\n\n\n\n${TRUNCATED_MARK}`],
    ['"\\u00e9\\u00e9\\u00e9\\u00e9"', 'éééé'],
    ['"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"', `éééé${TRUNCATED_MARK}`],
  ];

  it.each(cases)('%s, next to an escape, at every split', (json, value) => {
    const entry = `{"k":${json},"n":[${json},1],"z":"${'x'.repeat(9)}"}`;
    const want = {
      k: value,
      n: [value, 1],
      z: `xxxx${TRUNCATED_MARK}`,
    };
    const text = har([entry, json]);
    for (let at = 0; at <= text.length; at++) {
      const out = scanSplit(text, at, cap);
      expect(out[0]).toBe(reference(entry, cap));
      expect(JSON.parse(out[0] ?? '')).toEqual(want);
      expect(JSON.parse(out[1] ?? '')).toBe(value);
    }
    const whole = scan(text, text.length, cap);
    for (let size = 1; size <= 7; size++) expect(scan(text, size, cap)).toEqual(whole);
  });

  it('an entry spanning many chunks, with strings shortened in the middle of it', () => {
    const big = {
      request: { url: 'https://login.microsoftonline.com/', headers: [] as unknown[] },
      response: { content: { text: 'b"\\é'.repeat(300_000) } },
    };
    for (let i = 0; i < 400; i++)
      big.request.headers.push({ name: `h${i}`, value: 'v\\"'.repeat(i) });
    const entries = [JSON.stringify(big), JSON.stringify({ small: 'yes' })];
    const text = har(entries);
    expect(text.length).toBeGreaterThan(2_000_000);
    for (const cap of [NO_CAP, 1000]) {
      const want = entries.map((e) => reference(e, cap));
      for (const sizes of [[65_536], [1 << 20], [4093, 1, 7, 65_537]]) {
        expect(scan(text, sizes, cap)).toEqual(want);
      }
    }
    const cut = JSON.parse(scan(text, 65_536, 1000)[0] ?? '');
    expect(cut.response.content.text).toBe(`${'b"\\é'.repeat(250)}${TRUNCATED_MARK}`);
    expect(cut.request.headers[399].value).toBe(`${'v\\"'.repeat(333)}v${TRUNCATED_MARK}`);
  });
});

describe('HarScanner: the entry budget', () => {
  it('an entry of exactly the budget is kept, one over is null, and the next entry comes out', () => {
    const at = `"${'a'.repeat(BUDGET - 2)}"`;
    const over = `{"s":"${'b'.repeat(BUDGET)}"}`;
    const text = har([at, '{"next":1}', over, '{"after":[2]}', `"${'c'.repeat(BUDGET - 1)}"`, '3']);
    const out = scan(text, 1 << 20);
    expect(out.map((e) => (e === null ? null : e.length))).toEqual([BUDGET, 10, null, 13, null, 1]);
    expect(out[0]).toBe(at);
    expect(out[3]).toBe('{"after":[2]}');
  });

  it('shortened text does not count: a huge string under a cap keeps its entry', () => {
    const entry = `{"s":"${'d'.repeat(BUDGET + 5)}","t":"\\u0041"}`;
    const out = scan(har([entry, '{}']), 1 << 20, 10);
    expect(JSON.parse(out[0] ?? '')).toEqual({ s: `dddddddddd${TRUNCATED_MARK}`, t: 'A' });
    expect(out[1]).toBe('{}');
  });
});

describe('HarScanner: properties', () => {
  const chars = fc.constantFrom(
    'a',
    'u',
    '"',
    '\\',
    '/',
    '\n',
    '\u0001',
    'é',
    '😀',
    '\ud800',
    '\u2028',
    '{',
    ']',
    ',',
    ' ',
  );
  const values = fc.oneof(
    fc.jsonValue({ stringUnit: chars, maxDepth: 4 }),
    fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 }),
  );
  const layout = fc.record({
    indent: fc.constantFrom(undefined, 1, '\t'),
    sep: fc.constantFrom(',', ' ,\n', '\n,\t'),
    sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
  });

  it('each entry comes out as its JSON text, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(values, { maxLength: 6 }), layout, (vs, { indent, sep, sizes }) => {
        const entries = vs.map((v) => JSON.stringify(v, null, indent));
        expect(scan(har(entries, sep), sizes)).toEqual(entries);
      }),
      { numRuns: 300 },
    );
  });

  it('strings over the cap are shortened by the same rule, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(values, { maxLength: 6 }),
        layout,
        fc.integer({ min: 0, max: 6 }),
        (vs, { indent, sep, sizes }, cap) => {
          const entries = vs.map((v) => JSON.stringify(v, null, indent));
          const out = scan(har(entries, sep), sizes, cap);
          expect(out).toEqual(entries.map((e) => reference(e, cap)));
          for (const e of out) JSON.parse(e ?? '');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('HarScanner: input that ends inside an entry', () => {
  it.each(['{"a":"x\\', '{"a":"x\\u12', '"abc', '{"a":[1', '12'])(
    '%s -> truncated JSON',
    (tail) => {
      const text = `{"log":{"entries":[{"d":1},${tail}`;
      for (let size = 1; size <= 4; size++) {
        const scanner = new HarScanner('t.har', 2);
        const out: (string | null)[] = [];
        for (let i = 0; i < text.length; i += size)
          out.push(...scanner.feed(text.slice(i, i + size)));
        expect(out).toEqual(['{"d":1}']);
        expect(() => scanner.end()).toThrow('t.har: truncated JSON (unexpected end of file)');
      }
    },
  );
});
