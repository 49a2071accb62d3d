/** `start`: run the proxy until SIGINT/SIGTERM, drain, write the report(s), exit 0 (or 3 on --fail-on). */
import { startProxy } from '../../proxy/server.js';
import {
  cliLogger,
  failOnStatus,
  quietLibraryConsole,
  summaryLine,
  untilSignal,
  warnIfExposed,
} from '../common.js';
import { sessionPathFor, type Parsed } from '../options.js';
import { ToolError } from '../../core/errors.js';

export async function startCommand(p: Parsed): Promise<number> {
  const o = p.options;
  if (p.positionals.length > 0) {
    throw new ToolError('ERR_USAGE', `start takes no arguments, got '${p.positionals[0] ?? ''}'`);
  }
  const log = cliLogger(o);
  quietLibraryConsole(log);
  warnIfExposed(o, log);
  const proxy = await startProxy({
    host: o.host,
    port: o.port,
    certsDir: o.certs,
    mapRemote: o.mapRemote,
    upstreamCa: o.upstreamCa,
    upstreamProxy: o.upstreamProxy,
    intercept: o.intercept,
    sessionLogPath: sessionPathFor(o),
    ui: o.noUi ? false : { port: o.uiPort ?? 0 },
    logger: log,
  });
  process.stdout.write(`entra-bas-proxy listening on ${proxy.url} (CA: ${proxy.caPath})\n`);
  if (proxy.dashboardUrl)
    process.stdout.write(`entra-bas-proxy dashboard on ${proxy.dashboardUrl}\n`);
  const sig = await untilSignal(() => {
    process.stderr.write('entra-bas-proxy: second signal, exiting without waiting\n');
    process.exit(1);
  });
  log.info(`${sig}: draining in-flight exchanges and writing the report`);
  await proxy.close({ drainMs: 5_000 });
  await proxy.writeReports(o.out);
  const snap = proxy.live.snapshot();
  process.stderr.write(summaryLine(snap.summary, o.out));
  return failOnStatus(snap.applications, o.failOn, 0);
}
