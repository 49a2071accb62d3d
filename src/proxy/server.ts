/**
 * `startProxy(options)`: the programmatic API behind `start`, `run` and `demo`, and what test
 * frameworks call from a globalSetup. It wires the CA, the interception policy, the upstream, the
 * http-mitm-proxy adapter, the recorder (classification, session log) and the optional dashboard.
 */
import { randomBytes } from 'node:crypto';
import { toRawExchange } from '../core/captured.js';
import type { LiveSession } from '../core/live.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { ToolError } from '../core/errors.js';
import type { RawExchange, Report, ReportSource } from '../core/types.js';
import { childEnv, managedIdentityHosts, writeCaBundle } from '../child-env.js';
import { BAS_SUPPORTED_HOSTS } from '../core/hosts.js';
import type { Recorder } from '../session/recorder.js';
import { createWorkerRecorder } from '../session/worker-recorder.js';
import { renderSession, writeSessionReports } from '../session/finish.js';
import { startDashboard } from '../ui/server.js';
import { loadOrCreateCa, spkiSha256 } from './ca-store.js';
import { DEFAULT_CAPTURE_LIMIT } from './capture.js';
import { LeafIssuer } from './certs.js';
import { createLiveSession } from './live-session.js';
import { startMitm } from './mitm-adapter.js';
import { createPolicy } from './policy.js';
import { createUpstream } from './upstream.js';

export interface ProxyOptions {
  /** Listen address (default 127.0.0.1). */
  readonly host?: string;
  /** Listen port (default 0: a free one). */
  readonly port?: number;
  /** Where the CA lives (default ./certs). */
  readonly certsDir?: string;
  readonly mapRemote?: Readonly<Record<string, string>>;
  /** Extra CA certificates (PEM texts) trusted for upstream TLS. */
  readonly upstreamCa?: readonly string[];
  readonly upstreamProxy?: string | null;
  /** Extra hosts to intercept (exact, or `*.suffix`). */
  readonly intercept?: readonly string[];
  /** The NDJSON session log (null: keep none; records stay in memory, fine for tests). */
  readonly sessionLogPath?: string | null;
  /** Bytes of each body kept for classification (default 1 MiB). */
  readonly captureLimit?: number;
  /** How long to wait for an upstream response (default 30 s). */
  readonly upstreamTimeoutMs?: number;
  /** The live dashboard: false (default for the API), true, or { port }. */
  readonly ui?: boolean | { readonly port?: number };
  readonly logger?: Logger;
  /**
   * Sees every raw exchange (secrets and all) before classification, in this process only: for
   * recording sanitized fixtures. Never set it to something that writes raw exchanges anywhere.
   */
  readonly onRawExchange?: (raw: RawExchange) => void;
  /** The environment a child inherits before the proxy variables are added (default process.env). */
  readonly baseEnv?: NodeJS.ProcessEnv;
}

export interface RunningProxy {
  /** `http://HOST:PORT`: give it as HTTPS_PROXY / HTTP_PROXY. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The CA's public certificate (trust it) and its PEM text. */
  readonly caPath: string;
  readonly caPem: string;
  /** System roots plus the proxy CA, for tools that replace their trust store (Python requests, curl). */
  readonly bundlePath: string;
  /** base64 SHA-256 of the shared leaf key's SPKI (Chromium: --ignore-certificate-errors-spki-list). */
  readonly leafSpkiSha256: string;
  /** The environment to give a child process so its traffic goes through the proxy. */
  readonly env: Readonly<Record<string, string>>;
  readonly live: LiveSession;
  readonly recorder: Recorder;
  readonly dashboardUrl: string | null;
  /** Resolves once every completed exchange is classified and recorded (they arrive a moment late). */
  settle(): Promise<void>;
  /** The report of the session so far. */
  report(): Promise<Report>;
  /** Writes report files (format by extension). */
  writeReports(files: readonly string[]): Promise<void>;
  /** Stops accepting, waits for in-flight exchanges (default up to 5 s), closes everything. */
  close(opts?: { readonly drainMs?: number }): Promise<void>;
}

export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const logger = options.logger ?? silentLogger();
  const host = options.host ?? '127.0.0.1';
  const ca = await loadOrCreateCa(options.certsDir ?? './certs');
  const issuer = await LeafIssuer.create(ca);
  const policy = createPolicy({
    intercept: options.intercept ?? [],
    managedIdentityHosts: managedIdentityHosts(options.baseEnv ?? process.env),
  });
  // Leaves for the hosts nearly every session meets, made before the first client arrives.
  await Promise.all(BAS_SUPPORTED_HOSTS.map((h) => issuer.issue([h])));
  const upstream = createUpstream({
    mapRemote: options.mapRemote ?? {},
    upstreamCa: options.upstreamCa ?? [],
    upstreamProxy: options.upstreamProxy ?? null,
  });
  const recorder = await createWorkerRecorder({
    sessionLogPath: options.sessionLogPath ?? null,
    logger,
  });
  const tag = randomBytes(3).toString('hex');
  let n = 0;
  let mitm;
  try {
    mitm = await startMitm({
      host,
      port: options.port ?? 0,
      policy,
      issuer,
      upstream,
      captureLimit: options.captureLimit ?? DEFAULT_CAPTURE_LIMIT,
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 30_000,
      logger,
      nextId: () => `${tag}-${(++n).toString().padStart(6, '0')}`,
      gate: () => recorder.throttle?.() ?? null,
      onExchange: (exchange) => {
        if (options.onRawExchange) options.onRawExchange(toRawExchange(exchange));
        recorder.submit(exchange);
      },
    });
  } catch (err) {
    await recorder.close();
    upstream.destroy();
    const code = (err as { code?: string }).code ?? 'error';
    throw new ToolError('ERR_LISTEN', `cannot listen on ${host}:${options.port ?? 0} (${code})`, {
      cause: err,
    });
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${mitm.port}`;
  const sources: ReportSource[] = [{ kind: 'proxy', name: url }];
  const live = createLiveSession(recorder, () => sources);
  let dashboard: { url: string; close(): Promise<void> } | null = null;
  let bundlePath: string;
  let leafSpki: string;
  try {
    if (options.ui) {
      const uiPort = typeof options.ui === 'object' ? (options.ui.port ?? 0) : 0;
      dashboard = await startDashboard({ live, host: '127.0.0.1', port: uiPort, logger });
    }
    bundlePath = writeCaBundle(ca.dir, ca.certPem);
    leafSpki = spkiSha256((await issuer.issue([BAS_SUPPORTED_HOSTS[0]])).certPem);
  } catch (err) {
    await mitm.close();
    await dashboard?.close();
    upstream.destroy();
    await recorder.close();
    throw err;
  }
  const env: Record<string, string> = childEnv({
    proxyUrl: url,
    caPath: ca.certPath,
    bundlePath,
    interceptHosts: policy.extraHosts,
    base: options.baseEnv ?? process.env,
  });
  // For browsers launched by the child (Chromium: --ignore-certificate-errors-spki-list).
  env.ENTRA_BAS_LEAF_SPKI = leafSpki;
  let closed: Promise<void> | null = null;
  return {
    url,
    host,
    port: mitm.port,
    caPath: ca.certPath,
    caPem: ca.certPem,
    bundlePath,
    leafSpkiSha256: leafSpki,
    env,
    live,
    recorder,
    dashboardUrl: dashboard ? dashboard.url : null,
    settle: () => recorder.settle(),
    async report() {
      return JSON.parse(await renderSession(recorder, sources, 'json')) as Report;
    },
    async writeReports(files) {
      await writeSessionReports(recorder, sources, files);
    },
    close(opts) {
      closed ??= (async () => {
        await mitm.drain(opts?.drainMs ?? 5_000);
        await mitm.close();
        await dashboard?.close();
        upstream.destroy();
        await recorder.close();
      })();
      return closed;
    },
  };
}
