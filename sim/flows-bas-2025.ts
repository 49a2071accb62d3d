/**
 * Flows for the conditions of the 2025 BAS page (entra-docs backup-authentication-system.md):
 * - a B2B guest signing in to a native app with msal-node (auth code + PKCE, then a silent
 *   refresh): the token responses show the guest (`idp` of the home tenant, `acct: 1`,
 *   `client_info` naming the home tenant), so the token exchanges are `guest-user`, not covered;
 *   the authorize request's response (a redirect with a code) shows nothing, so it stays as it is;
 * - managed identities in Azure operated by 21Vianet, which the page both excludes ("supported in
 *   all cloud environments except ... 21Vianet") and lists ("Managed identities,
 *   login.partner.microsoftonline.cn"): an IMDS token for a China resource, and a user-assigned
 *   managed identity signing in at login.partner.microsoftonline.cn with a federated assertion
 *   (AKS workload identity, as Azure Identity's WorkloadIdentityCredential does it with
 *   msal-node). Both `unknown`.
 */
import { randomUUID } from 'node:crypto';
import { ManagedIdentityCredential } from '@azure/identity';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { SignJWT, generateKeyPair } from 'jose';
import { FLOW_CLIENT_IDS as IDS, GRAPH_DEFAULT, authorityOf, type FlowSpec } from './flow-types.js';
import { msalSystem, nativeSignIn, viaProxy } from './flows-public.js';
import { SIM_FIC_MI_CLIENT_ID } from './sim-mi.js';

/** A B2B guest: a user of another tenant (the sim homes fabrikam.example users elsewhere). */
export const GUEST_USER = 'kim@fabrikam.example';
const VIANET_HOST = 'login.partner.microsoftonline.cn';

function must<T>(v: T | null | undefined, what: string): T {
  if (v === null || v === undefined) throw new Error(`flow failed: no ${what}`);
  return v;
}

/** A Kubernetes service-account token, as AKS projects it for workload identity (21Vianet). */
async function serviceAccountToken(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ 'kubernetes.io': { namespace: 'orders', serviceaccount: { name: 'api' } } })
    .setProtectedHeader({ alg: 'RS256', kid: 'aks-sim', typ: 'JWT' })
    .setIssuer('https://chinanorth3.oic.prod-aks.azure.cn/00000000-0000-4000-8000-00000000aa5e/')
    .setSubject('system:serviceaccount:orders:api')
    .setAudience('api://AzureADTokenExchangeChina')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

export const BAS_2025_FLOWS: readonly FlowSpec[] = [
  {
    id: 'guest-user',
    title: 'B2B guest in a native app: msal-node auth code + PKCE, then acquireTokenSilent',
    expect: [
      {
        endpoint: 'authorize',
        grantType: 'authorization_code',
        verdict: 'conditional',
        reasons: ['native-interactive'],
        clientId: IDS.guestUser,
        appType: 'native',
      },
      {
        endpoint: 'token',
        grantType: 'authorization_code',
        verdict: 'not-covered',
        reasons: ['guest-user', 'native-interactive'],
        clientId: IDS.guestUser,
        appType: 'native',
      },
      {
        endpoint: 'token',
        grantType: 'refresh_token',
        verdict: 'not-covered',
        reasons: ['guest-user', 'native-silent'],
        clientId: IDS.guestUser,
        appType: 'native',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const pca = new PublicClientApplication({
          auth: { clientId: IDS.guestUser, authority: authorityOf(env) },
          system: msalSystem(d),
        });
        await nativeSignIn(pca, d, GUEST_USER);
        const account = must((await pca.getTokenCache().getAllAccounts())[0], 'cached account');
        await pca.acquireTokenSilent({ account, scopes: [GRAPH_DEFAULT], forceRefresh: true });
      }),
  },
  {
    id: 'managed-identity-21vianet',
    title:
      'User-assigned managed identity in Azure operated by 21Vianet: IMDS token for a China resource',
    expect: [
      {
        endpoint: 'imds',
        grantType: 'managed_identity',
        verdict: 'unknown',
        reasons: ['managed-identity'],
        clientId: IDS.vianetMi,
        appType: 'managed-identity',
        host: '169.254.169.254',
      },
    ],
    async run(env) {
      const u = new URL(env.proxyUrl);
      const cred = new ManagedIdentityCredential({
        clientId: IDS.vianetMi,
        proxyOptions: { host: `${u.protocol}//${u.hostname}`, port: Number(u.port || '80') },
        retryOptions: { maxRetries: 0 },
      });
      // A resource unique to the run (the bundled msal-node caches MI tokens per resource).
      const t = await cred.getToken(
        `https://kv-${randomUUID().slice(0, 8)}.vault.azure.cn/.default`,
      );
      if (!t.token) throw new Error('flow failed: no managed identity token');
    },
  },
  {
    id: 'managed-identity-21vianet-host',
    title:
      'User-assigned managed identity with a federated credential (AKS workload identity) at login.partner.microsoftonline.cn',
    expect: [
      {
        endpoint: 'token',
        grantType: 'client_credentials',
        verdict: 'unknown',
        reasons: ['managed-identity'],
        clientId: SIM_FIC_MI_CLIENT_ID,
        appType: 'service',
        host: VIANET_HOST,
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const cca = new ConfidentialClientApplication({
          auth: {
            clientId: SIM_FIC_MI_CLIENT_ID,
            authority: authorityOf(env, VIANET_HOST),
            clientAssertion: () => serviceAccountToken(),
          },
          system: msalSystem(d),
        });
        must(
          await cca.acquireTokenByClientCredential({
            scopes: ['https://management.chinacloudapi.cn/.default'],
          }),
          'token',
        );
      }),
  },
];
