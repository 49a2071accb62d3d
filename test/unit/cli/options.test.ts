import { describe, expect, it } from 'vitest';
import { commandHelp, globalHelp } from '../../../src/cli/help.js';
import { COMMAND_TABLE, OPTIONS, type CommandName } from '../../../src/cli/option-table.js';
import { parseOptions } from '../../../src/cli/options.js';
import { ToolError } from '../../../src/core/errors.js';

const COMMANDS = Object.keys(COMMAND_TABLE) as CommandName[];

/** A value each option accepts (files the parser reads are not given: those options are skipped). */
const SAMPLE: Readonly<Record<string, string | null>> = {
  host: '127.0.0.1',
  port: '0',
  certs: 'some-dir',
  out: 'r.json',
  session: 's.ndjson',
  'map-remote': 'login.microsoftonline.com=https://127.0.0.1:1',
  'upstream-ca': null,
  'upstream-proxy': 'http://127.0.0.1:3128',
  intercept: 'login.contoso.com',
  'fail-on': 'not-covered',
  'ui-port': '0',
  'log-level': 'warn',
  format: 'signins',
  'log-format': 'json',
  days: '7',
  tables: 'SigninLogs',
  workspace: '6c3a1e52-0000-4000-8000-00000000f00d',
  tenant: 'contoso.onmicrosoft.com',
};

/** The long options a help text lists. */
function listed(help: string): Set<string> {
  return new Set([...help.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1] ?? ''));
}

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe('ERR_USAGE');
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('no usage error');
}

describe('help matches what each command accepts', () => {
  it.each(COMMANDS)('%s', (cmd) => {
    const inHelp = listed(commandHelp(cmd));
    expect(inHelp.size).toBeGreaterThan(2);
    for (const name of Object.keys(OPTIONS)) {
      const d = OPTIONS[name as keyof typeof OPTIONS];
      if (d.type === 'string' && SAMPLE[name] === null) continue;
      const argv = d.type === 'boolean' ? [`--${name}`] : [`--${name}`, SAMPLE[name] ?? 'x'];
      if (inHelp.has(name)) {
        expect(() => parseOptions(argv, cmd), `${cmd} --${name}`).not.toThrow();
      } else {
        expect(usageError(() => parseOptions(argv, cmd))).toBe(
          `${cmd} does not take --${name} (entra-bas-proxy ${cmd} --help lists the options it takes)`,
        );
      }
    }
  });

  it('the global help names every command and every option', () => {
    const help = globalHelp();
    for (const cmd of COMMANDS) expect(help).toContain(`entra-bas-proxy ${cmd} `);
    const inHelp = listed(help);
    for (const name of Object.keys(OPTIONS)) {
      if (name !== 'help' && name !== 'version') expect(inHelp, name).toContain(name);
    }
  });

  it('says that demo --out takes a folder, and demo takes one', () => {
    expect(commandHelp('demo')).toMatch(/--out DIR\|FILE +a folder/);
    expect(parseOptions(['--out', 'my-demo'], 'demo').options.out).toEqual(['my-demo']);
    expect(usageError(() => parseOptions(['--out', 'my-demo'], 'start'))).toMatch(
      /--out my-demo: the extension must be/,
    );
  });
});

describe('bad usage is one line', () => {
  it.each([
    [['--log-level', 'loud'], 'start', /^--log-level wants one of trace, .*; got 'loud'$/],
    [['--log-format', 'xml'], 'start', /^--log-format wants human or json; got 'xml'$/],
    [['--port'], 'start', /^--port needs a value$/],
    [['-o'], 'classify', /^--out needs a value$/],
    [['--port='], 'start', /^--port needs a value$/],
    [['-o', '--port', '1'], 'start', /^-o needs a value/],
    [['--frob'], 'start', /^unknown option '--frob' \(entra-bas-proxy start --help/],
    [['-x'], 'ca', /^unknown option '-x'/],
    [['--quiet=yes'], 'start', /--quiet/],
    [['--port', '1'], 'classify', /^classify does not take --port/],
    [['--fail-on', 'x'], 'ca', /^ca does not take --fail-on/],
    [['--certs', 'd'], 'merge', /^merge does not take --certs/],
    [['--port', '70000'], 'run', /^--port wants a port number/],
  ] as const)('%j for %s', (argv, cmd, message) => {
    expect(usageError(() => parseOptions(argv, cmd))).toMatch(message);
  });
});
