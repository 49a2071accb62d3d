#!/usr/bin/env node
/**
 * The command line (CONTRACT.md "Commands"). The only place that calls process.exit: 0 success,
 * 1 runtime failure, 2 bad usage or input (one line on stderr), 3 --fail-on hit; `run` passes on
 * its command's status.
 */
import { exitCodeFor, oneLine, ToolError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { parseOptions, type Parsed } from './options.js';

export const USAGE = `entra-bas-proxy ${VERSION}: which of your app's Microsoft Entra sign-in flows would the
backup authentication system (BAS) keep serving during an outage?

Usage:
  entra-bas-proxy start [options]              run the proxy until Ctrl-C, then write the report(s)
  entra-bas-proxy run [options] -- CMD ARGS... run CMD through the proxy, then write the report(s)
  entra-bas-proxy classify FILE.har... [opts]  classify recorded traffic (HAR 1.2) offline
  entra-bas-proxy report SESSION.ndjson [opts] render the report(s) again from a session log
  entra-bas-proxy merge REPORT.json... [opts]  combine the reports of sharded test runs
  entra-bas-proxy ca [--certs DIR]             create the CA if missing and say how to trust it
  entra-bas-proxy demo [--out DIR]             a simulated Entra ID, real clients, every flow

Options:
  --host ADDR            listen address (default 127.0.0.1; anything else is warned about)
  --port N               listen port; 0 picks a free one (default 8080)
  --certs DIR            where the CA lives (default ./certs)
  -o, --out FILE         report to write, repeatable: .json .md .html .xml (JUnit) .har
                         (default entra-bas-report.json)
  --session FILE         the NDJSON session log (default beside the first --out)
  --map-remote HOST=URL  send HOST's traffic to another origin (repeatable)
  --upstream-ca FILE     extra CA bundle trusted for upstream TLS (repeatable)
  --upstream-proxy URL   chain through a corporate proxy (http://HOST:PORT)
  --intercept HOST       also intercept HOST (custom domains; *.suffix allowed; repeatable)
  --fail-on VERDICT      exit 3 if an application ends with VERDICT or worse
                         (not-applicable < covered < conditional < unknown < not-covered)
  --ui-port N            dashboard port (loopback; 0 = free, the default); --no-ui turns it off
  --log-level LEVEL      trace|debug|info|warn|error|silent (default info)
  -q, --quiet            no per-exchange log lines
  -h, --help, -V, --version

Exit status: 0 ok, 1 failure, 2 bad usage or input, 3 --fail-on hit; run: CMD's status.
`;

type Command = (p: Parsed, rest: readonly string[]) => Promise<number>;

/** Loaded on demand: `demo` pulls in the simulator and client libraries, the others need none of it. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  start: async () => (await import('./commands/start.js')).startCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  classify: async () => (await import('./commands/classify.js')).classifyCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  merge: async () => (await import('./commands/merge.js')).mergeCommand,
  ca: async () => (await import('./commands/ca.js')).caCommand,
  demo: async () => {
    try {
      return (await import('./commands/demo.js')).demoCommand;
    } catch (err) {
      // The simulator's client libraries are development dependencies: an installed package has
      // the product only, so say what to do instead of printing a module-resolution stack.
      if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND')
        throw new ToolError(
          'ERR_USAGE',
          'demo needs the development dependencies (MSAL Node, Azure Identity, undici): run it from a clone with `npm ci && npm run demo`',
          { cause: err },
        );
      throw err;
    }
  },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '-V' || name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new ToolError('ERR_USAGE', `unknown command '${name}' (try --help)`);
  // `run` takes everything after `--` as the command to run.
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args;
  const rest = dash >= 0 ? args.slice(dash + 1) : [];
  const parsed = parseOptions(own);
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = await load();
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
