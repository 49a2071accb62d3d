/**
 * Every bad usage through the real CLI: exactly one line on stderr, nothing on stdout, exit 2,
 * and nothing done (no CA, report or session log created in the working directory).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

let cwd: string;

beforeAll(() => {
  cwd = tempDir('ebp-usage-');
  mkdirSync(join(cwd, 'captures'));
});

afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe('bad usage: one line on stderr, exit 2', () => {
  it.each([
    [
      'start --log-level loud',
      /--log-level wants one of trace, debug, info, warn, error, fatal, silent; got 'loud'/,
    ],
    ['run --log-level loud -- true', /--log-level wants one of/],
    ['--log-level loud start', /options go after the command/],
    ['start --log-format xml', /--log-format wants human or json/],
    [
      'classify captures',
      /captures is a folder: give the files in it instead \(e\.g\. captures\/\*\.har\)/,
    ],
    ['report captures', /captures is a folder/],
    ['merge captures', /captures is a folder/],
    ['classify --port 1 x.har', /classify does not take --port/],
    ['classify --format xml x.har', /--format wants har, session, report or signins; got 'xml'/],
    ['start --format har', /start does not take --format/],
    ['ca --fail-on x', /ca does not take --fail-on/],
    ['report --certs d s.ndjson', /report does not take --certs/],
    ['sim --out r.json', /sim does not take --out/],
    ['demo --intercept h', /demo does not take --intercept/],
    ['start --port', /--port needs a value/],
    ['start --out', /--out needs a value/],
    ['start -o --port 1', /-o needs a value/],
    ['start --frob', /unknown option '--frob'/],
    ['frob', /unknown command 'frob'/],
    ['', /which command\?/],
    ['help frob', /help takes one of/],
    ['start extra', /start takes no arguments/],
    ['run', /run wants a command/],
    ['classify', /classify wants at least one HAR or sign-in log file/],
    ['start --port 70000', /--port wants a port number/],
    ['start --out r.pdf', /--out r\.pdf: the extension must be/],
    ['sim --port 65535', /IMDS listens on the next port/],
    ['signins', /signins takes one subcommand, pull/],
    ['signins fetch --tenant t', /signins takes one subcommand, pull/],
    ['signins pull', /signins pull wants --tenant ID/],
    ['signins pull --tenant t --days 31', /Entra keeps sign-in logs 30 days/],
    ['signins pull --tenant a/b', /--tenant wants a tenant ID or domain/],
    ['signins pull --tenant t --out a.ndjson --out b.jsonl', /one \.ndjson\/\.jsonl --out at most/],
    ['signins pull --tenant t --workspace w', /signins does not take --workspace/],
    ['classify --days 7 x.har', /--days goes with --workspace/],
    ['classify --workspace a/b', /--workspace wants the workspace ID/],
    ['classify --tenant t x.har', /classify does not take --tenant/],
  ])('%s', async (line, message) => {
    const r = await runCli(line === '' ? [] : line.split(' '), { cwd });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines, r.stderr).toHaveLength(2); // one line and its newline
    expect(lines[0]).toMatch(/^entra-bas-proxy: /);
    expect(lines[0]).toMatch(message);
    expect(readdirSync(cwd)).toEqual(['captures']);
  });
});

describe('--help', () => {
  it('per command lists exactly what the command takes; help COMMAND says the same', async () => {
    const a = await runCli(['classify', '--help'], { cwd });
    const b = await runCli(['help', 'classify'], { cwd });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/^Usage: entra-bas-proxy classify FILE\.\.\. \[options\]/);
    expect(a.stdout).toContain('--fail-on VERDICT');
    expect(a.stdout).not.toContain('--port');
    const demo = await runCli(['demo', '-h'], { cwd });
    expect(demo.stdout).toMatch(/-o, --out DIR\|FILE +a folder for the report in every format/);
    const global = await runCli(['--help'], { cwd });
    expect(global.stdout).toMatch(/entra-bas-proxy sim \[--port N\] \[--host ADDR\]/);
    expect(global.stdout).toContain('--log-format FORMAT');
    expect(readdirSync(cwd)).toEqual(['captures']);
  });
});

describe('demo --out', () => {
  it('takes a folder, as its help says: the report in every format and the session log go there', async () => {
    const r = await runCli(['demo', '--out', 'my-demo', '--no-ui', '--certs', 'certs'], {
      cwd,
      timeoutMs: 120_000,
    });
    try {
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(join(cwd, 'my-demo')).sort()).toEqual([
        'entra-bas-report.har',
        'entra-bas-report.html',
        'entra-bas-report.json',
        'entra-bas-report.md',
        'entra-bas-report.session.ndjson',
        'entra-bas-report.xml',
      ]);
      expect(r.stdout).toContain('Open my-demo/entra-bas-report.html');
      expect(r.stderr).toMatch(
        /^entra-bas-proxy: \d+ exchanges \(.*\), \d+ applications, overall /m,
      );
    } finally {
      rmSync(join(cwd, 'my-demo'), { recursive: true, force: true });
      rmSync(join(cwd, 'certs'), { recursive: true, force: true });
    }
  }, 150_000);

  it('refuses a file that is neither a folder nor a report', async () => {
    writeFileSync(join(cwd, 'notes'), 'x');
    try {
      const r = await runCli(['demo', '--out', 'notes'], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'entra-bas-proxy: --out notes: not a folder, and not a .json .md .html .xml or .har file\n',
      );
    } finally {
      rmSync(join(cwd, 'notes'));
    }
  });
});
