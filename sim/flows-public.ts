/**
 * Public-client flows performed by msal-node (PublicClientApplication): ROPC, device code, native
 * auth code + PKCE (the browser leg played by a plain GET of the authorize URL), and a native
 * silent refresh from a token cache persisted to disk by a cache plugin.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CryptoProvider,
  LogLevel,
  PublicClientApplication,
  type ICachePlugin,
  type NodeSystemOptions,
  type TokenCacheContext,
} from '@azure/msal-node';
import type { Dispatcher } from 'undici';
import { createSimDirectDispatcher } from './sim-direct.js';
import {
  UndiciNetworkModule,
  createProxyDispatcher,
  getLocation,
  redirectParams,
} from './flow-net.js';
import {
  FLOW_CLIENT_IDS as IDS,
  GRAPH_DEFAULT,
  authorityOf,
  type FlowEnv,
  type FlowSpec,
} from './flow-types.js';

/** A fake test user; the sim accepts any password but `wrong-password`. */
export const TEST_USER = {
  username: 'alex@contoso.example',
  password: 'sim-not-a-real-password',
} as const;
const NATIVE_REDIRECT = 'http://localhost:53100/';

export function msalSystem(dispatcher: Dispatcher): NodeSystemOptions {
  return {
    networkClient: new UndiciNetworkModule(dispatcher),
    loggerOptions: {
      logLevel: LogLevel.Error,
      piiLoggingEnabled: false,
      loggerCallback: () => undefined,
    },
  };
}

/** Runs `fn` with a dispatcher through the proxy, closed afterwards. */
export async function viaProxy<T>(env: FlowEnv, fn: (d: Dispatcher) => Promise<T>): Promise<T> {
  const d = createProxyDispatcher(env);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

function must<T>(v: T | null | undefined, what: string): T {
  if (v === null || v === undefined) throw new Error(`flow failed: no ${what}`);
  return v;
}

/**
 * The interactive leg: authorize URL from MSAL, "browser" GET, code from the redirect, redemption.
 * `loginHint` picks the user (the sim signs in whoever it names).
 */
export async function nativeSignIn(
  pca: PublicClientApplication,
  dispatcher: Dispatcher,
  loginHint?: string,
): Promise<void> {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const state = new CryptoProvider().createNewGuid();
  const url = await pca.getAuthCodeUrl({
    scopes: [GRAPH_DEFAULT],
    redirectUri: NATIVE_REDIRECT,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
    // MSAL leaves login_hint out with prompt=select_account: name the user with prompt=login.
    ...(loginHint !== undefined ? { loginHint, prompt: 'login' } : { prompt: 'select_account' }),
  });
  const params = redirectParams(await getLocation(dispatcher, url));
  if (params.get('state') !== state) throw new Error('flow failed: state not echoed');
  const code = must(params.get('code'), 'authorization code');
  await pca.acquireTokenByCode({
    code,
    scopes: [GRAPH_DEFAULT],
    redirectUri: NATIVE_REDIRECT,
    codeVerifier: verifier,
  });
}

function fileCachePlugin(path: string): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text !== null) ctx.tokenCache.deserialize(text);
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (ctx.cacheHasChanged) await writeFile(path, ctx.tokenCache.serialize(), { mode: 0o600 });
    },
  };
}

export const PUBLIC_FLOWS: readonly FlowSpec[] = [
  {
    id: 'ropc',
    title: 'ROPC: msal-node acquireTokenByUsernamePassword',
    expect: [
      {
        endpoint: 'token',
        grantType: 'password',
        verdict: 'not-covered',
        reasons: ['ropc'],
        clientId: IDS.ropc,
        appType: 'native',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const pca = new PublicClientApplication({
          auth: { clientId: IDS.ropc, authority: authorityOf(env) },
          system: msalSystem(d),
        });
        must(
          await pca.acquireTokenByUsernamePassword({ scopes: [GRAPH_DEFAULT], ...TEST_USER }),
          'token',
        );
      }),
  },
  {
    id: 'device-code',
    title: 'Device code: msal-node acquireTokenByDeviceCode (one authorization_pending poll)',
    expect: [
      {
        endpoint: 'devicecode',
        grantType: 'device_code',
        verdict: 'not-covered',
        reasons: ['device-code'],
        clientId: IDS.deviceCode,
        appType: 'native',
      },
      {
        endpoint: 'token',
        grantType: 'device_code',
        verdict: 'not-covered',
        reasons: ['device-code'],
        clientId: IDS.deviceCode,
        appType: 'native',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const pca = new PublicClientApplication({
          auth: { clientId: IDS.deviceCode, authority: authorityOf(env) },
          system: msalSystem(d),
        });
        must(
          await pca.acquireTokenByDeviceCode({
            scopes: [GRAPH_DEFAULT],
            deviceCodeCallback: () => undefined,
            timeout: 60,
          }),
          'token',
        );
      }),
  },
  {
    id: 'native-auth-code-pkce',
    title: 'Native public client: auth code + PKCE (msal-node getAuthCodeUrl + acquireTokenByCode)',
    expect: [
      {
        endpoint: 'authorize',
        grantType: 'authorization_code',
        verdict: 'conditional',
        reasons: ['native-interactive'],
        clientId: IDS.nativeAuthCode,
        appType: 'native',
      },
      {
        endpoint: 'token',
        grantType: 'authorization_code',
        verdict: 'conditional',
        reasons: ['native-interactive'],
        clientId: IDS.nativeAuthCode,
        appType: 'native',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const pca = new PublicClientApplication({
          auth: { clientId: IDS.nativeAuthCode, authority: authorityOf(env) },
          system: msalSystem(d),
        });
        await nativeSignIn(pca, d);
      }),
  },
  {
    id: 'native-silent-refresh',
    title:
      'Native public client: acquireTokenSilent(forceRefresh) from a token cache persisted to disk',
    expect: [
      {
        endpoint: 'token',
        grantType: 'refresh_token',
        verdict: 'conditional',
        reasons: ['native-silent', 'token-cache-3-days'],
        clientId: IDS.nativeSilent,
        appType: 'native',
      },
    ],
    async run(env) {
      const dir = await mkdtemp(join(env.workDir ?? tmpdir(), 'entra-bas-sim-cache-'));
      const cacheFile = join(dir, 'msal-cache.json');
      try {
        // An earlier session (not watched by the proxy) signed in and persisted the cache.
        const direct = createSimDirectDispatcher(env.sim);
        try {
          const seed = new PublicClientApplication({
            auth: { clientId: IDS.nativeSilent, authority: authorityOf(env) },
            cache: { cachePlugin: fileCachePlugin(cacheFile) },
            system: msalSystem(direct),
          });
          await nativeSignIn(seed, direct);
        } finally {
          await direct.close();
        }
        // Today: a new process loads the cache and refreshes silently through the proxy.
        await viaProxy(env, async (d) => {
          const pca = new PublicClientApplication({
            auth: { clientId: IDS.nativeSilent, authority: authorityOf(env) },
            cache: { cachePlugin: fileCachePlugin(cacheFile) },
            system: msalSystem(d),
          });
          const account = must((await pca.getTokenCache().getAllAccounts())[0], 'cached account');
          await pca.acquireTokenSilent({ account, scopes: [GRAPH_DEFAULT], forceRefresh: true });
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
];
