/**
 * `run` routes every ecosystem it can start, with no setup in the child: each real client below
 * (Node 20's global fetch, curl, wget, Java's HttpClient, Python requests) is given only the
 * Entra URL. The simulated Entra ID is reachable only through the proxy (--map-remote) and its
 * certificate is trusted only by the proxy (--upstream-ca), so a token answer proves the child
 * went through the proxy and trusted its CA; the report must then hold the classified exchange.
 * A case is skipped only when its runtime is missing (`.ci/run` installs them all).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/types.js';
import { startEntraSim, type EntraSim } from '../../sim/entra-sim.js';
import { runCli } from '../helpers/cli.js';
import { startTestUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/temp.js';

let sim: EntraSim;
let up: TestUpstream;
let dir: string;
let simCaFile: string;

beforeAll(async () => {
  sim = await startEntraSim();
  up = await startTestUpstream();
  dir = tempDir('ebp-eco-');
  simCaFile = join(dir, 'sim-ca.pem');
  writeFileSync(simCaFile, sim.caPem);
});

afterAll(async () => {
  await sim?.close();
  await up?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** True when `cmd args` runs and exits 0 (the runtime is there). */
function works(cmd: string, args: readonly string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

const PYTHON = '/usr/bin/python3'; // Debian's, with python3-requests (not a pyenv shim's)
const JAVA_CLIENT = fileURLToPath(new URL('../fixtures/clients/TokenClient.java', import.meta.url));
const TOKEN_URL = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token';

const has = {
  curl: works('curl', ['--version']),
  wget: works('wget', ['--version']),
  java: works('javac', ['-version']), // `java File.java` needs the JDK's compiler
  requests: existsSync(PYTHON) && works(PYTHON, ['-c', 'import requests']),
};

function body(clientId: string, secret: string): string {
  return `grant_type=client_credentials&client_id=${clientId}&client_secret=${secret}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default`;
}

/** `run` around `cmd`, against the sim; the child gets nothing but what `run` sets. */
async function runThrough(name: string, cmd: readonly string[]) {
  const out = join(dir, `${name}.json`);
  const r = await runCli(
    [
      'run',
      '--certs',
      join(dir, 'certs'),
      '--map-remote',
      `login.microsoftonline.com=${sim.httpsUrl}`,
      '--upstream-ca',
      simCaFile,
      '--no-ui',
      '--out',
      out,
      '--',
      ...cmd,
    ],
    { timeoutMs: 120_000 },
  );
  return {
    ...r,
    report: existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Report) : null,
  };
}

/** The report holds exactly the client's exchange, classified, and no secret anywhere. */
function expectClassified(
  r: Awaited<ReturnType<typeof runThrough>>,
  clientId: string,
  secret: string,
): void {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('"token_type":"Bearer"');
  const mine = r.report?.exchanges.filter((x) => x.clientId === clientId) ?? [];
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({
    host: 'login.microsoftonline.com',
    endpoint: 'token',
    grantType: 'client_credentials',
    verdict: 'not-covered',
  });
  expect(r.report?.summary.exchanges).toBe(1);
  for (const text of [r.stdout, r.stderr, JSON.stringify(r.report)]) {
    expect(text).not.toContain(secret);
  }
}

describe('run routes each ecosystem with no setup in the child', () => {
  it('Node 20 global fetch (NODE_OPTIONS preload: undici EnvHttpProxyAgent)', async () => {
    const id = 'a0000001-0000-4000-8000-000000000001';
    const secret = 'PLANTED-NODE-FETCH-SECRET';
    const script = `
      const res = await fetch(process.argv[1], {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: process.argv[2],
      });
      process.stdout.write(JSON.stringify(await res.json()));
      process.exitCode = res.status === 200 ? 0 : 1;`;
    const r = await runThrough('node-fetch', [
      process.execPath,
      '--input-type=module',
      '-e',
      script,
      TOKEN_URL,
      body(id, secret),
    ]);
    expect(r.stderr).toMatch(/entra-bas-proxy: routed for .*Node \(https, fetch\)/);
    expectClassified(r, id, secret);
  });

  it.skipIf(!has.curl)('curl (CURL_CA_BUNDLE + HTTPS_PROXY)', async () => {
    const id = 'a0000002-0000-4000-8000-000000000002';
    const secret = 'PLANTED-CURL-SECRET';
    const r = await runThrough('curl', [
      'curl',
      '-sS',
      '--fail',
      '-d',
      body(id, secret),
      TOKEN_URL,
    ]);
    expectClassified(r, id, secret);
  });

  it.skipIf(!has.wget)('wget (WGETRC with ca_certificate and the proxy)', async () => {
    const id = 'a0000003-0000-4000-8000-000000000003';
    const secret = 'PLANTED-WGET-SECRET';
    const r = await runThrough('wget', [
      'wget',
      '-q',
      '-O',
      '-',
      `--post-data=${body(id, secret)}`,
      TOKEN_URL,
    ]);
    expectClassified(r, id, secret);
  });

  it.skipIf(!has.java)(
    'Java HttpClient (JAVA_TOOL_OPTIONS: proxy + cacerts copy with the CA)',
    async () => {
      const id = 'a0000004-0000-4000-8000-000000000004';
      const secret = 'PLANTED-JAVA-SECRET';
      const r = await runThrough('java', ['java', JAVA_CLIENT, TOKEN_URL, body(id, secret)]);
      expect(r.stderr).toMatch(/routed for java: .*Java/);
      expectClassified(r, id, secret);
    },
    180_000,
  );

  it.skipIf(!has.requests)('Python requests (REQUESTS_CA_BUNDLE + HTTPS_PROXY)', async () => {
    const id = 'a0000005-0000-4000-8000-000000000005';
    const secret = 'PLANTED-PYTHON-SECRET';
    const script = [
      'import sys, requests',
      "r = requests.post(sys.argv[1], data=sys.argv[2], headers={'content-type': 'application/x-www-form-urlencoded'}, timeout=30)",
      'sys.stdout.write(r.text)',
      'sys.exit(0 if r.status_code == 200 else 1)',
    ].join('\n');
    const r = await runThrough('python', [PYTHON, '-c', script, TOKEN_URL, body(id, secret)]);
    expectClassified(r, id, secret);
  });

  it.skipIf(!has.curl || !has.wget)(
    'a host the proxy only tunnels still verifies: the bundle keeps the roots the child trusted',
    async () => {
      // The child's own trust (SSL_CERT_FILE) holds the tunneled server's CA, which the proxy
      // does not know: the bundle that replaces it must carry it on, for curl and for wget.
      const corpRoots = join(dir, 'corp-roots.pem');
      writeFileSync(corpRoots, up.caPem);
      for (const [name, cmd] of [
        ['tunnel-curl', ['curl', '-sS', '--fail', 'https://example.test/anything']],
        ['tunnel-wget', ['wget', '-q', '-O', '-', 'https://example.test/anything']],
      ] as const) {
        const out = join(dir, `${name}.json`);
        const r = await runCli(
          [
            'run',
            '--certs',
            join(dir, 'certs'),
            '--map-remote',
            `example.test=${up.url}`,
            '--no-ui',
            '--out',
            out,
            '--',
            ...cmd,
          ],
          { env: { ...process.env, SSL_CERT_FILE: corpRoots }, timeoutMs: 120_000 },
        );
        expect(r.code, `${name}: ${r.stderr}`).toBe(0);
        expect(r.stdout).toContain('"token_type":"Bearer"');
        // tunneled, not decrypted: nothing recorded
        expect((JSON.parse(readFileSync(out, 'utf8')) as Report).summary.exchanges).toBe(0);
      }
    },
  );
});
