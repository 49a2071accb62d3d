/**
 * What the terminal shows, through the real CLI: on a real pseudo-terminal (util-linux `script`)
 * one coloured line per exchange; off a terminal readable lines too (no colour, ISO time); JSON
 * lines only with --log-format json. Secrets never appear in any of them.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { startTestUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/temp.js';

let up: TestUpstream;
let dir: string;
let upstreamCaFile: string;

beforeAll(async () => {
  up = await startTestUpstream();
  dir = tempDir('ebp-term-');
  upstreamCaFile = join(dir, 'upstream-ca.pem');
  writeFileSync(upstreamCaFile, up.caPem);
});

afterAll(async () => {
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

const CLIENT_ID = '55555555-5555-5555-5555-555555555555';
const SECRET = 'PLANTED-TERMINAL-SECRET';

/** `run` around one curl client-credentials request; `extra` options go before `--`. */
function runArgs(name: string, extra: readonly string[] = []): string[] {
  return [
    'run',
    '--certs',
    join(dir, 'certs'),
    '--map-remote',
    `login.microsoftonline.com=${up.url}`,
    '--upstream-ca',
    upstreamCaFile,
    '--no-ui',
    '--out',
    join(dir, `${name}.json`),
    ...extra,
    '--',
    'curl',
    '-sS',
    '-o',
    '/dev/null',
    '-d',
    `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${SECRET}&scope=api%3A%2F%2Fx%2F.default`,
    'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
  ];
}

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pseudo-terminal; what the terminal received (stdout and stderr together). */
function onPty(
  args: readonly string[],
  noColor = '',
): Promise<{ code: number | null; text: string }> {
  const cmd = [process.execPath, CLI, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    const p = spawn('script', ['-qec', cmd, '/dev/null'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: noColor },
    });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    p.once('exit', (code) => resolve({ code, text }));
  });
}

const LINE_TAIL = `${CLIENT_ID} client_credentials login\\.microsoftonline\\.com POST /contoso\\.onmicrosoft\\.com/oauth2/v2\\.0/token 200`;

describe('the terminal is for people', () => {
  it.skipIf(!hasScript())(
    'on a terminal: one coloured line per exchange (verdict, app, grant, host), no JSON',
    async () => {
      const r = await onPty(runArgs('tty'));
      expect(r.code, r.text).toBe(0);
      const lines = r.text.split(/\r?\n/);
      const exchange = lines.filter((l) => l.includes(CLIENT_ID));
      expect(exchange, r.text).toHaveLength(1);
      expect(exchange[0]).toMatch(
        new RegExp(
          `^\\d\\d:\\d\\d:\\d\\d \\u001b\\[31;1mnot-covered {3}\\u001b\\[0m ${LINE_TAIL}$`,
        ),
      );
      expect(r.text).not.toMatch(/\{"level"/);
      expect(r.text).toMatch(/1 exchange \(/);
      expect(r.text).not.toContain(SECRET);
    },
  );

  it.skipIf(!hasScript())('on a terminal with NO_COLOR set: the same line, no colour', async () => {
    const r = await onPty(runArgs('tty-nocolor'), '1');
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d not-covered {4}${LINE_TAIL}\r?$`, 'm'),
    );
    expect(r.text).not.toContain('\u001b[');
  });

  it('off a terminal: readable lines as well, without colour', async () => {
    const r = await runCli(runArgs('pipe', ['--log-level', 'debug']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z not-covered {4}${LINE_TAIL}$`, 'm'),
    );
    expect(r.stderr).not.toContain('\u001b[');
    expect(r.stderr).not.toMatch(/^\{/m);
    expect(r.stderr).not.toContain(SECRET);
  });

  it('--log-format json: pino JSON lines, the exchange with its fields', async () => {
    const r = await runCli(runArgs('json', ['--log-format', 'json']));
    expect(r.code, r.stderr).toBe(0);
    const json = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.find((o) => o.app === CLIENT_ID)).toMatchObject({
      level: 30,
      verdict: 'not-covered',
      grant: 'client_credentials',
      host: 'login.microsoftonline.com',
      status: 200,
    });
    expect(r.stderr).not.toContain(SECRET);
  });

  it('-q: no exchange lines, the summary still', async () => {
    const r = await runCli(runArgs('quiet', ['-q']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(CLIENT_ID);
    expect(r.stderr).toMatch(/1 exchange \(.*\), 1 application, overall not-covered/);
  });
});
