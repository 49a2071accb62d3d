/**
 * Browser-shaped flows, sent with undici through the proxy the way a browser or a SPA library puts
 * them on the wire: implicit grant (MSAL.js 1.x style) for an ID token only and with an access
 * token, the SPA auth code + PKCE redemption of msal-browser (Origin header, x-client-SKU
 * msal.js.browser in the body), Graph's UserInfo, and OIDC metadata fetches.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { createSimDirectDispatcher } from './sim-direct.js';
import { fetchText, getLocation, redirectParams } from './flow-net.js';
import {
  FLOW_CLIENT_IDS as IDS,
  GRAPH_DEFAULT,
  authorityOf,
  type FlowEnv,
  type FlowSpec,
} from './flow-types.js';
import { TEST_USER, viaProxy } from './flows-public.js';

const SPA_ORIGIN = 'https://spa.contoso.example';
const SPA_REDIRECT = `${SPA_ORIGIN}/`;
export const BROWSER_HEADERS = {
  'user-agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
} as const;

function authorizeUrl(env: FlowEnv, params: Record<string, string>): string {
  return `${authorityOf(env)}/oauth2/v2.0/authorize?${new URLSearchParams(params).toString()}`;
}

/** An implicit-grant navigation as MSAL.js 1.x sends it (hidden iframe or redirect). */
async function implicit(
  env: FlowEnv,
  clientId: string,
  responseType: string,
  scope: string,
): Promise<URLSearchParams> {
  const state = randomUUID();
  const url = authorizeUrl(env, {
    response_type: responseType,
    scope,
    client_id: clientId,
    redirect_uri: SPA_REDIRECT,
    state,
    nonce: randomUUID(),
    client_info: '1',
    'x-client-SKU': 'MSAL.JS',
    'x-client-Ver': '1.4.18',
    prompt: 'none',
    response_mode: 'fragment',
    'client-request-id': randomUUID(),
  });
  const p = await viaProxy(env, async (d) =>
    redirectParams(await getLocation(d, url, { ...BROWSER_HEADERS, referer: SPA_REDIRECT })),
  );
  if (p.get('state') !== state || p.get('error') !== null)
    throw new Error(`flow failed: ${p.get('error') ?? 'state mismatch'}`);
  return p;
}

/** msal-browser's CCS routing hint, `Oid:{uid}@{utid}` from client_info, sent in the body. */
function anchorMailbox(clientInfo: string | null): Record<string, string> {
  if (clientInfo === null) return {};
  try {
    const ci = JSON.parse(Buffer.from(clientInfo, 'base64url').toString('utf8')) as {
      uid?: unknown;
      utid?: unknown;
    };
    return typeof ci.uid === 'string' && typeof ci.utid === 'string'
      ? { 'X-AnchorMailbox': `Oid:${ci.uid}@${ci.utid}` }
      : {};
  } catch {
    // not client_info: no routing hint, as msal-browser would do
    return {};
  }
}

export const BROWSER_FLOWS: readonly FlowSpec[] = [
  {
    id: 'spa-implicit-id-token',
    title: 'SPA implicit grant, ID token only (MSAL.js 1.x style authorize)',
    expect: [
      {
        endpoint: 'authorize',
        grantType: 'implicit',
        verdict: 'covered',
        reasons: ['spa-implicit-id-token'],
        clientId: IDS.implicitIdToken,
        appType: 'spa',
      },
    ],
    async run(env) {
      const p = await implicit(env, IDS.implicitIdToken, 'id_token', 'openid profile');
      if (p.get('id_token') === null) throw new Error('flow failed: no id_token');
    },
  },
  {
    id: 'spa-implicit-access-token',
    title: 'SPA implicit grant with an access token (response_type=token)',
    expect: [
      {
        endpoint: 'authorize',
        grantType: 'implicit',
        verdict: 'not-covered',
        reasons: ['implicit-access-token'],
        clientId: IDS.implicitAccessToken,
        appType: 'spa',
      },
    ],
    async run(env) {
      const p = await implicit(
        env,
        IDS.implicitAccessToken,
        'token',
        `${GRAPH_DEFAULT} openid profile`,
      );
      if (p.get('access_token') === null) throw new Error('flow failed: no access_token');
    },
  },
  {
    id: 'spa-auth-code-pkce',
    title: 'SPA auth code + PKCE redeemed cross-origin (imitating msal-browser)',
    expect: [
      {
        endpoint: 'authorize',
        grantType: 'authorization_code',
        verdict: 'not-covered',
        reasons: ['spa-auth-code-pkce'],
        clientId: IDS.spaAuthCode,
        appType: 'spa',
      },
      {
        endpoint: 'token',
        grantType: 'authorization_code',
        verdict: 'not-covered',
        reasons: ['spa-auth-code-pkce'],
        clientId: IDS.spaAuthCode,
        appType: 'spa',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const verifier = randomBytes(32).toString('base64url');
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        const correlation = randomUUID();
        const state = Buffer.from(
          JSON.stringify({ id: randomUUID(), meta: { interactionType: 'redirect' } }),
        ).toString('base64url');
        const scope = `${GRAPH_DEFAULT} openid profile offline_access`;
        const url = authorizeUrl(env, {
          client_id: IDS.spaAuthCode,
          scope,
          redirect_uri: SPA_REDIRECT,
          'client-request-id': correlation,
          response_mode: 'fragment',
          response_type: 'code',
          'x-client-SKU': 'msal.js.browser',
          'x-client-VER': '5.30.0',
          client_info: '1',
          code_challenge: challenge,
          code_challenge_method: 'S256',
          nonce: randomUUID(),
          state,
        });
        const p = redirectParams(
          await getLocation(d, url, { ...BROWSER_HEADERS, referer: SPA_REDIRECT }),
        );
        const code = p.get('code');
        if (code === null) throw new Error(`flow failed: ${p.get('error') ?? 'no code'}`);
        const body = new URLSearchParams({
          client_id: IDS.spaAuthCode,
          redirect_uri: SPA_REDIRECT,
          scope,
          code,
          'x-client-SKU': 'msal.js.browser',
          'x-client-VER': '5.30.0',
          'x-ms-lib-capability': 'retry-after, h429',
          'x-client-current-telemetry': '5|865,0,,,|,',
          'x-client-last-telemetry': '5|0|||0,0',
          code_verifier: verifier,
          grant_type: 'authorization_code',
          client_info: '1',
          'client-request-id': correlation,
          ...anchorMailbox(p.get('client_info')),
        });
        const tok = await fetchText(
          d,
          `${authorityOf(env)}/oauth2/v2.0/token?client-request-id=${correlation}`,
          {
            method: 'POST',
            headers: {
              ...BROWSER_HEADERS,
              accept: '*/*',
              origin: SPA_ORIGIN,
              referer: SPA_REDIRECT,
              'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
            },
            body: body.toString(),
          },
        );
        if (!tok.text.includes('access_token')) throw new Error('flow failed: no access_token');
      }),
  },
  {
    id: 'userinfo',
    title: 'Graph OIDC UserInfo (GET graph.microsoft.com/oidc/userinfo with a bearer token)',
    expect: [
      {
        endpoint: 'userinfo',
        grantType: null,
        verdict: 'not-covered',
        reasons: ['userinfo'],
        // Named by the bearer token it presents (azp / appid), so the finding lands on the app.
        clientId: IDS.userInfo,
        appType: 'unknown',
        host: 'graph.microsoft.com',
      },
    ],
    async run(env) {
      // The app signed in earlier (not watched by the proxy); today it calls UserInfo.
      const direct = createSimDirectDispatcher(env.sim);
      let accessToken: string;
      try {
        const res = await request(`${authorityOf(env)}/oauth2/v2.0/token`, {
          dispatcher: direct,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: IDS.userInfo,
            grant_type: 'password',
            scope: 'openid profile',
            ...TEST_USER,
          }).toString(),
        });
        accessToken = String(((await res.body.json()) as { access_token?: unknown }).access_token);
      } finally {
        await direct.close();
      }
      await viaProxy(env, (d) =>
        fetchText(d, 'https://graph.microsoft.com/oidc/userinfo', {
          headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        }),
      );
    },
  },
  {
    id: 'metadata',
    title: 'OIDC discovery and instance discovery documents',
    expect: [
      {
        endpoint: 'discovery',
        grantType: null,
        verdict: 'not-applicable',
        reasons: ['metadata'],
        clientId: null,
        appType: 'unknown',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        await fetchText(d, `${authorityOf(env)}/v2.0/.well-known/openid-configuration`, {
          headers: { accept: 'application/json' },
        });
        await fetchText(
          d,
          `https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${authorityOf(env)}/oauth2/v2.0/authorize`)}`,
        );
      }),
  },
];
