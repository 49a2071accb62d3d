/** Pieces the commands share: the CLI logger, the --fail-on decision and the closing summary line. */
import type { Logger } from '../core/logger.js';
import { createLogger } from '../core/logger.js';
import { plural } from '../core/plural.js';
import type { RunningProxy } from '../proxy/server.js';
import type { ApplicationRecord, ReportSummary, SessionFinding, Verdict } from '../core/types.js';
import { describeTlsError } from '../core/tls-rejections.js';
import { failsAt } from '../report/app-label.js';
import { isEmptySession } from '../report/session-findings.js';
import { isLoopback, sessionPathFor, type CommonOptions } from './options.js';

/**
 * The CLI's root logger on stderr: readable lines unless `--log-format json`, one line per exchange
 * at info (so `--quiet` is warn). `tty` (default: whether stderr is a terminal) adds colours, unless
 * NO_COLOR is set (no-color.org).
 */
export function cliLogger(
  o: Pick<CommonOptions, 'quiet' | 'logLevel' | 'logFormat'>,
  tty = process.stderr.isTTY === true,
): Logger {
  const level = o.quiet && o.logLevel === 'info' ? 'warn' : o.logLevel;
  return createLogger({ level, format: o.logFormat, tty, color: !process.env.NO_COLOR });
}

export function summaryLine(s: ReportSummary, files: readonly string[]): string {
  const counts = (['covered', 'conditional', 'unknown', 'not-covered', 'not-applicable'] as const)
    .map((v) => `${s.byVerdict[v]} ${v}`)
    .join(', ');
  return `entra-bas-proxy: ${plural(s.exchanges, 'exchange')} (${counts}), ${plural(s.applications, 'application')}, overall ${s.verdict}; wrote ${files.join(', ')}\n`;
}

/** Exit status after a session: 3 when --fail-on is hit (and says which apps), else `otherwise`. */
export function failOnStatus(
  apps: readonly ApplicationRecord[],
  failOn: Verdict | null,
  otherwise: number,
): number {
  const bad = failOn === null ? [] : apps.filter((a) => failsAt(a, failOn));
  if (bad.length === 0) return otherwise;
  const names = bad
    .slice(0, 5)
    .map((a) => `${a.clientId} (${a.verdict})`)
    .join(', ');
  process.stderr.write(
    `entra-bas-proxy: --fail-on ${failOn ?? ''}: ${plural(bad.length, 'application')} at or past it: ${names}${bad.length > 5 ? ', ...' : ''}\n`,
  );
  return 3;
}

/**
 * Exit status after a session, and its closing warnings on stderr. With --fail-on, a session that
 * judged no sign-in exchange (none, or only not-applicable ones) exits 3 with one line saying so
 * and what to check, unless --allow-empty; without it, the same is a warning. Refused TLS
 * handshakes are warned about (they name the client that did not trust the CA). Then --fail-on
 * over the applications (failOnStatus).
 */
export function sessionStatus(
  s: { readonly summary: ReportSummary; readonly applications: readonly ApplicationRecord[] },
  o: Pick<CommonOptions, 'failOn' | 'allowEmpty'>,
  otherwise: number,
): number {
  const refused = (s.summary.findings ?? []).filter((f) => f.code === 'tls-handshake-rejected');
  if (isEmptySession(s.summary)) {
    const seen =
      s.summary.exchanges === 0
        ? '0 exchanges'
        : `${plural(s.summary.exchanges, 'exchange')}, all not-applicable`;
    const why = refused.length > 0 ? `; ${refusedText(refused)}` : '';
    const check =
      refused.length > 0
        ? "make the client trust the proxy's CA (entra-bas-proxy ca says how)"
        : "check that the client picked up the proxy environment (HTTPS_PROXY; NO_PROXY must not list the Entra hosts), trusts the proxy's CA (entra-bas-proxy ca) and does not bypass the proxy";
    if (o.failOn !== null && !o.allowEmpty) {
      process.stderr.write(
        `entra-bas-proxy: --fail-on ${o.failOn}: no sign-in traffic seen (${seen}), nothing to judge${why}; ${check} (--allow-empty accepts an empty session)\n`,
      );
      return 3;
    }
    process.stderr.write(
      `entra-bas-proxy: warning: no sign-in traffic seen (${seen}), nothing was judged${why}; ${check}\n`,
    );
  } else if (refused.length > 0) {
    process.stderr.write(
      `entra-bas-proxy: warning: ${refusedText(refused)}; their sign-in traffic was not judged\n`,
    );
  }
  return failOnStatus(s.applications, o.failOn, otherwise);
}

/** `3 TLS handshakes for HOST were refused by CLIENT (alert unknown_ca)`, for a few hosts. */
function refusedText(found: readonly SessionFinding[]): string {
  const parts = found.slice(0, 3).map((f) => {
    const n = f.count ?? 0;
    const clients = Object.keys(f.clients ?? {}).join(', ');
    const errors = Object.keys(f.errors ?? {})
      .map(describeTlsError)
      .join(', ');
    return `${plural(n, 'TLS handshake')} for ${f.host ?? '?'} refused by ${clients} (${errors})`;
  });
  return `${parts.join('; ')}${found.length > 3 ? '; ...' : ''}: the client does not trust the proxy's CA`;
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once (status 1), saying so. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const handler = (sig: NodeJS.Signals): void => {
      if (seen) {
        process.stderr.write('entra-bas-proxy: second signal, exiting without waiting\n');
        process.exit(1);
      }
      seen = true;
      resolve(sig);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/**
 * The proxy as `start` and `run` start it from the options, with the CLI logger; the listening
 * lines go to `announce` (stdout for `start`, where scripts wait for them; stderr for `run`, whose
 * stdout belongs to the wrapped command).
 */
export async function startCliProxy(
  o: CommonOptions,
  opts: { port: number; announce: NodeJS.WritableStream; clientName?: string },
): Promise<RunningProxy> {
  const log = cliLogger(o);
  if (!isLoopback(o.host))
    log.warn(
      `listening on ${o.host}, not loopback: anyone who can reach this address can use the proxy and read the sign-in traffic it decrypts`,
    );
  // Loaded here: `classify`, `report` and `merge` use this module too, and need none of the proxy.
  const { startProxy } = await import('../proxy/server.js');
  const proxy = await startProxy({
    host: o.host,
    port: opts.port,
    certsDir: o.certs,
    mapRemote: o.mapRemote,
    upstreamCa: o.upstreamCa,
    upstreamProxy: o.upstreamProxy,
    intercept: o.intercept,
    sessionLogPath: sessionPathFor(o),
    ui: o.noUi ? false : { port: o.uiPort ?? 0 },
    logger: log,
    clientName: opts.clientName ?? null,
  });
  opts.announce.write(`entra-bas-proxy listening on ${proxy.url} (CA: ${proxy.caPath})\n`);
  if (proxy.dashboardUrl)
    opts.announce.write(`entra-bas-proxy dashboard on ${proxy.dashboardUrl}\n`);
  return proxy;
}

/** Drains and closes the proxy, writes the reports, says what was written; the exit status. */
export async function finishCliProxy(
  proxy: RunningProxy,
  o: CommonOptions,
  otherwise: number,
): Promise<number> {
  await proxy.close({ drainMs: 5_000 });
  await proxy.writeReports(o.out, { failOn: o.failOn });
  const snap = await proxy.live.snapshot();
  process.stderr.write(summaryLine(snap.summary, o.out));
  return sessionStatus(snap, o, otherwise);
}
