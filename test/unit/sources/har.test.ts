import { rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../src/core/errors.js';
import type { RawExchange } from '../../../src/core/types.js';
import { HAR_BODY_CAP, readHar, type HarReadOptions } from '../../../src/sources/har.js';
import { syntheticKeptCount, writeSyntheticHar } from '../../helpers/har-gen.js';
import { tempDir } from '../../helpers/temp.js';

const FIX = join(import.meta.dirname, '../../fixtures/har');
const tmp = tempDir('har-test-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function collect(path: string, opts?: HarReadOptions): Promise<RawExchange[]> {
  const out: RawExchange[] = [];
  for await (const r of readHar(path, opts)) out.push(r);
  return out;
}

async function failure(path: string): Promise<ToolError> {
  try {
    await collect(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    return err as ToolError;
  }
  throw new Error(`expected ${path} to fail`);
}

describe('readHar: exports of real tools', () => {
  it('Chromium: pseudo-headers dropped, repeats joined, redirectURL, status 0, data: URLs filtered', async () => {
    const xs = await collect(join(FIX, 'chromium.har'));
    expect(xs.map((x) => x.id)).toEqual([
      'har-chromium.har-0',
      'har-chromium.har-1',
      'har-chromium.har-2',
    ]);
    const [token, authorize, failed] = xs as [RawExchange, RawExchange, RawExchange];
    expect(token).toMatchObject({
      source: 'har',
      scheme: 'https',
      method: 'POST',
      host: 'login.microsoftonline.com',
      port: 443,
      url: '/72f988bf-0000-0000-0000-000000000001/oauth2/v2.0/token',
      status: 200,
      startedAt: '2025-03-04T10:11:12.345Z',
      durationMs: 87.123,
      error: null,
    });
    expect(Object.keys(token.requestHeaders).some((k) => k.startsWith(':'))).toBe(false);
    expect(token.requestHeaders['accept']).toBe('*/*, application/json');
    expect(token.requestHeaders['origin']).toBe('https://spa.example.com');
    expect(token.responseHeaders['set-cookie']).toBe(
      'fpc=fake; path=/\nx-ms-gateway-slice=estsfd; path=/',
    );
    expect(token.requestBody?.text).toContain('grant_type=authorization_code');
    expect(token.requestBody?.size).toBe(180);
    expect(JSON.parse(token.responseBody?.text ?? '')).toHaveProperty('token_type', 'Bearer');
    expect(authorize.url).toContain('/oauth2/v2.0/authorize?client_id=');
    expect(authorize.responseHeaders['location']).toBe(
      'https://spa.example.com/#code=fake-auth-code',
    );
    expect(authorize.requestBody).toBeNull();
    expect(failed.status).toBeNull();
    expect(failed.error).toEqual({
      code: 'upstream-refused',
      message: 'no response in the HAR: net::ERR_CONNECTION_REFUSED',
    });
  });

  it('Firefox: postData.params become a form body; UserInfo on graph kept; offsets normalised', async () => {
    const xs = await collect(join(FIX, 'firefox.har'));
    expect(xs).toHaveLength(2);
    const [token, userinfo] = xs as [RawExchange, RawExchange];
    expect(token.startedAt).toBe('2025-03-04T10:00:00.000Z');
    expect(new URLSearchParams(token.requestBody?.text).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(token.requestBody?.text).get('scope')).toBe('openid User.Read');
    expect(token.requestHeaders['host']).toBe('login.microsoftonline.com');
    expect(userinfo.host).toBe('graph.microsoft.com');
    expect(userinfo.url).toBe('/oidc/userinfo');
    expect(userinfo.responseBody).toBeNull();
  });

  it('Fiddler: base64 content decoded, 7-digit fractions, alias host kept', async () => {
    const xs = await collect(join(FIX, 'fiddler.har'));
    expect(xs).toHaveLength(2);
    const [saml, ropc] = xs as [RawExchange, RawExchange];
    expect(saml.startedAt).toBe('2025-03-04T11:00:00.123Z');
    expect(saml.responseBody?.text).toContain('name="SAMLResponse"');
    expect(saml.responseBody?.truncated).toBe(false);
    expect(saml.url).toContain('/saml2?SAMLRequest=');
    expect(ropc.host).toBe('login.windows.net');
    expect(ropc.requestHeaders['x-client-sku']).toBe('PCL.Desktop');
  });

  it('Charles: CONNECT rows filtered, base64 JSON decoded, failed request has an error', async () => {
    const xs = await collect(join(FIX, 'charles.har'));
    expect(xs.map((x) => x.method)).toEqual(['POST', 'POST']);
    const [device, failed] = xs as [RawExchange, RawExchange];
    expect(JSON.parse(device.responseBody?.text ?? '')).toHaveProperty('user_code', 'FAKE123');
    expect(failed.status).toBeNull();
    expect(failed.error?.code).toBe('client-aborted');
    expect(failed.durationMs).toBe(10);
    expect(failed.id).toBe('har-charles.har-2');
  });

  it('mitmproxy: IMDS over http and Arc on localhost:40342 kept, ports split', async () => {
    const xs = await collect(join(FIX, 'mitmproxy.har'));
    expect(xs.map((x) => [x.scheme, x.host, x.port])).toEqual([
      ['http', '169.254.169.254', 80],
      ['http', 'localhost', 40342],
    ]);
    expect(xs[0]?.requestHeaders['metadata']).toBe('true');
    expect(xs[1]?.status).toBe(401);
  });

  it('keep() decides which hosts are yielded', async () => {
    const xs = await collect(join(FIX, 'mitmproxy.har'), { keep: () => true });
    expect(xs.map((x) => x.host)).toEqual(['169.254.169.254', 'localhost', 'api.example.net']);
  });

  it('skips and counts malformed entries', async () => {
    const skips: [number, string][] = [];
    const it = readHar(join(FIX, 'malformed-entries.har'), {
      onSkip: (i, r) => skips.push([i, r]),
    });
    const xs: RawExchange[] = [];
    for await (const x of it) xs.push(x);
    expect(xs.map((x) => x.id)).toEqual([
      'har-malformed-entries.har-6',
      'har-malformed-entries.har-7',
    ]);
    expect(xs[1]?.status).toBeNull();
    expect(xs[1]?.requestHeaders).toEqual({});
    expect(skips.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(it.stats).toMatchObject({ entries: 8, kept: 2, skipped: 6 });
  });
});

describe('readHar: garbage input', () => {
  it.each([
    ['not-json.har', 'not-json.har: not JSON'],
    ['binary.har', 'binary.har: not JSON'],
    ['empty.har', 'empty.har: empty file, not a HAR file'],
    ['empty-object.har', 'empty-object.har: not a HAR file (no log.entries)'],
    ['no-entries.har', 'no-entries.har: not a HAR file (no log.entries)'],
    ['json-array.har', 'json-array.har: not a HAR file (top level is an array)'],
    [
      'entries-not-array.har',
      'entries-not-array.har: not a HAR file (log.entries is an object, not an array)',
    ],
  ])('%s -> ERR_HAR_INVALID', { timeout: 5000 }, async (file, message) => {
    const err = await failure(join(FIX, file));
    expect(err.code).toBe('ERR_HAR_INVALID');
    expect(err.message).toBe(message);
  });

  it(
    'truncated JSON -> ERR_HAR_INVALID after the complete entries',
    { timeout: 5000 },
    async () => {
      const seen: string[] = [];
      let error: unknown;
      try {
        for await (const x of readHar(join(FIX, 'truncated.har'))) seen.push(x.id);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ToolError);
      expect((error as ToolError).code).toBe('ERR_HAR_INVALID');
      expect((error as ToolError).message).toMatch(
        /^truncated\.har: (invalid or truncated JSON|truncated JSON)/,
      );
      expect((error as ToolError).message).not.toContain('\n');
    },
  );

  it(
    'truncated at every point never hangs and always fails with ERR_HAR_INVALID',
    { timeout: 20000 },
    async () => {
      const full =
        '{"log":{"version":"1.2","entries":[{"request":{"method":"GET","url":"https://login.microsoftonline.com/x","headers":[{"name":"a","value":"b"}]},"response":{"status":200,"content":{"text":"hi"}}}]}}';
      for (let cut = 1; cut < full.length; cut += 3) {
        const p = join(tmp, `cut-${cut}.har`);
        writeFileSync(p, full.slice(0, cut));
        const err = await failure(p);
        expect(err.code).toBe('ERR_HAR_INVALID');
      }
    },
  );

  it('trailing garbage after the document -> ERR_HAR_INVALID', async () => {
    const p = join(tmp, 'trailing.har');
    writeFileSync(p, '{"log":{"entries":[]}} xyz');
    expect((await failure(p)).code).toBe('ERR_HAR_INVALID');
  });

  it('a missing file -> ERR_INPUT', async () => {
    expect((await failure(join(tmp, 'nope.har'))).code).toBe('ERR_INPUT');
  });

  it('a huge single-line string fails fast', { timeout: 5000 }, async () => {
    const p = join(tmp, 'huge-string.har');
    writeFileSync(p, '"' + 'a'.repeat(20 * 1024 * 1024) + '"');
    const err = await failure(p);
    expect(err.message).toBe('huge-string.har: not a HAR file (top level is a string)');
  });

  it(
    'a huge unterminated string inside log fails in bounded time',
    { timeout: 20000 },
    async () => {
      const p = join(tmp, 'huge-inner.har');
      const out = createWriteStream(p);
      out.write(
        '{"log":{"entries":[{"request":{"url":"https://login.microsoftonline.com/","method":"POST","postData":{"text":"',
      );
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 24; i++) out.write(chunk);
      out.end();
      await once(out, 'finish');
      const err = await failure(p);
      expect(err.code).toBe('ERR_HAR_INVALID');
    },
  );
});

describe('readHar: bodies and scale', () => {
  it('caps a body at 1 MiB of text and marks it truncated', async () => {
    const p = join(tmp, 'big-body.har');
    const big = 'é'.repeat(HAR_BODY_CAP); // 2 MiB of UTF-8
    const b64 = Buffer.from('z'.repeat(3 * HAR_BODY_CAP)).toString('base64');
    writeFileSync(
      p,
      JSON.stringify({
        log: {
          entries: [
            {
              request: {
                method: 'POST',
                url: 'https://login.microsoftonline.com/t',
                headers: [],
                postData: { text: big },
              },
              response: {
                status: 200,
                headers: [],
                content: { size: 3 * HAR_BODY_CAP, text: b64, encoding: 'base64' },
              },
            },
          ],
        },
      }),
    );
    const [x] = await collect(p);
    expect(x?.requestBody?.truncated).toBe(true);
    expect(Buffer.byteLength(x?.requestBody?.text ?? '')).toBeLessThanOrEqual(HAR_BODY_CAP);
    expect(x?.requestBody?.text.endsWith('é')).toBe(true);
    expect(x?.responseBody?.truncated).toBe(true);
    expect(x?.responseBody?.size).toBe(3 * HAR_BODY_CAP);
    expect(x?.responseBody?.text.length).toBe(HAR_BODY_CAP);
  });

  it(
    'reads a synthetic HAR with progress; stops early without hanging',
    { timeout: 30000 },
    async () => {
      const p = join(tmp, 'synthetic.har');
      await writeSyntheticHar(p, 2000);
      let last: [number, number] = [0, 0];
      const xs = await collect(p, { onProgress: (n, b) => (last = [n, b]) });
      expect(xs).toHaveLength(syntheticKeptCount(2000));
      expect(last[0]).toBe(2000);
      expect(last[1]).toBeGreaterThan(0);
      expect(new Set(xs.map((x) => x.id)).size).toBe(xs.length);
      let n = 0;
      for await (const _ of readHar(p)) if (++n === 5) break;
      expect(n).toBe(5);
    },
  );
});

describe('readHar: chunk boundaries', () => {
  const files = [
    'chromium.har',
    'firefox.har',
    'fiddler.har',
    'charles.har',
    'mitmproxy.har',
    'malformed-entries.har',
  ];
  it.each(files)('%s reads the same with 1-, 3- and 7-byte chunks', async (file) => {
    const keep = (): boolean => true;
    const whole = await collect(join(FIX, file), { keep });
    for (const chunkSize of [1, 3, 7]) {
      expect(await collect(join(FIX, file), { keep, chunkSize })).toEqual(whole);
    }
  });

  it('escapes, unicode, nested arrays and odd whitespace survive any split', async () => {
    const entry = {
      startedDateTime: '2025-01-01T00:00:00Z',
      request: {
        method: 'POST',
        url: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
        headers: [{ name: 'X-Odd', value: 'a "quoted" \\ back\\slash \u0001 é 𝄞 \u2028' }],
        postData: { text: '{"k":["v1",{"n":[1,2,[3]]}],"s":"\\"}"}' },
      },
      response: { status: 200, headers: [], content: { text: ']}[{,:"' } },
    };
    const text = `\n\t{ "log" : { "pages" : [ { "x" : [ 1 , -2.5e3 , true , null , "]}" ] } ] , "entries" : [ ${JSON.stringify(entry)} ,\n${JSON.stringify(entry)} ] , "extra" : { } } }\n`;
    const p = join(tmp, 'odd.har');
    writeFileSync(p, text);
    const whole = await collect(p);
    expect(whole).toHaveLength(2);
    expect(whole[0]?.requestHeaders['x-odd']).toBe(entry.request.headers[0]?.value);
    expect(whole[0]?.requestBody?.text).toBe(entry.request.postData.text);
    expect(whole[0]?.responseBody?.text).toBe(']}[{,:"');
    for (const chunkSize of [1, 2, 5]) expect(await collect(p, { chunkSize })).toEqual(whole);
  });

  it('text read in ASCII chunks, then a character split between chunks, then one cut by the end of the file', async () => {
    const entry = {
      startedDateTime: '2025-01-01T00:00:00Z',
      request: {
        method: 'POST',
        url: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
        headers: [{ name: 'X-Name', value: 'Zoë 𝄞' }],
      },
      response: { status: 200, headers: [], content: { text: '{}' } },
    };
    const text = `{"log":{"entries":[${JSON.stringify(entry)}]}}`;
    const p = join(tmp, 'split-char.har');
    writeFileSync(p, text);
    const whole = await collect(p);
    expect(whole[0]?.requestHeaders['x-name']).toBe('Zoë 𝄞');
    // 64-byte chunks: the first ones ASCII only, then 'ë' and '𝄞' wherever a chunk ends.
    for (const chunkSize of [64, 65, 66, 67])
      expect(await collect(p, { chunkSize })).toEqual(whole);
    // The file ends inside a character: the same one-line error as any truncated HAR.
    const bytes = Buffer.from(text.slice(0, text.indexOf('ë')), 'utf8');
    const cut = join(tmp, 'cut-char.har');
    writeFileSync(cut, Buffer.concat([bytes, Buffer.from('ë').subarray(0, 1)]));
    const err = await failure(cut);
    expect(err.code).toBe('ERR_HAR_INVALID');
    expect(err.message).toMatch(/^cut-char\.har: /);
  });

  it('a header named __proto__ is a header like any other', async () => {
    const p = join(tmp, 'proto-header.har');
    const entry = {
      startedDateTime: '2025-01-01T00:00:00Z',
      request: {
        method: 'GET',
        url: 'https://login.microsoftonline.com/t/oauth2/v2.0/authorize',
        headers: [
          { name: 'Accept', value: '*/*' },
          { name: '__proto__', value: 'x' },
        ],
      },
      response: { status: 200, headers: [{ name: 'Content-Type', value: 'text/html' }] },
    };
    writeFileSync(p, JSON.stringify({ log: { entries: [entry] } }));
    const [x] = await collect(p);
    expect(Object.getPrototypeOf(x?.requestHeaders)).toBe(Object.prototype);
    expect(Object.entries(x?.requestHeaders ?? {})).toEqual([
      ['accept', '*/*'],
      ['__proto__', 'x'],
    ]);
    expect(x?.responseHeaders).toEqual({ 'content-type': 'text/html' });
  });

  it('a body cut at the cap over tiny chunks, with escapes around the cut', async () => {
    const p = join(tmp, 'cut-escapes.har');
    const body = '\\"\u00e9'.repeat(HAR_BODY_CAP);
    writeFileSync(
      p,
      JSON.stringify({
        log: {
          entries: [
            {
              request: {
                method: 'POST',
                url: 'https://login.microsoftonline.com/t',
                postData: { text: body },
              },
            },
          ],
        },
      }),
    );
    const [a] = await collect(p);
    const [b] = await collect(p, { chunkSize: 4093 });
    expect(a?.requestBody?.truncated).toBe(true);
    expect(b).toEqual(a);
    expect(body.startsWith(a?.requestBody?.text ?? 'x')).toBe(true);
  });
});

describe('readHar: other JSON given as a HAR', () => {
  it('a session log (NDJSON) -> not a HAR file', async () => {
    const p = join(tmp, 'session.ndjson');
    writeFileSync(p, '{"type":"session","schemaVersion":1}\n{"id":"x"}\n');
    const err = await failure(p);
    expect(err.message).toBe('session.ndjson: not a HAR file (no log.entries)');
  });

  it('a valid HAR followed by more JSON -> ERR_HAR_INVALID', async () => {
    const p = join(tmp, 'two-docs.har');
    writeFileSync(p, '{"log":{"entries":[]}}\n{"log":{"entries":[]}}\n');
    expect((await failure(p)).message).toBe(
      'two-docs.har: unexpected data after the JSON document',
    );
  });

  it('mismatched brackets -> one-line invalid JSON with an offset', async () => {
    const p = join(tmp, 'mismatch.har');
    writeFileSync(p, '{"log":{"entries":[]]}');
    expect((await failure(p)).message).toBe(
      "mismatch.har: invalid JSON (unexpected ']' at offset 20)",
    );
  });
});
