/** `start`: run the proxy until SIGINT/SIGTERM, drain, write the report(s), exit 0 (or 3 on --fail-on). */
import { ToolError } from '../../core/errors.js';
import { finishCliProxy, startCliProxy, untilSignal } from '../common.js';
import type { Parsed } from '../options.js';

export async function startCommand(p: Parsed): Promise<number> {
  const o = p.options;
  if (p.positionals.length > 0) {
    throw new ToolError('ERR_USAGE', `start takes no arguments, got '${p.positionals[0] ?? ''}'`);
  }
  const proxy = await startCliProxy(o, { port: o.port, announce: process.stdout });
  const sig = await untilSignal(() => {
    process.stderr.write('entra-bas-proxy: second signal, exiting without waiting\n');
    process.exit(1);
  });
  process.stderr.write(
    `entra-bas-proxy: ${sig}: draining in-flight exchanges, writing the report\n`,
  );
  return finishCliProxy(proxy, o, 0);
}
