/**
 * Confidential-client flows performed by msal-node (ConfidentialClientApplication): client
 * credentials with a secret, a certificate and a federated assertion; web auth code with a secret;
 * on-behalf-of; and client credentials on an alias host (login.windows.net).
 */
import { X509Certificate } from 'node:crypto';
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { SignJWT, generateKeyPair } from 'jose';
import { createCertificateAuthority } from '../src/proxy/certs.js';
import { getLocation, redirectParams } from './flow-net.js';
import { FLOW_CLIENT_IDS as IDS, GRAPH_DEFAULT, authorityOf, type FlowSpec } from './flow-types.js';
import { TEST_USER, msalSystem, viaProxy } from './flows-public.js';

/** Fake secret for the simulator (it accepts any non-empty secret). */
const SIM_SECRET = 'sim~not-a-real-secret';
const WEB_REDIRECT = 'https://webapp.contoso.example/auth/callback';

function must<T>(v: T | null | undefined, what: string): T {
  if (v === null || v === undefined) throw new Error(`flow failed: no ${what}`);
  return v;
}

/** A federated assertion as an external IdP (GitHub Actions) would issue it. */
async function federatedAssertion(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ repository: 'contoso/orders', ref: 'refs/heads/main' })
    .setProtectedHeader({ alg: 'RS256', kid: 'gh-sim', typ: 'JWT' })
    .setIssuer('https://token.actions.githubusercontent.com')
    .setSubject('repo:contoso/orders:environment:prod')
    .setAudience('api://AzureADTokenExchange')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

/** The access token a caller sent to our middle-tier API (the OBO input); signed by a local key. */
async function incomingUserToken(tenantId: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({
    scp: 'access_as_user',
    tid: tenantId,
    preferred_username: TEST_USER.username,
    ver: '2.0',
    azp: IDS.nativeAuthCode,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(`https://login.microsoftonline.com/${tenantId}/v2.0`)
    .setAudience(IDS.oboApi)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

const ccExpect = (clientId: string, host?: string) =>
  ({
    endpoint: 'token',
    grantType: 'client_credentials',
    verdict: 'not-covered',
    reasons:
      host === undefined ? ['client-credentials'] : ['client-credentials', 'host-unsupported'],
    clientId,
    appType: 'service',
    ...(host !== undefined ? { host } : {}),
  }) as const;

export const CONFIDENTIAL_FLOWS: readonly FlowSpec[] = [
  {
    id: 'client-credentials-secret',
    title: 'Client credentials with a client secret (msal-node acquireTokenByClientCredential)',
    expect: [ccExpect(IDS.ccSecret)],
    run: (env) =>
      viaProxy(env, async (d) => {
        const cca = new ConfidentialClientApplication({
          auth: { clientId: IDS.ccSecret, authority: authorityOf(env), clientSecret: SIM_SECRET },
          system: msalSystem(d),
        });
        must(await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }), 'token');
      }),
  },
  {
    id: 'client-credentials-certificate',
    title: 'Client credentials with a certificate assertion',
    expect: [ccExpect(IDS.ccCertificate)],
    run: (env) =>
      viaProxy(env, async (d) => {
        const cert = await createCertificateAuthority({
          commonName: 'orders-daemon (sim test cert)',
          days: 2,
        });
        const thumbprintSha256 = new X509Certificate(cert.certPem).fingerprint256
          .replace(/:/g, '')
          .toLowerCase();
        const cca = new ConfidentialClientApplication({
          auth: {
            clientId: IDS.ccCertificate,
            authority: authorityOf(env),
            clientCertificate: { thumbprintSha256, privateKey: cert.keyPem, x5c: cert.certPem },
          },
          system: msalSystem(d),
        });
        must(await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }), 'token');
      }),
  },
  {
    id: 'client-credentials-federated',
    title: 'Client credentials with a federated (workload identity) assertion',
    expect: [ccExpect(IDS.ccFederated)],
    run: (env) =>
      viaProxy(env, async (d) => {
        const cca = new ConfidentialClientApplication({
          auth: {
            clientId: IDS.ccFederated,
            authority: authorityOf(env),
            clientAssertion: () => federatedAssertion(),
          },
          system: msalSystem(d),
        });
        must(
          await cca.acquireTokenByClientCredential({ scopes: ['api://orders-api/.default'] }),
          'token',
        );
      }),
  },
  {
    id: 'confidential-auth-code',
    title: 'Confidential web app: auth code redeemed with a client secret',
    expect: [
      {
        endpoint: 'token',
        grantType: 'authorization_code',
        verdict: 'not-covered',
        reasons: ['confidential-client'],
        clientId: IDS.webAuthCode,
        appType: 'web',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const cca = new ConfidentialClientApplication({
          auth: {
            clientId: IDS.webAuthCode,
            authority: authorityOf(env),
            clientSecret: SIM_SECRET,
          },
          system: msalSystem(d),
        });
        const state = new CryptoProvider().createNewGuid();
        const url = await cca.getAuthCodeUrl({
          scopes: [GRAPH_DEFAULT],
          redirectUri: WEB_REDIRECT,
          state,
        });
        const params = redirectParams(await getLocation(d, url));
        const code = must(params.get('code'), 'authorization code');
        await cca.acquireTokenByCode({ code, scopes: [GRAPH_DEFAULT], redirectUri: WEB_REDIRECT });
      }),
  },
  {
    id: 'on-behalf-of',
    title:
      "On-behalf-of: a web API exchanges its caller's token (msal-node acquireTokenOnBehalfOf)",
    expect: [
      {
        endpoint: 'token',
        grantType: 'on_behalf_of',
        verdict: 'not-covered',
        reasons: ['on-behalf-of'],
        clientId: IDS.oboApi,
        appType: 'web',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const cca = new ConfidentialClientApplication({
          auth: { clientId: IDS.oboApi, authority: authorityOf(env), clientSecret: SIM_SECRET },
          system: msalSystem(d),
        });
        const oboAssertion = await incomingUserToken(env.sim.tenantId);
        must(await cca.acquireTokenOnBehalfOf({ oboAssertion, scopes: [GRAPH_DEFAULT] }), 'token');
      }),
  },
  {
    id: 'alias-host-client-credentials',
    title: 'Client credentials against the alias host login.windows.net',
    expect: [ccExpect(IDS.aliasHost, 'login.windows.net')],
    run: (env) =>
      viaProxy(env, async (d) => {
        // knownAuthorities keeps MSAL on login.windows.net: its built-in alias table would otherwise
        // rewrite the authority to the preferred network host, login.microsoftonline.com.
        const cca = new ConfidentialClientApplication({
          auth: {
            clientId: IDS.aliasHost,
            authority: authorityOf(env, 'login.windows.net'),
            knownAuthorities: ['login.windows.net'],
            clientSecret: SIM_SECRET,
          },
          system: msalSystem(d),
        });
        must(await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }), 'token');
      }),
  },
];
