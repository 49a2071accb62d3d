/**
 * The real CLI (`start`, `ca`) as a user runs it: port 0, a local HTTPS upstream standing in for
 * Entra through --map-remote, curl and undici as clients, SIGTERM and SIGKILL endings.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeRecord, Report } from '../../src/core/types.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startTestUpstream, type TestUpstream } from '../helpers/upstream.js';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/temp.js';

const exec = promisify(execFile);
let up: TestUpstream;
let dir: string;
let upstreamCaFile: string;

beforeAll(async () => {
  up = await startTestUpstream();
  dir = tempDir('ebp-cli-');
  upstreamCaFile = join(dir, 'upstream-ca.pem');
  writeFileSync(upstreamCaFile, up.caPem);
});

afterAll(async () => {
  await up.close();
});

function proxyArgs(name: string): string[] {
  return [
    'start',
    '--port',
    '0',
    '--no-ui',
    '--certs',
    join(dir, 'certs'),
    '--out',
    join(dir, `${name}.json`),
    '--map-remote',
    `login.microsoftonline.com=${up.url}`,
    '--map-remote',
    `example.test=${up.url}`,
    '--upstream-ca',
    upstreamCaFile,
    '--log-level',
    'warn',
  ];
}

async function curl(proxy: string, url: string, ca: string, extra: string[] = []): Promise<string> {
  const { stdout } = await exec('curl', [
    '-sS',
    '--max-time',
    '10',
    '-x',
    proxy,
    '--cacert',
    ca,
    ...extra,
    url,
  ]);
  return stdout;
}

describe('entra-bas-proxy ca', () => {
  it('creates the CA with private modes, prints its path, and reuses it', async () => {
    const certs = join(dir, 'ca-only');
    const first = await runCli(['ca', '--certs', certs]);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(join(certs, 'ca.pem'));
    expect(first.stderr).toMatch(/NODE_EXTRA_CA_CERTS/);
    expect(first.stderr).toMatch(/REQUESTS_CA_BUNDLE/);
    expect(statSync(certs).mode & 0o777).toBe(0o700);
    expect(statSync(join(certs, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(certs, 'ca.pem')).mode & 0o077).toBe(0o044);
    const pem = readFileSync(join(certs, 'ca.pem'), 'utf8');
    const second = await runCli(['ca', '--certs', certs]);
    expect(second.code).toBe(0);
    expect(readFileSync(join(certs, 'ca.pem'), 'utf8')).toBe(pem);
  });

  it('refuses bad usage with exit 2 and one line', async () => {
    const r = await runCli(['start', '--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--port/);
    const u = await runCli(['frobnicate']);
    expect(u.code).toBe(2);
  });
});

describe('entra-bas-proxy start', () => {
  it('intercepts Entra with its CA, tunnels other hosts, writes the report on SIGTERM', async () => {
    const cli = await startCli(proxyArgs('sigterm'));
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Entra host: only the proxy CA is trusted by curl here, so success proves interception.
    const body = await curl(
      cli.url,
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      cli.caPath,
      [
        '-d',
        'grant_type=client_credentials&client_id=11111111-1111-1111-1111-111111111111&client_secret=PLANTED-SECRET-1&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default',
      ],
    );
    expect(JSON.parse(body)).toMatchObject({ token_type: 'Bearer' });
    // Non-Entra host: only the upstream's own CA works, so success proves a raw tunnel.
    const tunneled = await curl(cli.url, 'https://example.test/anything', upstreamCaFile);
    expect(JSON.parse(tunneled)).toMatchObject({ token_type: 'Bearer' });
    await expect(curl(cli.url, 'https://example.test/anything', cli.caPath)).rejects.toThrow();

    expect(await cli.stop('SIGTERM')).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'sigterm.json'), 'utf8')) as Report;
    expect(report.schemaVersion).toBe(1);
    expect(report.exchanges).toHaveLength(1);
    expect(report.exchanges[0]).toMatchObject({
      host: 'login.microsoftonline.com',
      grantType: 'client_credentials',
      verdict: 'not-covered',
    });
    expect(JSON.stringify(report)).not.toContain('PLANTED-SECRET-1');
    expect(readFileSync(join(dir, 'sigterm.session.ndjson'), 'utf8')).not.toContain(
      'PLANTED-SECRET-1',
    );
    expect(cli.stdout() + cli.stderr()).not.toContain('PLANTED-SECRET-1');
  });

  it('keeps serving after an upstream failure (502 with a one-line reason)', async () => {
    const args = proxyArgs('fail');
    args.push('--map-remote', 'login.microsoftonline.us=https://127.0.0.1:1');
    const cli = await startCli(args);
    const agent = new ProxyAgent({
      uri: cli.url,
      requestTls: { ca: readFileSync(cli.caPath, 'utf8') },
    });
    const bad = await request('https://login.microsoftonline.us/t/oauth2/v2.0/token', {
      method: 'POST',
      body: 'grant_type=password',
      dispatcher: agent,
    });
    expect(bad.statusCode).toBe(502);
    expect((await bad.body.text()).trim()).toMatch(/^entra-bas-proxy: .*refused/);
    const good = await request(
      'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
      { dispatcher: agent },
    );
    expect(good.statusCode).toBe(200);
    await good.body.text();
    await agent.close();
    expect(await cli.stop()).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'fail.json'), 'utf8')) as Report;
    const failed = report.exchanges.find((x) => x.host === 'login.microsoftonline.us');
    expect(failed?.error?.code).toBe('upstream-refused');
    expect(failed?.status).toBeNull();
  });

  it('a SIGKILLed proxy leaves a session log with every completed exchange, and `report` renders it', async () => {
    const cli = await startCli(proxyArgs('killed'));
    const agent = new ProxyAgent({
      uri: cli.url,
      requestTls: { ca: readFileSync(cli.caPath, 'utf8') },
    });
    for (let i = 0; i < 5; i++) {
      const r = await request('https://login.microsoftonline.com/organizations/oauth2/v2.0/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=refresh_token&client_id=22222222-2222-2222-2222-22222222222${i}&refresh_token=PLANTED-RT-${i}&scope=openid`,
        dispatcher: agent,
      });
      await r.body.text();
    }
    await agent.close();
    const log = join(dir, 'killed.session.ndjson');
    // Records reach the log without any shutdown: wait until the five are there (a fixed 100 ms
    // was a timing bet that a machine at load 25 loses), then kill, then read what the kill left.
    const recordLines = (): number =>
      existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length - 1 : 0;
    for (const until = Date.now() + 20_000; recordLines() < 5 && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 25));
    expect(await cli.stop('SIGKILL')).toBe('SIGKILL');
    expect(existsSync(join(dir, 'killed.json'))).toBe(false);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const records = lines.slice(1).map((l) => JSON.parse(l) as ExchangeRecord);
    expect(records).toHaveLength(5);
    expect(records.every((r) => r.grantType === 'refresh_token')).toBe(true);
    const out = join(dir, 'from-log.md');
    const rendered = await runCli([
      'report',
      log,
      '--out',
      out,
      '--out',
      join(dir, 'from-log.json'),
    ]);
    expect(rendered.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/22222222-2222-2222-2222-222222222220/);
    for (const f of [log, out, join(dir, 'from-log.json')]) {
      expect(readFileSync(f, 'utf8')).not.toMatch(/PLANTED-RT-/);
    }
  });
});
