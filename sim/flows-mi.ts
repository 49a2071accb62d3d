/**
 * Managed identity through IMDS with @azure/identity's ManagedIdentityCredential. It hands the
 * request to the msal-node ManagedIdentityApplication bundled inside @azure/identity, whose network
 * client is @azure/identity's own pipeline, so `proxyOptions` routes it: plain HTTP to
 * 169.254.169.254 goes to the proxy as an absolute-URI request (http-proxy-agent), and the proxy
 * maps 169.254.169.254 to the sim's httpUrl.
 */
import { randomUUID } from 'node:crypto';
import { ManagedIdentityCredential } from '@azure/identity';
import { FLOW_CLIENT_IDS as IDS, type FlowEnv, type FlowSpec } from './flow-types.js';
import { SIM_SYSTEM_MI_CLIENT_ID } from './sim-mi.js';

function proxyOptions(env: FlowEnv): { host: string; port: number } {
  const u = new URL(env.proxyUrl);
  return { host: `${u.protocol}//${u.hostname}`, port: Number(u.port || '80') };
}

/**
 * A resource unique to this run: the bundled msal-node keeps managed-identity tokens in a
 * process-wide static cache, so asking twice for the same resource in one process would be
 * answered from memory and never reach IMDS.
 */
function freshScope(): string {
  return `api://${randomUUID()}/.default`;
}

/** Environment variables that make @azure/identity pick another managed-identity source than IMDS. */
const OTHER_MI_SOURCES = [
  'IDENTITY_ENDPOINT',
  'MSI_ENDPOINT',
  'IMDS_ENDPOINT',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'AZURE_FEDERATED_TOKEN_FILE',
  'IDENTITY_SERVER_THUMBPRINT',
] as const;

/** Fails early, with the reason, where the credential would not reach the simulated IMDS. */
function checkEnvironment(): void {
  const set = OTHER_MI_SOURCES.filter((k) => (process.env[k] ?? '') !== '');
  if (set.length > 0) {
    throw new Error(
      `managed-identity flow skipped: ${set.join(', ')} set, so @azure/identity would not use IMDS`,
    );
  }
  const noProxy = `${process.env['NO_PROXY'] ?? ''},${process.env['no_proxy'] ?? ''}`;
  if (/(^|,)\s*(169\.254\.169\.254|\*)\s*(,|$)/.test(noProxy)) {
    throw new Error(
      'managed-identity flow skipped: NO_PROXY lists 169.254.169.254, which bypasses proxyOptions',
    );
  }
}

async function getMiToken(env: FlowEnv, clientId?: string): Promise<void> {
  checkEnvironment();
  const cred = new ManagedIdentityCredential({
    ...(clientId !== undefined ? { clientId } : {}),
    proxyOptions: proxyOptions(env),
    retryOptions: { maxRetries: 0 },
  });
  const t = await cred.getToken(freshScope());
  if (!t.token) throw new Error('flow failed: no managed identity token');
}

export const MI_FLOWS: readonly FlowSpec[] = [
  {
    id: 'managed-identity-system',
    title: 'System-assigned managed identity via IMDS (@azure/identity ManagedIdentityCredential)',
    expect: [
      {
        endpoint: 'imds',
        grantType: 'managed_identity',
        verdict: 'covered',
        reasons: ['managed-identity'],
        // IMDS names the identity's client id in its answer (client_id), even for system-assigned.
        clientId: SIM_SYSTEM_MI_CLIENT_ID,
        appType: 'managed-identity',
        host: '169.254.169.254',
      },
    ],
    run: (env) => getMiToken(env),
  },
  {
    id: 'managed-identity-user',
    title: 'User-assigned managed identity (client_id) via IMDS',
    expect: [
      {
        endpoint: 'imds',
        grantType: 'managed_identity',
        verdict: 'covered',
        reasons: ['managed-identity'],
        clientId: IDS.userAssignedMi,
        appType: 'managed-identity',
        host: '169.254.169.254',
      },
    ],
    run: (env) => getMiToken(env, IDS.userAssignedMi),
  },
];
