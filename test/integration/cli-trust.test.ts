/**
 * What `ca` and `start` print to trust the proxy (the leaf SPKI, stable across restarts and equal
 * to the served leaves'; the real bundle path; the Java truststore), `run`'s line saying which
 * ecosystems it set up, and bad --certs paths refused in one line instead of a 100% CPU loop.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('ebp-trust-cli-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spkiOf = (stderr: string): string | undefined =>
  /Leaf SPKI \(sha256, base64\): (\S+)/.exec(stderr)?.[1];

/** The SPKI hash of the leaf a client is served for `host` through the proxy at `port`. */
function servedSpki(port: number, host: string, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(`CONNECT ${host}:443 HTTP/1.1\r\nhost: ${host}:443\r\n\r\n`),
    );
    s.once('error', reject);
    s.once('data', () => {
      const t = tls.connect({ socket: s, servername: host, ca: caPem }, () => {
        const raw = t.getPeerCertificate().raw;
        const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
        t.destroy();
        resolve(createHash('sha256').update(spki).digest('base64'));
      });
      t.once('error', reject);
    });
  });
}

describe('ca and start: everything needed to trust the proxy', () => {
  it('print one leaf SPKI that survives restarts and is the served leaves, the real bundle path and the Java truststore', async () => {
    const certs = join(dir, 'certs');
    const first = await runCli(['ca', '--certs', certs], { timeoutMs: 120_000 });
    expect(first.code).toBe(0);
    const spki = spkiOf(first.stderr);
    expect(spki).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const bundle = join(certs, 'ca-bundle.pem');
    expect(first.stderr).toContain(`CURL_CA_BUNDLE=${bundle}`);
    expect(first.stderr).not.toContain('<bundle>');
    expect(readFileSync(bundle, 'utf8')).toContain(
      readFileSync(join(certs, 'ca.pem'), 'utf8').trim(),
    );
    expect(first.stderr).toContain(`--ignore-certificate-errors-spki-list=${spki ?? '?'}`);
    for (const platform of [
      /certutil -user -addstore Root/,
      /security add-trusted-cert/,
      /update-ca-certificates/,
      /update-ca-trust/,
      /Java .*cacerts/,
      /\.NET/,
      /REQUESTS_CA_BUNDLE=/,
      /Firefox/,
      /Chromium/,
      /NODE_OPTIONS="--import file:\/\/\S+\/dist\/src\/child\/node-preload\.js"/,
    ]) {
      expect(first.stderr).toMatch(platform);
    }
    const second = await runCli(['ca', '--certs', certs]);
    expect(spkiOf(second.stderr)).toBe(spki);

    const cli = await startCli([
      'start',
      '--port',
      '0',
      '--no-ui',
      '--certs',
      certs,
      '--out',
      join(dir, 's.json'),
    ]);
    try {
      for (let i = 0; i < 200 && spkiOf(cli.stderr()) === undefined; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(spkiOf(cli.stderr())).toBe(spki);
      expect(cli.stderr()).toContain(`--proxy-server=${cli.url}`);
      const port = Number(new URL(cli.url).port);
      const caPem = readFileSync(cli.caPath, 'utf8');
      expect(await servedSpki(port, 'login.microsoftonline.com', caPem)).toBe(spki);
      expect(await servedSpki(port, 'login.microsoftonline.us', caPem)).toBe(spki);
    } finally {
      await cli.stop();
    }
  }, 180_000);

  it('`ca --certs /proc/x` is bad usage: one line, exit 2, no 100% CPU loop in mkdir', async () => {
    // runCli kills the CLI and fails the test after 20 s, should the loop come back.
    for (const bad of ['/proc/x', '/proc/x/y']) {
      const r = await runCli(['ca', '--certs', bad], { timeoutMs: 20_000 });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--certs \/proc\/x.*cannot create the folder \/proc\/x/);
    }
  });

  it('run says in one line which ecosystems it set up', async () => {
    const r = await runCli(
      ['run', '--certs', join(dir, 'certs'), '--no-ui', '--out', join(dir, 'r.json'), '--', 'true'],
      { timeoutMs: 120_000 },
    );
    const lines = r.stderr.split('\n').filter((l) => l.includes('routed for'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^entra-bas-proxy: routed for true: Node \(https, fetch\), Python \(requests, httpx\), curl, wget, Go, \.NET, Ruby, git/,
    );
  });
});
