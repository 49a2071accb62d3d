/**
 * `entra-bas-proxy sim` end to end: the real CLI runs the simulator alone, its printed flags start
 * the real proxy, and real clients (undici, and curl through the printed example command) sign in
 * to login.microsoftonline.com through the proxy and come out classified.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/types.js';
import { createServer } from 'node:net';
import { CLI, runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

interface RunningSim {
  readonly proc: ChildProcess;
  readonly flags: string[];
  readonly example: string;
  readonly caFile: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | string>;
}

/** The words of a line as a POSIX shell splits them (plain words and '...' quoting). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map(
    (m) => m[2] ?? (m[1] ?? '').replace(/'\\''/g, "'"),
  );
}

function startSim(args: readonly string[]): Promise<RunningSim> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'sim', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let done = false;
    const exited = new Promise<number | string>((r) =>
      proc.once('exit', (code, sig) => r(code ?? sig ?? -1)),
    );
    const timer = setTimeout(
      () => fail(new Error(`sim printed no flags in 20 s: ${out}${err}`)),
      20_000,
    );
    function fail(e: Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(e);
    }
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const flags = /^ {2}(--map-remote .*)$/m.exec(out);
      const example = /^ {2}(entra-bas-proxy run .*)$/m.exec(out);
      const ca =
        /^entra-bas-proxy sim listening on https:\/\/\S+ \(IMDS: http:\/\/\S+, CA: (.+)\)$/m.exec(
          out,
        );
      if (done || !flags?.[1] || !example?.[1] || !ca?.[1] || !out.includes('Ctrl-C')) return;
      done = true;
      clearTimeout(timer);
      resolve({
        proc,
        flags: shellWords(flags[1]),
        example: example[1],
        caFile: ca[1],
        stdout: () => out,
        stderr: () => err,
        stop: () => {
          proc.kill('SIGTERM');
          return exited;
        },
      });
    });
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => fail(new Error(`sim exited (${code ?? '?'}): ${out}${err}`)));
  });
}

let dir: string;
let sim: RunningSim;

beforeAll(async () => {
  dir = tempDir('ebp-sim-');
  sim = await startSim([]);
});

afterAll(async () => {
  if (sim.proc.exitCode === null) await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

const CLIENT_ID = '44444444-4444-4444-4444-444444444444';

describe('entra-bas-proxy sim', () => {
  it('prints flags for every Entra host and IMDS, and a CA file in a private temp folder', () => {
    const maps = sim.flags.filter((_, i) => sim.flags[i - 1] === '--map-remote');
    expect(maps).toContainEqual(
      expect.stringMatching(/^login\.microsoftonline\.com=https:\/\/127\.0\.0\.1:\d+$/),
    );
    expect(maps).toContainEqual(
      expect.stringMatching(/^169\.254\.169\.254=http:\/\/127\.0\.0\.1:\d+$/),
    );
    expect(sim.flags.slice(-2)).toEqual(['--upstream-ca', sim.caFile]);
    expect(sim.caFile.startsWith(tmpdir())).toBe(true);
    expect(readFileSync(sim.caFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('its flags start the proxy, and undici signs in through it to login.microsoftonline.com', async () => {
    const proxy = await startCli([
      'start',
      '--port',
      '0',
      '--no-ui',
      '--certs',
      join(dir, 'certs'),
      '--out',
      join(dir, 'start.json'),
      ...sim.flags,
    ]);
    try {
      const agent = new ProxyAgent({
        uri: proxy.url,
        requestTls: { ca: readFileSync(proxy.caPath, 'utf8') },
      });
      const res = await request(
        'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
        {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: CLIENT_ID,
            client_secret: 'PLANTED-SIM-SECRET',
            scope: 'https://graph.microsoft.com/.default',
          }).toString(),
        },
      );
      const body = (await res.body.json()) as { access_token?: string };
      expect(res.statusCode).toBe(200);
      expect(body.access_token).toMatch(/^eyJ/);
      await agent.close();
    } finally {
      expect(await proxy.stop('SIGTERM')).toBe(0);
    }
    const report = JSON.parse(readFileSync(join(dir, 'start.json'), 'utf8')) as Report;
    expect(report.exchanges).toHaveLength(1);
    expect(report.exchanges[0]).toMatchObject({
      host: 'login.microsoftonline.com',
      clientId: CLIENT_ID,
      grantType: 'client_credentials',
      verdict: 'not-covered',
      status: 200,
    });
    // The proxy's human exchange line (stderr is not a terminal here: no colour, ISO time).
    expect(proxy.stderr()).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\S+Z not-covered +${CLIENT_ID} client_credentials login\\.microsoftonline\\.com POST /organizations/oauth2/v2\\.0/token 200$`,
        'm',
      ),
    );
    expect(proxy.stderr()).not.toContain('PLANTED-SIM-SECRET');
    // The sim says what it answered, one line a request.
    expect(sim.stderr()).toMatch(
      /INFO {2}sim answered POST login\.microsoftonline\.com\/organizations\/oauth2\/v2\.0\/token: 200/,
    );
  });

  it('the printed example command works as printed (run + curl)', async () => {
    const example = sim.example.replace(
      /^entra-bas-proxy run /,
      `'${process.execPath}' '${CLI}' run --no-ui --certs '${join(dir, 'certs')}' --out '${join(dir, 'run.json')}' `,
    );
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const p = spawn('sh', ['-c', example], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.once('exit', (code) => resolve({ code, stdout, stderr }));
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"token_type":"Bearer"');
    const report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Report;
    expect(report.exchanges[0]).toMatchObject({
      grantType: 'client_credentials',
      clientCredential: 'secret',
      verdict: 'not-covered',
    });
    expect(r.stderr).toMatch(/1 exchange \(.*\), 1 application, overall not-covered/);
  });

  it('stops on SIGTERM with status 0 and removes its CA folder', async () => {
    const caDir = dirname(sim.caFile);
    expect(existsSync(caDir)).toBe(true);
    expect(await sim.stop()).toBe(0);
    expect(existsSync(caDir)).toBe(false);
  });

  it('a port in use is one line and exit 1, with nothing left behind', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    const simDirs = (): string[] =>
      readdirSync(tmpdir()).filter((f) => f.startsWith('entra-bas-sim-'));
    const before = simDirs();
    try {
      // IMDS takes the next port: the busy one
      const r = await runCli(['sim', '--port', String(port - 1)]);
      expect(simDirs()).toEqual(before);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `entra-bas-proxy: cannot listen on 127.0.0.1 port ${port - 1} or ${port} (EADDRINUSE)\n`,
      );
    } finally {
      busy.close();
    }
  });
});
