/**
 * The package is what users get: `npm pack`, installed into an empty folder, and the commands the
 * README shows with `npx entra-bas-proxy` run from there (not from this checkout).
 *
 * Uses the build `npm test` made (dist/), packs without running `prepare` again, and installs with
 * `--prefer-offline` (the dependencies are in npm's cache after `npm ci`).
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HAR = fileURLToPath(new URL('../fixtures/har/chromium.har', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CI: 'true' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('the packed package, installed in an empty folder', () => {
  let work = '';
  let app = '';
  const npx = (...args: string[]) =>
    run(join(app, 'node_modules', '.bin', 'entra-bas-proxy'), args, app, 60_000);

  beforeAll(async () => {
    work = tempDir('ebp-pack-');
    app = join(work, 'app');
    const packed = await run(
      'npm',
      ['pack', '--ignore-scripts', '--silent', '--pack-destination', work],
      ROOT,
    );
    expect(packed.code, packed.stderr).toBe(0);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    await run('mkdir', ['-p', app], work);
    writeFileSync(join(app, 'package.json'), '{"name":"pack-check","private":true}\n');
    const installed = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tgz ?? '')],
      app,
      240_000,
    );
    expect(installed.code, installed.stderr).toBe(0);
  }, 300_000);

  // The installed folder holds the runtime dependencies (Azure Identity and its kin): removing
  // them takes a while on a busy machine.
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('ships the product, not the checkout', () => {
    const pkgDir = join(app, 'node_modules', 'entra-bas-proxy');
    const files = readdirSync(pkgDir);
    expect(files).toContain('dist');
    expect(files).toContain('schema');
    expect(files).not.toContain('src');
    expect(files).not.toContain('test');
    expect(readdirSync(join(pkgDir, 'certs'))).toEqual(['README.md']);
  });

  it('--help', async () => {
    const r = await npx('--help');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/entra-bas-proxy start/);
    expect(r.stdout).toMatch(/classify/);
  });

  it('ca creates a CA whose key only its owner can read', async () => {
    const certs = join(work, 'certs');
    const r = await npx('ca', '--certs', certs);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(certs, 'ca.pem'));
    expect(readFileSync(join(certs, 'ca.pem'), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
    expect(statSync(join(certs, 'ca-key.pem')).mode & 0o077).toBe(0);
  });

  it('run gives a Node child the fetch preload, loading undici from the installed package', async () => {
    const script =
      "process.stdout.write(String(globalThis[Symbol.for('undici.globalDispatcher.1')]?.constructor?.name))";
    const r = await npx(
      'run',
      '--certs',
      join(work, 'certs'),
      '--no-ui',
      '--out',
      join(work, 'run.json'),
      '--',
      process.execPath,
      '-e',
      script,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('EnvHttpProxyAgent');
    expect(r.stderr).toMatch(/routed for .*Node \(https, fetch\)/);
  });

  it('classify of a HAR writes a report', async () => {
    const out = join(work, 'review.json');
    const r = await npx('classify', HAR, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      schemaVersion: number;
      exchanges: unknown[];
    };
    expect(report.schemaVersion).toBe(1);
    expect(report.exchanges.length).toBeGreaterThan(0);
  });

  it('demo runs from the installed package: the simulator ships with it', async () => {
    const r = await npx('demo', '--no-ui', '--out', join(work, 'demo', 'entra-bas-report.json'));
    expect(r.code, r.stderr).not.toBe(2);
    const report = JSON.parse(
      readFileSync(join(work, 'demo', 'entra-bas-report.json'), 'utf8'),
    ) as {
      schemaVersion: number;
      applications: unknown[];
      exchanges: unknown[];
    };
    expect(report.schemaVersion).toBe(1);
    expect(report.applications.length).toBeGreaterThan(5);
    expect(report.exchanges.length).toBeGreaterThan(10);
  });

  it('ships the simulator for demo, never the benchmark or fixture tools', () => {
    const dist = join(app, 'node_modules', 'entra-bas-proxy', 'dist');
    expect(readdirSync(dist).sort()).toEqual(['sim', 'src']);
  });
});
