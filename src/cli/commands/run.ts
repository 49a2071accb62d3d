/** `run -- CMD ARGS`: the proxy around one command, with the proxy and CA environment set for it. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { ToolError } from '../../core/errors.js';
import { finishCliProxy, startCliProxy } from '../common.js';
import type { Parsed } from '../options.js';
import { chatty } from './start.js';

export async function runCommand(p: Parsed, rest: readonly string[]): Promise<number> {
  const o = p.options;
  const [cmd, ...args] = rest.length > 0 ? rest : p.positionals;
  if (cmd === undefined)
    throw new ToolError(
      'ERR_USAGE',
      'run wants a command: entra-bas-proxy run [options] -- CMD ARGS...',
    );
  const proxy = await startCliProxy(o, {
    port: o.portGiven ? o.port : 0,
    announce: process.stderr,
    // The command is the client whose refused handshakes say no User-Agent.
    clientName: basename(cmd),
  });
  if (chatty(o)) {
    const { ready, skipped } = proxy.routing;
    process.stderr.write(
      `entra-bas-proxy: routed for ${cmd}: ${ready.join(', ')}${skipped.length > 0 ? `; not set up: ${skipped.join('; ')}` : ''}\n`,
    );
  }
  const status = await new Promise<number>((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: proxy.env });
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(`entra-bas-proxy: cannot run '${cmd}' (${err.code ?? err.message})\n`);
      resolve(err.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
  return finishCliProxy(proxy, o, status);
}
