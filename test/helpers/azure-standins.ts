/**
 * Local HTTPS stand-ins for the Azure services `classify --workspace` and `signins pull` call, on
 * loopback with the test CA, speaking each API's documented response shape; and the environment
 * that points the real CLI (DefaultAzureCredential, @azure/monitor-query-logs, the Graph pull) at
 * them and at the simulated Entra ID, which issues the tokens (client credentials).
 */
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { startEntraSim, type EntraSim } from '../../sim/entra-sim.js';
import { startTestUpstream, type Handler, type TestUpstream } from './upstream.js';

/** The client secret of the test service principal: planted, searched for in every output. */
export const CLIENT_SECRET = 'plantedSecret~Zq8vX2mK9pL4rT7wY1nB5cE3';
export const CLIENT_ID = 'b45c1d00-0000-4000-8000-0000000000c1';

export interface AzureStandIns {
  readonly sim: EntraSim;
  readonly service: TestUpstream;
  /** The child CLI's environment. */
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * The sim, one stand-in service answering `handler`, and the env for the CLI. `dir` receives the
 * CA bundle (the sim's CA and the stand-in's).
 */
export async function startAzureStandIns(
  dir: string,
  handler: (sim: EntraSim) => Handler,
): Promise<AzureStandIns> {
  const sim = await startEntraSim();
  const service = await startTestUpstream(handler(sim));
  const bundle = join(dir, 'test-cas.pem');
  writeFileSync(bundle, `${sim.caPem}\n${service.caPem}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    // The CLI must talk to the stand-ins only: no proxy, no other Azure settings of this machine.
    if (/^(https?_proxy|no_proxy|all_proxy|azure_.*|identity_.*|msi_.*)$/i.test(k)) delete env[k];
  }
  Object.assign(env, {
    NODE_EXTRA_CA_CERTS: bundle,
    AZURE_TENANT_ID: sim.tenantId,
    AZURE_CLIENT_ID: CLIENT_ID,
    AZURE_CLIENT_SECRET: CLIENT_SECRET,
    // Only the environment credential: the chain must not go probing IMDS or an `az` login.
    AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
    ENTRA_BAS_PROXY_TEST_AUTHORITY_HOST: sim.httpsUrl,
    ENTRA_BAS_PROXY_TEST_GRAPH_URL: service.url,
    ENTRA_BAS_PROXY_TEST_LOGS_URL: `${service.url}/v1`,
  });
  return {
    sim,
    service,
    env,
    close: async () => {
      await service.close();
      await sim.close();
    },
  };
}

/**
 * The bearer token of a request, if the simulated Entra ID issued it for `audience` in tenant
 * `tid` (a real DefaultAzureCredential got it): else null.
 */
export function tokenFor(
  req: http.IncomingMessage,
  audience: RegExp,
  tid: string,
): Record<string, unknown> | null {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return null;
  try {
    const claims = decodeJwt(m[1]);
    if (claims['tid'] !== tid || !audience.test(String(claims.aud))) return null;
    return claims;
  } catch {
    return null;
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
