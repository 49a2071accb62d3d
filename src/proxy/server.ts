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
import { managedIdentityHosts } from '../child-env.js';
import { prepareChild, type ChildSetup } from '../child/prepare.js';
import { javaTrustStore } from '../child/java-truststore.js';
import type { HostRejections } from '../core/tls-rejections.js';
import type { TrustPaths } from '../core/trust-hint.js';
import { BAS_SUPPORTED_HOSTS } from '../core/hosts.js';
import { createRecorder, type Recorder } from '../session/recorder.js';
import { renderSession, writeSessionReports, type ReportOptions } from '../session/finish.js';
import { startDashboard } from '../ui/server.js';
import { loadOrCreateCa } from './ca-store.js';
import { DEFAULT_CAPTURE_LIMIT } from './capture.js';
import { LeafIssuer, keySpkiSha256 } from './certs.js';
import { createLiveSession } from './live-session.js';
import { startMitm } from './mitm-adapter.js';
import { createPolicy } from './policy.js';
import { refusedHandshakes } from './refused-handshakes.js';
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
  /**
   * Route Java children too (default true): a copy of the JDK's cacerts plus our CA, built with
   * keytool once per CA when a JDK is found, named in `env.JAVA_TOOL_OPTIONS`.
   */
  readonly javaTrustStore?: boolean;
  /**
   * Who the traffic comes from when a CONNECT does not say (no User-Agent): `run` gives the
   * command it starts. Names the client in refused-handshake warnings and findings.
   */
  readonly clientName?: string | null;
}

export interface RunningProxy {
  /** `http://HOST:PORT`: give it as HTTPS_PROXY / HTTP_PROXY. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The CA's public certificate (trust it) and its PEM text. */
  readonly caPath: string;
  readonly caPem: string;
  /** True when this start created the CA (a new one to trust). */
  readonly caCreated: boolean;
  /** System roots plus the proxy CA, for tools that replace their trust store (Python requests, curl). */
  readonly bundlePath: string;
  /** base64 SHA-256 of the shared leaf key's SPKI (Chromium: --ignore-certificate-errors-spki-list). */
  readonly leafSpkiSha256: string;
  /** The environment to give a child process so its traffic goes through the proxy. */
  readonly env: Readonly<Record<string, string>>;
  /** Which ecosystems `env` routes (`ready`) and which it does not, with why (`skipped`). */
  readonly routing: { readonly ready: readonly string[]; readonly skipped: readonly string[] };
  /** The Java truststore (the JDK's roots plus our CA) named in `env`, when a JDK was found. */
  readonly javaTrustStore: string | null;
  readonly live: LiveSession;
  readonly recorder: Recorder;
  readonly dashboardUrl: string | null;
  /** Resolves once every completed exchange is classified and recorded (they arrive a moment late). */
  settle(): Promise<void>;
  /** Refused TLS handshakes so far, per host (clients that do not trust the CA). */
  tlsRejections(): readonly HostRejections[];
  /** The report of the session so far. */
  report(): Promise<Report>;
  /** Writes report files (format by extension); `failOn`: the run's --fail-on (JUnit failures). */
  writeReports(files: readonly string[], options?: ReportOptions): Promise<void>;
  /** Stops accepting, waits for in-flight exchanges (default up to 5 s), closes everything. */
  close(opts?: { readonly drainMs?: number }): Promise<void>;
}

export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const logger = options.logger ?? silentLogger();
  const host = options.host ?? '127.0.0.1';
  const ca = await loadOrCreateCa(options.certsDir ?? './certs');
  const base = options.baseEnv ?? process.env;
  // keytool (a JVM start, once per CA) runs while the rest starts up.
  const java =
    (options.javaTrustStore ?? true)
      ? javaTrustStore({ certsDir: ca.dir, caPath: ca.certPath, caPem: ca.certPem, base })
      : false;
  const issuer = await LeafIssuer.create(ca, ca.leafKeyPem);
  const policy = createPolicy({
    intercept: options.intercept ?? [],
    managedIdentityHosts: managedIdentityHosts(base),
  });
  // Leaves for the hosts nearly every session meets, made before the first client arrives.
  await Promise.all(BAS_SUPPORTED_HOSTS.map((h) => issuer.issue([h])));
  const upstream = createUpstream({
    mapRemote: options.mapRemote ?? {},
    upstreamCa: options.upstreamCa ?? [],
    upstreamProxy: options.upstreamProxy ?? null,
  });
  const recorder = await createRecorder({
    sessionLogPath: options.sessionLogPath ?? null,
    logger,
  });
  let trustPaths: TrustPaths = { ca: ca.certPath, bundle: ca.certPath };
  const refused = refusedHandshakes(logger, recorder, () => trustPaths);
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
      caPem: ca.certPem,
      nextId: () => `${tag}-${(++n).toString().padStart(6, '0')}`,
      gate: () => recorder.throttle(),
      onTlsRejected: refused.add,
      defaultClient: options.clientName ?? null,
      onExchange: (exchange) => {
        if (options.onRawExchange) options.onRawExchange(toRawExchange(exchange));
        recorder.submit(exchange);
      },
    });
  } catch (err) {
    await recorder.close();
    upstream.destroy();
    if (err instanceof ToolError) throw err;
    const code = (err as { code?: string }).code ?? 'error';
    throw new ToolError('ERR_LISTEN', `cannot listen on ${host}:${options.port ?? 0} (${code})`, {
      cause: err,
    });
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${mitm.port}`;
  const sources: ReportSource[] = [{ kind: 'proxy', name: url }];
  const live = createLiveSession(recorder, () => sources, refused);
  let dashboard: { url: string; close(): Promise<void> } | null = null;
  let child: ChildSetup;
  try {
    if (options.ui) {
      const uiPort = typeof options.ui === 'object' ? (options.ui.port ?? 0) : 0;
      dashboard = await startDashboard({ live, host: '127.0.0.1', port: uiPort, logger });
      // Requests for it through the proxy are refused; the proxy's own page links to it.
      mitm.setDashboard(dashboard.url);
    }
    child = await prepareChild({
      certsDir: ca.dir,
      caPath: ca.certPath,
      caPem: ca.certPem,
      proxyUrl: url,
      port: mitm.port,
      interceptHosts: policy.extraHosts,
      base,
      java,
    });
    trustPaths = { ca: ca.certPath, bundle: child.bundlePath };
  } catch (err) {
    await mitm.close();
    await dashboard?.close();
    upstream.destroy();
    await recorder.close();
    throw err;
  }
  const leafSpki = keySpkiSha256(ca.leafKeyPem);
  const env = child.env;
  // For browsers launched by the child (Chromium: --ignore-certificate-errors-spki-list).
  env.ENTRA_BAS_LEAF_SPKI = leafSpki;
  let closed: Promise<void> | null = null;
  return {
    url,
    host,
    port: mitm.port,
    caPath: ca.certPath,
    caPem: ca.certPem,
    caCreated: ca.created,
    bundlePath: child.bundlePath,
    leafSpkiSha256: leafSpki,
    env,
    routing: { ready: child.ready, skipped: child.skipped },
    javaTrustStore: child.javaTrustStore,
    live,
    recorder,
    dashboardUrl: dashboard ? dashboard.url : null,
    settle: () => recorder.settle(),
    tlsRejections: () => refused.rejections(),
    async report() {
      const extras = { rejections: refused.rejections() };
      return JSON.parse(await renderSession(recorder, sources, 'json', extras)) as Report;
    },
    async writeReports(files, reportOptions) {
      await writeSessionReports(recorder, sources, files, {
        ...reportOptions,
        rejections: refused.rejections(),
      });
    },
    close(opts) {
      closed ??= (async () => {
        await mitm.drain(opts?.drainMs ?? 5_000);
        await mitm.close();
        await dashboard?.close();
        upstream.destroy();
        refused.flush();
        await recorder.close();
        child.dispose();
      })();
      return closed;
    },
  };
}
