/**
 * A simulated Microsoft Entra ID on loopback, good enough that real client libraries (msal-node,
 * @azure/identity, plain OAuth clients) complete their flows against it. It is reached through the
 * proxy with --map-remote (e.g. login.microsoftonline.com=https://127.0.0.1:PORT), so it answers per
 * Host header and path. An HTTPS listener serves the login hosts, Graph's /oidc/userinfo and the My
 * Apps launcher, with a leaf issued by the sim's own test CA; a plain-HTTP listener serves managed
 * identity (IMDS, App Service).
 */
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { LeafIssuer, createCertificateAuthority } from '../src/proxy/certs.js';
import { FLOW_APP_NAMES, FLOW_CLIENT_IDS } from './flow-types.js';
import type { SimContext } from './sim-context.js';
import { aadError, type SimRequest, type SimResponse } from './sim-http.js';
import { routeHttp, routeHttps } from './sim-router.js';
import { createSecretLedger, type SecretLedger } from './sim-ledger.js';
import { SIM_SYSTEM_MI_CLIENT_ID } from './sim-mi.js';
import { createSimState } from './sim-state.js';
import { createTokenIssuer, guidFrom } from './sim-tokens.js';

export interface EntraSim {
  /** https://127.0.0.1:PORT */
  readonly httpsUrl: string;
  /** Plain-HTTP listener for IMDS / App Service: http://127.0.0.1:PORT2 */
  readonly httpUrl: string;
  /** The sim's test CA (PEM), to give the proxy as --upstream-ca. */
  readonly caPem: string;
  readonly tenantId: string;
  /** Every secret that crossed the wire so far, in either direction (for leak tests). */
  secretsSeen(): string[];
  close(): Promise<void>;
}

/** Host names on the sim's server certificate. */
export const SIM_TLS_HOSTNAMES: readonly string[] = [
  '127.0.0.1',
  'localhost',
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.usgovcloudapi.net',
  'login.partner.microsoftonline.cn',
  'login.chinacloudapi.cn',
  'graph.microsoft.com',
  'graph.microsoft.us',
  'launcher.myapps.microsoft.com',
  'myapps.microsoft.com',
  '*.b2clogin.com',
  '*.ciamlogin.com',
];

/** Hosts the sim answers for over HTTPS (what to --map-remote to `httpsUrl`). */
export const SIM_HTTPS_HOSTS: readonly string[] = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  // Azure operated by 21Vianet (the managed-identity-21vianet flows).
  'login.partner.microsoftonline.cn',
  'graph.microsoft.com',
  'launcher.myapps.microsoft.com',
];

/** Hosts to --map-remote to the sim: `https` ones to `httpsUrl`, `http` ones to `httpUrl`. */
export const SIM_HOSTS: { readonly https: readonly string[]; readonly http: readonly string[] } = {
  https: SIM_HTTPS_HOSTS,
  http: ['169.254.169.254'],
};

/** The --map-remote table that sends the Entra hosts and IMDS to this sim. */
export function simMapRemote(sim: EntraSim): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of SIM_HTTPS_HOSTS) out[h] = sim.httpsUrl;
  for (const h of SIM_HOSTS.http) out[h] = sim.httpUrl;
  return out;
}

/** Request bodies larger than this are refused (413) without being buffered. */
const MAX_BODY_BYTES = 1024 * 1024;

function headerLookup(req: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const v = req.headers[name.toLowerCase()];
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.join(', ') : v;
  };
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      if (!done) resolve('');
      done = true;
    });
  });
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers['origin'];
  if (origin === undefined) return {};
  return {
    'access-control-allow-origin': '*',
    'access-control-expose-headers':
      'x-ms-request-id, client-request-id, x-ms-clitelem, x-ms-ests-server',
  };
}

function preflight(req: IncomingMessage): SimResponse {
  const asked = req.headers['access-control-request-headers'];
  return {
    status: 200,
    headers: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': typeof asked === 'string' ? asked : 'content-type',
      'access-control-max-age': '86400',
      'content-length': '0',
    },
    body: '',
  };
}

/** The request target (origin-form, or absolute-form as proxies send it); null when malformed. */
function parseTarget(target: string | undefined): URL | null {
  const t = target ?? '/';
  try {
    return /^https?:\/\//i.test(t)
      ? new URL(t)
      : new URL(`http://sim.invalid${t.startsWith('/') ? '' : '/'}${t}`);
  } catch {
    // unparseable request line: answered with 400
    return null;
  }
}

type Router = (ctx: SimContext, req: SimRequest) => Promise<SimResponse>;

/** What the sim says about each request it answered (for `entra-bas-proxy sim`): never a value. */
export interface SimServed {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly status: number;
}

function handler(
  ctx: SimContext,
  route: Router,
  tls: boolean,
  ledger: SecretLedger,
  onServed?: (s: SimServed) => void,
) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const requestId = randomUUID();
      const url = parseTarget(req.url);
      const rawHost = (req.headers.host ?? '127.0.0.1').toLowerCase();
      const host =
        rawHost.endsWith(':443') || rawHost.endsWith(':80')
          ? rawHost.replace(/:\d+$/, '')
          : rawHost;
      const lookup = headerLookup(req);
      let out: SimResponse;
      const bodyText = req.method === 'GET' || req.method === 'HEAD' ? '' : await readBody(req);
      const ctype = (req.headers['content-type'] ?? '').toLowerCase();
      const simReq: SimRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        host,
        path: url?.pathname ?? '/',
        query: url?.searchParams ?? new URLSearchParams(),
        form: ctype.startsWith('application/x-www-form-urlencoded')
          ? new URLSearchParams(bodyText ?? '')
          : new URLSearchParams(),
        bodyText: bodyText ?? '',
        header: lookup,
        requestId,
      };
      if (url === null) {
        out = aadError(simReq, 400, 'invalid_request', 90010, 'The request URL is malformed.');
      } else if (bodyText === null) {
        const tooLarge = aadError(
          simReq,
          413,
          'invalid_request',
          90002,
          'The request body is too large.',
        );
        // the rest of the body is never read: close the connection rather than drain it
        out = { ...tooLarge, headers: { ...tooLarge.headers, connection: 'close' } };
      } else if (req.method === 'OPTIONS') {
        out = preflight(req);
      } else {
        try {
          out = await route(ctx, simReq);
        } catch (err) {
          // A sim bug must never take the server down: answer like Entra's transient error.
          out = aadError(
            simReq,
            500,
            'temporarily_unavailable',
            90033,
            `A transient error has occurred. Please try again. (${err instanceof Error ? err.message.slice(0, 200) : 'error'})`,
          );
        }
      }
      const headers: Record<string, string | string[]> = {
        ...out.headers,
        ...corsHeaders(req),
        'x-ms-request-id': requestId,
      };
      const crid = lookup('client-request-id');
      if (crid !== undefined && crid.length <= 64) headers['client-request-id'] = crid;
      if (tls && !host.startsWith('graph.')) {
        headers['x-ms-ests-server'] = '2.1.21000.0 - SIM ProdSlices';
        headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
        headers['x-content-type-options'] = 'nosniff';
        headers['set-cookie'] = [
          `fpc=A${requestId.replace(/-/g, '')}; expires=${new Date(Date.now() + 30 * 86_400_000).toUTCString()}; path=/; secure; HttpOnly; SameSite=None`,
          'x-ms-gateway-slice=estsfd; path=/; secure; samesite=none; httponly',
          'stsservicecookie=estsfd; path=/; secure; samesite=none; httponly',
        ];
      }
      ledger.observe(simReq, out, (headers['set-cookie'] as string[] | undefined) ?? []);
      onServed?.({ method: simReq.method, host, path: simReq.path, status: out.status });
      if (!res.headersSent) {
        res.writeHead(out.status, headers);
        res.end(req.method === 'HEAD' ? undefined : out.body);
      }
    })().catch(() => {
      // the socket failed while answering: nothing more to do for this request
      res.destroy();
    });
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface EntraSimOptions {
  readonly host?: string;
  readonly httpsPort?: number;
  readonly httpPort?: number;
  readonly onServed?: (s: SimServed) => void;
  /**
   * Display names of registered applications by client id, put in v1 access tokens as
   * `app_displayname`; added to the names of the flows' clients (FLOW_APP_NAMES).
   */
  readonly appNames?: Readonly<Record<string, string>>;
}

/** The names the sim knows without being told: the flows' clients and the VM's own identity. */
function defaultAppNames(): Record<string, string> {
  const out: Record<string, string> = { [SIM_SYSTEM_MI_CLIENT_ID]: 'vm-orders-prod-01' };
  for (const [k, id] of Object.entries(FLOW_CLIENT_IDS)) {
    out[id] = FLOW_APP_NAMES[k as keyof typeof FLOW_CLIENT_IDS];
  }
  return out;
}

/**
 * Starts the simulated Entra ID (HTTPS + plain HTTP) on loopback, on ports picked by the OS unless
 * given. `onServed` hears of every request answered (method, host, path, status).
 */
export async function startEntraSim(opts?: EntraSimOptions): Promise<EntraSim> {
  const host = opts?.host ?? '127.0.0.1';
  const ca = await createCertificateAuthority({
    commonName: 'entra-bas-proxy Entra simulator TEST CA',
    days: 30,
  });
  const issuer = await LeafIssuer.create(ca);
  const leaf = await issuer.issue(SIM_TLS_HOSTNAMES);
  const tenantId = guidFrom(`sim-tenant|${randomUUID()}`);
  const ledger = createSecretLedger();
  const appNames = { ...defaultAppNames(), ...opts?.appNames };
  const ctx: SimContext = {
    tenantId,
    tokens: await createTokenIssuer(appNames),
    state: createSimState(),
  };

  const https = createHttpsServer(
    { key: leaf.keyPem, cert: leaf.certPem },
    handler(ctx, routeHttps, true, ledger, opts?.onServed),
  );
  const http = createHttpServer(handler(ctx, routeHttp, false, ledger, opts?.onServed));
  for (const s of [https, http] as Server[]) {
    s.on('clientError', (_err, socket) => socket.destroy());
    s.headersTimeout = 10_000;
    s.requestTimeout = 30_000;
  }
  https.on('tlsClientError', () => {
    // a client that does not trust the test CA: its handshake fails, the server carries on
  });
  const httpsPort = await listen(https, host, opts?.httpsPort ?? 0);
  const httpPort = await listen(http, host, opts?.httpPort ?? 0).catch(async (err: unknown) => {
    await closeServer(https);
    throw err;
  });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | null = null;
  return {
    httpsUrl: `https://${urlHost}:${httpsPort}`,
    httpUrl: `http://${urlHost}:${httpPort}`,
    caPem: ca.certPem,
    tenantId,
    secretsSeen: () => ledger.secrets(),
    close() {
      closed ??= Promise.all([closeServer(https), closeServer(http)]).then(() => undefined);
      return closed;
    },
  };
}
