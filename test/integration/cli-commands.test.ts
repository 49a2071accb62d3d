/**
 * `run`, `classify`, `merge` and `--upstream-proxy` through the real CLI, with curl as the wrapped
 * command and a local HTTPS upstream standing in for Entra.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/types.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { startTestUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/temp.js';

let up: TestUpstream;
let dir: string;
let upstreamCaFile: string;

beforeAll(async () => {
  up = await startTestUpstream();
  dir = tempDir('ebp-cmd-');
  upstreamCaFile = join(dir, 'upstream-ca.pem');
  writeFileSync(upstreamCaFile, up.caPem);
});

afterAll(async () => {
  await up.close();
});

const common = (): string[] => [
  '--certs',
  join(dir, 'certs'),
  '--map-remote',
  `login.microsoftonline.com=${up.url}`,
  '--upstream-ca',
  upstreamCaFile,
  '--no-ui',
  '--log-level',
  'warn',
];

const TOKEN_URL = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token';
const CC_BODY =
  'grant_type=client_credentials&client_id=33333333-3333-3333-3333-333333333333&client_secret=PLANTED-RUN-SECRET&scope=api%3A%2F%2Fx%2F.default';

describe('entra-bas-proxy run', () => {
  it('runs the command through the proxy with the CA trusted, passes its exit status on, writes the reports', async () => {
    const out = join(dir, 'run.json');
    // curl honours HTTPS_PROXY and CURL_CA_BUNDLE, both set by `run`.
    const r = await runCli([
      'run',
      ...common(),
      '--out',
      out,
      '--out',
      join(dir, 'run.md'),
      '--',
      'curl',
      '-sS',
      '--fail',
      '-d',
      CC_BODY,
      TOKEN_URL,
    ]);
    expect(r.stderr).not.toMatch(/curl: \(/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"token_type":"Bearer"');
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.exchanges).toHaveLength(1);
    expect(report.applications[0]).toMatchObject({
      clientId: '33333333-3333-3333-3333-333333333333',
      verdict: 'not-covered',
    });
    expect(readFileSync(join(dir, 'run.md'), 'utf8')).toMatch(
      /33333333-3333-3333-3333-333333333333/,
    );
    for (const text of [
      r.stdout,
      r.stderr,
      readFileSync(out, 'utf8'),
      readFileSync(join(dir, 'run.md'), 'utf8'),
    ]) {
      expect(text).not.toContain('PLANTED-RUN-SECRET');
    }
  });

  it('exits 3 when --fail-on is hit, and with the command status otherwise', async () => {
    const hit = await runCli([
      'run',
      ...common(),
      '--out',
      join(dir, 'f.json'),
      '--fail-on',
      'not-covered',
      '--',
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-d',
      CC_BODY,
      TOKEN_URL,
    ]);
    expect(hit.code).toBe(3);
    expect(hit.stderr).toMatch(/--fail-on not-covered/);
    const failing = await runCli([
      'run',
      ...common(),
      '--out',
      join(dir, 'g.json'),
      '--',
      'sh',
      '-c',
      'exit 7',
    ]);
    expect(failing.code).toBe(7);
    const missing = await runCli([
      'run',
      ...common(),
      '--out',
      join(dir, 'h.json'),
      '--',
      'no-such-command-xyz',
    ]);
    expect(missing.code).toBe(127);
  });
});

function har(entries: unknown[]): string {
  return JSON.stringify({
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      pages: [],
      entries,
    },
  });
}

function harEntry(
  url: string,
  method: string,
  body: string | null,
  status: number,
  respText: string,
): unknown {
  return {
    startedDateTime: '2026-01-02T03:04:05.000Z',
    time: 12,
    request: {
      method,
      url,
      httpVersion: 'HTTP/2',
      headers: [{ name: 'content-type', value: 'application/x-www-form-urlencoded' }],
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: body?.length ?? 0,
      ...(body !== null
        ? { postData: { mimeType: 'application/x-www-form-urlencoded', text: body } }
        : {}),
    },
    response: {
      status,
      statusText: '',
      httpVersion: 'HTTP/2',
      headers: [{ name: 'content-type', value: 'application/json' }],
      cookies: [],
      content: { size: respText.length, mimeType: 'application/json', text: respText },
      redirectURL: '',
      headersSize: -1,
      bodySize: respText.length,
    },
    cache: {},
    timings: { send: 0, wait: 10, receive: 2 },
  };
}

describe('entra-bas-proxy classify and merge', () => {
  it('classifies a HAR offline, skipping non-Entra entries', async () => {
    const file = join(dir, 'a.har');
    writeFileSync(
      file,
      har([
        harEntry(
          TOKEN_URL,
          'POST',
          'grant_type=password&client_id=44444444-4444-4444-4444-444444444444&username=u%40contoso.com&password=PLANTED-PW&scope=openid',
          200,
          '{"token_type":"Bearer","access_token":"PLANTED-AT"}',
        ),
        harEntry('https://www.example.com/index.html', 'GET', null, 200, '<html></html>'),
      ]),
    );
    const out = join(dir, 'a.json');
    const r = await runCli([
      'classify',
      file,
      '--out',
      out,
      '--out',
      join(dir, 'a.html'),
      '--fail-on',
      'not-covered',
    ]);
    expect(r.code).toBe(3);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.exchanges).toHaveLength(1);
    expect(report.exchanges[0]).toMatchObject({
      grantType: 'password',
      verdict: 'not-covered',
      source: 'har',
    });
    expect(report.exchanges[0]?.reasons.map((x) => x.code)).toContain('ropc');
    for (const f of [out, join(dir, 'a.html')]) {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toContain('PLANTED-PW');
      expect(text).not.toContain('PLANTED-AT');
    }
  });

  it('says how many malformed entries it skipped, and classifies the rest', async () => {
    const file = join(dir, 'partly-bad.har');
    const good = harEntry(
      TOKEN_URL,
      'POST',
      'grant_type=refresh_token&client_id=55555555-5555-5555-5555-555555555555&refresh_token=PLANTED-RT',
      200,
      '{"token_type":"Bearer"}',
    );
    const text = har([good, good]).replace(
      /"entries":\s*\[/,
      '"entries":[42,{"request":{"url":"not a url"}},',
    );
    writeFileSync(file, text);
    const out = join(dir, 'partly-bad.json');
    const r = await runCli(['classify', file, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('skipped 2 malformed HAR entries');
    expect((JSON.parse(readFileSync(out, 'utf8')) as Report).exchanges).toHaveLength(2);
  });

  it('refuses garbage with exit 2 and one line, never a stack trace', async () => {
    for (const [name, content] of [
      ['bin.har', '\u0000\u0001\u0002garbage'],
      ['cut.har', '{"log":{"entries":[{"request":'],
      ['empty.har', ''],
      ['obj.har', '{}'],
    ] as const) {
      const f = join(dir, name);
      writeFileSync(f, content);
      const r = await runCli(['classify', f, '--out', join(dir, `${name}.json`)]);
      expect(r.code, name).toBe(2);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr, name).not.toMatch(/\n\s+at /);
    }
    const missing = await runCli(['classify', join(dir, 'nope.har')]);
    expect(missing.code).toBe(2);
  });

  it('merges sharded reports, applications merged by client id', async () => {
    const f1 = join(dir, 's1.har');
    const f2 = join(dir, 's2.har');
    const ropc = (id: string): unknown =>
      harEntry(
        TOKEN_URL,
        'POST',
        `grant_type=password&client_id=${id}&username=u&password=p&scope=openid`,
        200,
        '{}',
      );
    const cc = harEntry(
      TOKEN_URL,
      'POST',
      'grant_type=client_credentials&client_id=66666666-6666-6666-6666-666666666666&client_secret=s&scope=x%2F.default',
      200,
      '{}',
    );
    writeFileSync(f1, har([ropc('55555555-5555-5555-5555-555555555555')]));
    writeFileSync(f2, har([ropc('55555555-5555-5555-5555-555555555555'), cc]));
    expect((await runCli(['classify', f1, '--out', join(dir, 's1.json')])).code).toBe(0);
    expect((await runCli(['classify', f2, '--out', join(dir, 's2.json')])).code).toBe(0);
    const m = await runCli([
      'merge',
      join(dir, 's1.json'),
      join(dir, 's2.json'),
      '--out',
      join(dir, 'merged.json'),
    ]);
    expect(m.code).toBe(0);
    const merged = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as Report;
    expect(merged.exchanges).toHaveLength(3);
    expect(merged.applications).toHaveLength(2);
    expect(
      merged.applications.find((a) => a.clientId === '55555555-5555-5555-5555-555555555555')
        ?.exchangeIds,
    ).toHaveLength(2);
    const bad = await runCli(['merge', join(dir, 's1.har')]);
    expect(bad.code).toBe(2);
  });
});

describe('--upstream-proxy', () => {
  it('chains both intercepted and tunneled traffic through the corporate proxy', async () => {
    const corp = await startConnectProxy(() => ({ host: '127.0.0.1', port: up.port }));
    const cli = await startCli([
      'start',
      '--port',
      '0',
      ...common(),
      '--out',
      join(dir, 'chain.json'),
      '--upstream-proxy',
      corp.url,
      '--map-remote',
      `login.microsoftonline.com=https://login.microsoftonline.com`,
    ]);
    const agent = new ProxyAgent({
      uri: cli.url,
      requestTls: { ca: [readFileSync(cli.caPath, 'utf8'), up.caPem] },
    });
    const r = await request(TOKEN_URL, {
      method: 'POST',
      body: CC_BODY,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      dispatcher: agent,
    });
    expect(r.statusCode).toBe(200);
    await r.body.text();
    const t = await request('https://example.test/x', { dispatcher: agent });
    expect(t.statusCode).toBe(200);
    await t.body.text();
    await agent.close();
    expect(await cli.stop()).toBe(0);
    await corp.close();
    expect(corp.tunnels).toContain('login.microsoftonline.com:443');
    expect(corp.tunnels).toContain('example.test:443');
  });
});
