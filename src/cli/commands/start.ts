/** `start`: run the proxy until SIGINT/SIGTERM, drain, write the report(s), exit 0 (or 3 on --fail-on). */
import { ToolError } from '../../core/errors.js';
import { certFingerprint } from '../../proxy/ca-store.js';
import type { RunningProxy } from '../../proxy/server.js';
import { finishCliProxy, startCliProxy, untilSignal } from '../common.js';
import type { CommonOptions, Parsed } from '../options.js';
import { trustHelp } from '../trust-help.js';
import { nodePreloadUrl } from '../../child/prepare.js';

export async function startCommand(p: Parsed): Promise<number> {
  const o = p.options;
  if (p.positionals.length > 0) {
    throw new ToolError('ERR_USAGE', `start takes no arguments, got '${p.positionals[0] ?? ''}'`);
  }
  const proxy = await startCliProxy(o, { port: o.port, announce: process.stdout });
  if (chatty(o)) process.stderr.write(trustOf(proxy));
  const sig = await untilSignal();
  process.stderr.write(
    `entra-bas-proxy: ${sig}: draining in-flight exchanges, writing the report\n`,
  );
  return finishCliProxy(proxy, o, 0);
}

/** Info-level output is wanted (not --quiet, not --log-level warn or error). */
export function chatty(o: CommonOptions): boolean {
  return !o.quiet && !['warn', 'error', 'fatal', 'silent'].includes(o.logLevel);
}

/** How to trust the running proxy: its CA, bundle, leaf SPKI and Java truststore, with its URL. */
function trustOf(proxy: RunningProxy): string {
  const javaSkip = proxy.routing.skipped.find((s) => s.startsWith('Java ('));
  return trustHelp({
    caPath: proxy.caPath,
    fingerprint: certFingerprint(proxy.caPem),
    created: proxy.caCreated,
    bundlePath: proxy.bundlePath,
    leafSpki: proxy.leafSpkiSha256,
    java: proxy.javaTrustStore
      ? { path: proxy.javaTrustStore }
      : { reason: javaSkip?.slice(6, -1) ?? 'no JDK found' },
    proxyUrl: proxy.url,
    nodePreload: nodePreloadUrl(),
  });
}
