/** The programmatic API (`startProxy`) as a test framework's globalSetup uses it. */
import { execFile } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../src/index.js';
import { startTestUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/temp.js';

const exec = promisify(execFile);
let up: TestUpstream;
let proxy: RunningProxy;
let dir: string;

beforeAll(async () => {
  up = await startTestUpstream();
  dir = tempDir('ebp-api-');
  proxy = await startProxy({
    certsDir: join(dir, 'certs'),
    mapRemote: { 'login.microsoftonline.com': up.url },
    upstreamCa: [up.caPem],
    baseEnv: {
      PATH: process.env.PATH,
      NO_PROXY: 'localhost,.microsoftonline.com,internal.example',
    },
  });
});

afterAll(async () => {
  await proxy.close();
  await up.close();
});

describe('startProxy', () => {
  it('hands out the environment a child needs, with NO_PROXY cleaned of intercepted hosts', () => {
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(proxy.env.HTTPS_PROXY).toBe(proxy.url);
    expect(proxy.env.NODE_EXTRA_CA_CERTS).toBe(proxy.caPath);
    expect(proxy.env.REQUESTS_CA_BUNDLE).toBe(proxy.bundlePath);
    expect(proxy.env.NO_PROXY).toBe('localhost,internal.example');
    expect(readFileSync(proxy.bundlePath, 'utf8')).toContain(proxy.caPem.trim());
    expect(proxy.leafSpkiSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(proxy.dashboardUrl).toBeNull();
    expect(proxy.env.ENTRA_BAS_LEAF_SPKI).toBe(proxy.leafSpkiSha256);
  });

  it('a Node child with that environment and undici EnvHttpProxyAgent (docs/examples/vitest.setup.ts) is intercepted', async () => {
    const script = `
      import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';
      setGlobalDispatcher(new EnvHttpProxyAgent());
      const res = await fetch('https://login.microsoftonline.com/common/oauth2/v2.0/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=88888888-8888-8888-8888-888888888888&client_secret=s&scope=x%2F.default',
      });
      process.stdout.write(String(res.status));`;
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], {
      env: proxy.env,
      cwd: process.cwd(),
    });
    expect(stdout).toBe('200');
    for (let i = 0; i < 50; i++) {
      if (
        (await proxy.report()).exchanges.some(
          (x) => x.clientId === '88888888-8888-8888-8888-888888888888',
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const apps = (await proxy.report()).applications.map((a) => a.clientId);
    expect(apps).toContain('88888888-8888-8888-8888-888888888888');
  });

  it('a child using that environment is intercepted, and the live report sees it', async () => {
    const { stdout } = await exec(
      'curl',
      [
        '-sS',
        '--fail',
        '-d',
        'grant_type=refresh_token&client_id=77777777-7777-7777-7777-777777777777&refresh_token=r&scope=openid',
        'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      ],
      { env: proxy.env },
    );
    expect(stdout).toContain('Bearer');
    for (let i = 0; i < 50 && (await proxy.live.snapshot()).summary.exchanges === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    const report = await proxy.report();
    const mine = report.exchanges.filter(
      (x) => x.clientId === '77777777-7777-7777-7777-777777777777',
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      grantType: 'refresh_token',
      host: 'login.microsoftonline.com',
    });
    const files = ['json', 'md', 'html', 'xml', 'har'].map((e) => join(dir, `api.${e}`));
    await proxy.writeReports(files);
    for (const f of files) expect(existsSync(f)).toBe(true);
  });
});
