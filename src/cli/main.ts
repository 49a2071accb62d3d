#!/usr/bin/env node
/**
 * The command line (CONTRACT.md "Commands"). The only place that calls process.exit: 0 success,
 * 1 runtime failure, 2 bad usage or input (one line on stderr), 3 --fail-on hit; `run` passes on
 * its command's status.
 */
import { exitCodeFor, oneLine, ToolError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { commandHelp, globalHelp } from './help.js';
import { COMMAND_TABLE, isCommandName, type CommandName } from './option-table.js';
import { parseOptions, type Parsed } from './options.js';

type Command = (p: Parsed, rest: readonly string[]) => Promise<number>;

/**
 * Loaded on demand: `demo` pulls in the simulator and client libraries, the others need none of
 * it. One loader per command of COMMAND_TABLE (a missing one fails the build).
 */
const COMMANDS: Readonly<Record<CommandName, () => Promise<Command>>> = {
  start: async () => (await import('./commands/start.js')).startCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  classify: async () => (await import('./commands/classify.js')).classifyCommand,
  signins: async () => (await import('./commands/signins.js')).signinsCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  merge: async () => (await import('./commands/merge.js')).mergeCommand,
  kql: async () => (await import('./commands/kql.js')).kqlCommand,
  ca: async () => (await import('./commands/ca.js')).caCommand,
  sim: async () => (await import('./commands/sim.js')).simCommand,
  demo: async () => {
    try {
      return (await import('./commands/demo.js')).demoCommand;
    } catch (err) {
      // The simulator's client libraries are development dependencies: an installed package has
      // the product only, so say what to do instead of printing a module-resolution stack.
      if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND')
        throw new ToolError(
          'ERR_USAGE',
          'demo needs the development dependencies (MSAL Node, Azure Identity): run it from a clone with `npm ci && npm run demo`',
          { cause: err },
        );
      throw err;
    }
  },
};

const COMMAND_LIST = Object.keys(COMMAND_TABLE).join(', ');

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    throw new ToolError(
      'ERR_USAGE',
      `which command? ${COMMAND_LIST} (entra-bas-proxy --help says more)`,
    );
  }
  if (name === '-h' || name === '--help' || (name === 'help' && args.length === 0)) {
    process.stdout.write(globalHelp());
    return 0;
  }
  if (name === '-V' || name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (name === 'help') {
    const [topic = '', ...more] = args;
    if (!isCommandName(topic) || more.length > 0)
      throw new ToolError(
        'ERR_USAGE',
        `help takes one of ${COMMAND_LIST}; got '${args.join(' ')}'`,
      );
    process.stdout.write(commandHelp(topic));
    return 0;
  }
  if (name.startsWith('-')) {
    throw new ToolError(
      'ERR_USAGE',
      `options go after the command: entra-bas-proxy COMMAND [options], COMMAND one of ${COMMAND_LIST}`,
    );
  }
  if (!isCommandName(name))
    throw new ToolError('ERR_USAGE', `unknown command '${name}' (one of ${COMMAND_LIST})`);
  // `run` takes everything after `--` as the command to run; for the others `--` ends the options.
  const dash = name === 'run' ? args.indexOf('--') : -1;
  const own = dash >= 0 ? args.slice(0, dash) : args;
  const rest = dash >= 0 ? args.slice(dash + 1) : [];
  const parsed = parseOptions(own, name);
  if (parsed.help) {
    process.stdout.write(commandHelp(name));
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = await COMMANDS[name]();
  return command(parsed, rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    // Keep-alive sockets and timers of libraries must not keep a finished command alive.
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`entra-bas-proxy: ${oneLine(err)}\n`);
    if (process.env.ENTRA_BAS_PROXY_DEBUG && err instanceof Error)
      process.stderr.write(`${err.stack ?? ''}\n`);
    process.exit(exitCodeFor(err));
  },
);
