/** `--help` texts, global and per command, rendered from the one declaration in option-table.ts. */
import { VERSION } from '../version.js';
import {
  ALWAYS,
  COMMAND_TABLE,
  OPTIONS,
  type CommandDecl,
  type CommandName,
  type OptionDecl,
  type OptionName,
} from './option-table.js';

const NAME_WIDTH = 23;
const USAGE_WIDTH = 45;

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s.padEnd(n);
}

/** `-o, --out FILE`, `--no-ui`; `arg` names the value as one command sees it. */
export function optionLabel(name: OptionName, arg?: string): string {
  const d: OptionDecl = OPTIONS[name];
  const value = arg ?? d.arg;
  const long = `--${name}${value ? ` ${value}` : ''}`;
  return d.short ? `-${d.short}, ${long}` : long;
}

function optionLines(names: readonly OptionName[], cmd?: CommandDecl): string {
  return names
    .map((n) => {
      const [first = '', ...more] = (cmd?.optionHelp?.[n] ?? OPTIONS[n].help).split('\n');
      return [
        `  ${pad(optionLabel(n, cmd?.optionArg?.[n]), NAME_WIDTH)}${first}`,
        ...more.map((m) => `  ${' '.repeat(NAME_WIDTH)}${m}`),
      ].join('\n');
    })
    .join('\n');
}

const HEADLINE = `entra-bas-proxy ${VERSION}: which of your app's Microsoft Entra sign-in flows would the
backup authentication system (BAS) keep serving during an outage?`;

const EXIT = `Exit status: 0 ok, 1 failure, 2 bad usage or input, 3 --fail-on hit; run: CMD's status.`;

/** The global help: every command, then every option (each command's --help: the ones it takes). */
export function globalHelp(): string {
  const names = Object.keys(COMMAND_TABLE) as CommandName[];
  const commands = names
    .map((n) => {
      const d: CommandDecl = COMMAND_TABLE[n];
      const usage = `entra-bas-proxy ${d.usage}`;
      // a usage too long for its column puts the summary on a line of its own
      return usage.length < USAGE_WIDTH
        ? `  ${pad(usage, USAGE_WIDTH)}${d.summary}`
        : `  ${usage}\n  ${' '.repeat(USAGE_WIDTH)}${d.summary}`;
    })
    .join('\n');
  const all = (Object.keys(OPTIONS) as OptionName[]).filter((n) => !ALWAYS.includes(n));
  return `${HEADLINE}

Usage:
${commands}

Options (\`entra-bas-proxy COMMAND --help\` lists the ones COMMAND takes):
${optionLines(all)}
  -h, --help, -V, --version

${EXIT}
`;
}

/** One command's help: its usage, what it does and exactly the options it accepts. */
export function commandHelp(name: CommandName): string {
  const d: CommandDecl = COMMAND_TABLE[name];
  return `Usage: entra-bas-proxy ${d.usage}

${d.summary[0]?.toUpperCase() ?? ''}${d.summary.slice(1)}.${d.about ? `\n${d.about}` : ''}

Options:
${optionLines([...d.options, ...ALWAYS], d)}

${EXIT}
`;
}
