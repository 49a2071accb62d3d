/**
 * Shared pieces of the benchmark: the IPC protocol between the orchestrator and its child
 * processes, the token-endpoint-like payloads, and small statistics helpers.
 */

/** Roles a bench worker child can play (one per process, see worker.ts). */
export type WorkerRole = 'upstream' | 'bas' | 'bare' | 'tunnel';

export interface WorkerInit {
  readonly type: 'init';
  readonly role: WorkerRole;
  /** Upstream port and CA (every role but `upstream`). */
  readonly upstreamPort?: number;
  readonly upstreamCa?: string;
  /** Hosts the role maps to the upstream (bas: mapRemote; tunnel: CONNECT targets). */
  readonly mapHosts?: readonly string[];
  /** Extra intercepted hosts (bas). */
  readonly intercept?: readonly string[];
  /** Where a worker may write (CA folders, session log). */
  readonly tmpDir?: string;
  /** bas: start the live dashboard too. */
  readonly ui?: boolean;
  /** bas: record this many exchanges of the mix (mix.ts) before `ready`, straight into the recorder. */
  readonly prefill?: number;
  /** bas: the proxy/server.js of another build to run instead of this one (before/after runs). */
  readonly proxyModule?: string;
}

export interface WorkerReady {
  readonly type: 'ready';
  readonly port: number;
  /** The CA a client must trust to talk TLS through (or to) this worker. */
  readonly caPem: string;
  /** What startup cost, in ms (CA creation etc.), for the record. */
  readonly startupMs: number;
  /** bas with `ui`: the dashboard's URL. */
  readonly dashboardUrl?: string | null;
}

export interface WorkerStats {
  readonly type: 'stats';
  /** process.cpuUsage() in microseconds. */
  readonly cpuUser: number;
  readonly cpuSystem: number;
  /** process.memoryUsage() after global.gc() when asked (bytes). */
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Exchanges recorded so far (bas only), or requests served (upstream). */
  readonly count: number;
  /** Connections accepted so far (upstream: TLS connections; others: 0). */
  readonly connections: number;
  readonly errors: number;
  readonly firstError: string | null;
}

export type ToWorker =
  WorkerInit | { readonly type: 'stats'; readonly gc: boolean } | { readonly type: 'close' };
export type FromWorker =
  WorkerReady | WorkerStats | { readonly type: 'error'; readonly message: string };

// ---------------------------------------------------------------------------------------------
// Payloads: a refresh-token redemption of about 600 B and a token response of about 1.5 KB.
// ---------------------------------------------------------------------------------------------

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const BENCH_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** A fake JWT (junk signature) with `claims`. */
export function fakeJwt(claims: Record<string, unknown>, sigBytes = 64): string {
  return `${b64url('{"alg":"RS256","typ":"JWT","kid":"bench"}')}.${b64url(JSON.stringify(claims))}.${Buffer.alloc(sigBytes, 7).toString('base64url')}`;
}

export const TOKEN_PATH = `/${TENANT}/oauth2/v2.0/token`;

export const TOKEN_REQUEST_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
  'x-client-sku': 'msal.js.node',
  'x-client-ver': '2.16.2',
  'x-client-os': 'linux',
  'x-ms-lib-capability': 'retry-after, h429',
  'client-request-id': '5b1f3c2e-1111-2222-3333-444455556666',
};

/** ~600 B form body: an MSAL Node refresh-token redemption. */
export const TOKEN_REQUEST_BODY = new URLSearchParams({
  client_id: BENCH_CLIENT_ID,
  scope: 'https://graph.microsoft.com/User.Read openid profile offline_access',
  grant_type: 'refresh_token',
  refresh_token: `0.AXoA${'r'.repeat(380)}`,
  client_info: '1',
  'x-client-current-telemetry': '5|61,0,,,|,',
  'x-client-last-telemetry': '5|0|||0,0',
}).toString();

/** ~1.5 KB JSON, shaped like a real v2.0 token response. */
export const TOKEN_RESPONSE_BODY = JSON.stringify({
  token_type: 'Bearer',
  scope: 'https://graph.microsoft.com/User.Read openid profile',
  expires_in: 4778,
  ext_expires_in: 4778,
  access_token: fakeJwt(
    {
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${TENANT}/`,
      iat: 1764000000,
      nbf: 1764000000,
      exp: 1764004778,
      acr: '1',
      appid: BENCH_CLIENT_ID,
      appidacr: '0',
      idtyp: 'user',
      name: 'Bench User',
      oid: '11111111-2222-3333-4444-555555555555',
      scp: 'User.Read openid profile',
      tid: TENANT,
      upn: 'bench.user@contoso.example',
      ver: '1.0',
    },
    200,
  ),
  refresh_token: `0.AXoA${'R'.repeat(300)}`,
  id_token: fakeJwt(
    {
      aud: BENCH_CLIENT_ID,
      iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      tid: TENANT,
      ver: '2.0',
    },
    32,
  ),
  client_info: b64url(JSON.stringify({ uid: '11111111-2222', utid: TENANT })),
});

export const TOKEN_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store, no-cache',
  pragma: 'no-cache',
  'x-ms-request-id': '0e6b3c43-5a3c-4c3e-9a0b-5d1c8e7f0a00',
  'x-ms-ests-server': '2.1.19284.5 - NEULR1 ProdSlices',
  'x-ms-clitelem': '1,0,0,,',
};

// ---------------------------------------------------------------------------------------------
// Statistics.
// ---------------------------------------------------------------------------------------------

/** The q-quantile (0..1) of `xs` (nearest rank on a sorted copy); NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i] ?? Number.NaN;
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    return `${code ? `${code}: ` : ''}${err.message}${cause}`.slice(0, 400);
  }
  return String(err).slice(0, 400);
}
