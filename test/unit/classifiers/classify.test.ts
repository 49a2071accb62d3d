import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import type { ExchangeRecord, RawExchange, ReasonCode, Verdict } from '../../../src/core/types.js';
import {
  authnRequestXml,
  autoPostHtml,
  fakeJwt,
  logoutRequestXml,
  makeRawExchange,
  samlPostParam,
  samlRedirectParam,
  samlResponseXml,
  type RawExchangeOverrides,
} from '../../helpers/raw-exchange.js';

// Sanitized, made-up identifiers.
const TID = '11111111-2222-3333-4444-555555555555';
const CLIENT = '0a1b2c3d-0000-4000-8000-00000000c1e7';
const API = 'api://0a1b2c3d-0000-4000-8000-0000000000a9';
const FAKE_CODE = '0.AXoA-fake-auth-code';
const FAKE_RT = '1.AXoA-fake-refresh-token';
const NET = { 'x-client-SKU': 'MSAL.NetCore', 'x-client-Ver': '4.66.1.0' };
const PY = { 'x-client-sku': 'MSAL.Python', 'x-client-ver': '1.31.0' };

function token(
  form: Record<string, string>,
  o: RawExchangeOverrides & { host?: string; path?: string } = {},
): RawExchange {
  const { path, ...rest } = o;
  return makeRawExchange({
    url: path ?? `/${TID}/oauth2/v2.0/token`,
    form,
    responseJson: { token_type: 'Bearer', expires_in: 3599 },
    ...rest,
    requestHeaders: { ...NET, ...rest.requestHeaders },
  });
}

function authorize(
  query: Record<string, string>,
  o: RawExchangeOverrides & { path?: string } = {},
): RawExchange {
  const { path, ...rest } = o;
  return makeRawExchange({
    method: 'GET',
    url: path ?? `/${TID}/oauth2/v2.0/authorize`,
    query,
    status: 200,
    responseHtml: '<html><body>sign in</body></html>',
    ...rest,
  });
}

const certAssertion = fakeJwt(
  { alg: 'RS256', typ: 'JWT', x5t: 'aGVsbG8' },
  {
    aud: `https://login.microsoftonline.com/${TID}/oauth2/v2.0/token`,
    iss: CLIENT,
    sub: CLIENT,
    jti: 'j1',
    exp: 1,
  },
);
const federatedAssertion = fakeJwt(
  { alg: 'RS256', typ: 'JWT', kid: 'gh1' },
  {
    aud: 'api://AzureADTokenExchange',
    iss: 'https://token.actions.githubusercontent.com',
    sub: 'repo:contoso/app:ref:refs/heads/main',
  },
);
const userAccessToken = fakeJwt(
  { alg: 'RS256', typ: 'JWT' },
  {
    aud: API,
    tid: TID,
    appid: '99999999-0000-4000-8000-000000000001',
    ver: '1.0',
    scp: 'user_impersonation',
  },
);
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const samlResponsePage = (inResponseTo?: string): string =>
  autoPostHtml('https://sp.example.com/acs', {
    SAMLResponse: samlPostParam(
      samlResponseXml(inResponseTo === undefined ? {} : { inResponseTo }),
    ),
    RelayState: 'rs-1',
  });

interface Row {
  name: string;
  raw: RawExchange;
  verdict: Verdict;
  reasons: ReasonCode[];
}

/** One row per line of the coverage table (issue #3), plus variants. */
const ROWS: Row[] = [
  // Hosts
  {
    name: 'ROPC on the login.windows.net alias',
    raw: token(
      {
        grant_type: 'password',
        client_id: CLIENT,
        username: 'u@contoso.example',
        password: 'pw',
        scope: 'openid',
      },
      { host: 'login.windows.net', requestHeaders: PY },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'ropc'],
  },
  {
    name: 'native refresh on login.microsoft.com',
    raw: token(
      { grant_type: 'refresh_token', client_id: CLIENT, refresh_token: FAKE_RT, client_info: '1' },
      { host: 'login.microsoft.com' },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'native-silent', 'token-cache-3-days'],
  },
  {
    name: 'native refresh on sts.windows.net (v1)',
    raw: token(
      { grant_type: 'refresh_token', client_id: CLIENT, refresh_token: FAKE_RT, resource: API },
      { host: 'sts.windows.net', path: `/${TID}/oauth2/token` },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'native-silent', 'token-cache-3-days'],
  },
  {
    name: 'China (21Vianet) client credentials',
    raw: token(
      {
        grant_type: 'client_credentials',
        client_id: CLIENT,
        client_secret: 's',
        scope: `${API}/.default`,
      },
      { host: 'login.partner.microsoftonline.cn' },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'client-credentials'],
  },
  {
    name: 'B2C b2clogin.com authorize (id_token only)',
    raw: authorize(
      {
        client_id: CLIENT,
        response_type: 'id_token',
        scope: 'openid',
        nonce: 'n',
        redirect_uri: 'https://app.example.com/',
        'x-client-SKU': 'MSAL.JS',
      },
      {
        host: 'contoso.b2clogin.com',
        path: '/contoso.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/authorize',
      },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'spa-implicit-id-token'],
  },
  {
    name: 'B2C policy path on the public host (legacy endpoint)',
    raw: authorize(
      {
        client_id: CLIENT,
        response_type: 'id_token',
        scope: 'openid',
        nonce: 'n',
        redirect_uri: 'https://app.example.com/',
        'x-client-SKU': 'MSAL.JS',
      },
      { path: '/contoso.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/authorize' },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'spa-implicit-id-token'],
  },
  {
    name: 'External ID (ciamlogin.com) native code redemption',
    raw: token(
      {
        grant_type: 'authorization_code',
        client_id: CLIENT,
        code: FAKE_CODE,
        redirect_uri: 'http://localhost',
        code_verifier: 'v',
        client_info: '1',
      },
      { host: 'contoso.ciamlogin.com' },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'native-interactive'],
  },
  {
    name: 'US Gov supported host: native silent refresh',
    raw: token(
      {
        grant_type: 'refresh_token',
        client_id: CLIENT,
        refresh_token: FAKE_RT,
        client_info: '1',
        scope: 'openid offline_access',
      },
      { host: 'login.microsoftonline.us' },
    ),
    verdict: 'conditional',
    reasons: ['native-silent', 'token-cache-3-days'],
  },
  // ROPC
  {
    name: 'ROPC (password grant, v2)',
    raw: token({
      grant_type: 'password',
      client_id: CLIENT,
      username: 'u@contoso.example',
      password: 'pw',
      scope: 'User.Read openid',
      client_info: '1',
    }),
    verdict: 'not-covered',
    reasons: ['ropc'],
  },
  {
    name: 'ROPC federated (saml1_1-bearer, v1)',
    raw: token(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:saml1_1-bearer',
        client_id: CLIENT,
        assertion: 'PHNhbWw+ZmFrZTwvc2FtbD4=',
        resource: API,
        client_info: '1',
      },
      { path: `/${TID}/oauth2/token` },
    ),
    verdict: 'not-covered',
    reasons: ['ropc'],
  },
  {
    name: 'ROPC federated (saml2-bearer)',
    raw: token({
      grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer',
      client_id: CLIENT,
      assertion: 'PHNhbWw+ZmFrZTwvc2FtbD4=',
      scope: 'openid',
      client_info: '1',
    }),
    verdict: 'not-covered',
    reasons: ['ropc'],
  },
  // Device code
  {
    name: 'device authorization request (/devicecode)',
    raw: token(
      { client_id: CLIENT, scope: 'openid offline_access', client_info: '1' },
      { path: '/organizations/oauth2/v2.0/devicecode' },
    ),
    verdict: 'not-covered',
    reasons: ['device-code'],
  },
  {
    name: 'device code poll, MSAL.NET literal device_code grant',
    raw: token({
      grant_type: 'device_code',
      client_id: CLIENT,
      device_code: 'DAQABAAEAAAD-fake',
      client_info: '1',
    }),
    verdict: 'not-covered',
    reasons: ['device-code'],
  },
  {
    name: 'device code poll, MSAL Python URN grant',
    raw: token(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: CLIENT,
        device_code: 'DAQABAAEAAAD-fake',
        code: 'DAQABAAEAAAD-fake',
        client_info: '1',
      },
      { requestHeaders: PY },
    ),
    verdict: 'not-covered',
    reasons: ['device-code'],
  },
  // Native public clients
  {
    name: 'native silent refresh (MSAL.NET AcquireTokenSilent)',
    raw: token(
      {
        grant_type: 'refresh_token',
        client_id: CLIENT,
        refresh_token: FAKE_RT,
        scope: 'User.Read openid offline_access profile',
        client_info: '1',
      },
      {
        requestHeaders: {
          'x-client-current-telemetry': '5|1007,3,,,|0,1,1,,',
          'client-request-id': 'c0ffee00-0000-4000-8000-000000000001',
        },
      },
    ),
    verdict: 'conditional',
    reasons: ['native-silent', 'token-cache-3-days'],
  },
  {
    name: 'native interactive authorize (loopback redirect, PKCE)',
    raw: authorize({
      client_id: CLIENT,
      response_type: 'code',
      redirect_uri: 'http://localhost:53412',
      scope: 'User.Read openid offline_access profile',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
      client_info: '1',
      'x-client-SKU': 'MSAL.NetCore',
      'x-client-Ver': '4.66.1.0',
    }),
    verdict: 'conditional',
    reasons: ['native-interactive'],
  },
  {
    name: 'native code redemption (no Origin, no credential)',
    raw: token({
      grant_type: 'authorization_code',
      client_id: CLIENT,
      code: FAKE_CODE,
      redirect_uri: 'http://localhost:53412',
      code_verifier: 'verifier',
      scope: 'openid',
      client_info: '1',
    }),
    verdict: 'conditional',
    reasons: ['native-interactive'],
  },
  // Implicit
  {
    name: 'MSAL.js 1.x implicit, id_token only',
    raw: authorize({
      client_id: CLIENT,
      response_type: 'id_token',
      scope: 'openid profile',
      nonce: 'n',
      state: 's',
      redirect_uri: 'https://spa.example.com/',
      response_mode: 'fragment',
      'x-client-SKU': 'MSAL.JS',
      'x-client-Ver': '1.4.18',
      client_info: '1',
    }),
    verdict: 'covered',
    reasons: ['spa-implicit-id-token'],
  },
  {
    name: 'web app OIDC sign-in, id_token with form_post (OWIN, not MSAL)',
    raw: authorize(
      {
        client_id: CLIENT,
        response_type: 'id_token',
        scope: 'openid profile',
        nonce: 'n',
        redirect_uri: 'https://web.example.com/signin-oidc',
        response_mode: 'form_post',
        'x-client-SKU': 'ID_NET472',
        'x-client-ver': '6.35.0.0',
      },
      { path: `/${TID}/oauth2/authorize` },
    ),
    verdict: 'covered',
    reasons: ['spa-implicit-id-token', 'non-msal-client'],
  },
  {
    name: 'implicit with access token (id_token token)',
    raw: authorize({
      client_id: CLIENT,
      response_type: 'id_token token',
      scope: 'openid User.Read',
      nonce: 'n',
      redirect_uri: 'https://spa.example.com/',
      'x-client-SKU': 'MSAL.JS',
    }),
    verdict: 'not-covered',
    reasons: ['implicit-access-token'],
  },
  // SPA
  {
    name: 'SPA auth code + PKCE redemption (Origin, msal.js.browser)',
    raw: token(
      {
        grant_type: 'authorization_code',
        client_id: CLIENT,
        code: FAKE_CODE,
        redirect_uri: 'https://spa.example.com/',
        code_verifier: 'v',
        scope: 'openid',
        client_info: '1',
        'x-client-SKU': 'msal.js.browser',
        'x-client-VER': '3.27.0',
      },
      { requestHeaders: { origin: 'https://spa.example.com', 'x-client-SKU': '' } },
    ),
    verdict: 'not-covered',
    reasons: ['spa-auth-code-pkce'],
  },
  {
    name: 'SPA refresh (Origin)',
    raw: token(
      {
        grant_type: 'refresh_token',
        client_id: CLIENT,
        refresh_token: FAKE_RT,
        scope: 'openid',
        client_info: '1',
      },
      { requestHeaders: { origin: 'https://spa.example.com' } },
    ),
    verdict: 'not-covered',
    reasons: ['spa-auth-code-pkce'],
  },
  {
    name: 'SPA authorize (msal.js.browser, fragment, PKCE)',
    raw: authorize({
      client_id: CLIENT,
      response_type: 'code',
      redirect_uri: 'https://spa.example.com/',
      response_mode: 'fragment',
      code_challenge: 'c',
      code_challenge_method: 'S256',
      scope: 'openid',
      'x-client-SKU': 'msal.js.browser',
      client_info: '1',
    }),
    verdict: 'not-covered',
    reasons: ['spa-auth-code-pkce'],
  },
  // Confidential web apps
  {
    name: 'confidential auth code with client_secret',
    raw: token({
      grant_type: 'authorization_code',
      client_id: CLIENT,
      client_secret: 'secret',
      code: FAKE_CODE,
      redirect_uri: 'https://web.example.com/signin-oidc',
      scope: 'openid',
      client_info: '1',
    }),
    verdict: 'not-covered',
    reasons: ['confidential-client'],
  },
  {
    name: 'confidential refresh with certificate assertion',
    raw: token({
      grant_type: 'refresh_token',
      client_id: CLIENT,
      refresh_token: FAKE_RT,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: certAssertion,
      scope: 'openid',
      client_info: '1',
    }),
    verdict: 'not-covered',
    reasons: ['confidential-client'],
  },
  {
    name: 'confidential auth code with Basic auth (v1)',
    raw: token(
      {
        grant_type: 'authorization_code',
        code: FAKE_CODE,
        redirect_uri: 'https://web.example.com/',
        resource: API,
      },
      {
        path: `/${TID}/oauth2/token`,
        requestHeaders: {
          authorization: `Basic ${Buffer.from(`${CLIENT}:secret`).toString('base64')}`,
          'x-client-SKU': '',
        },
      },
    ),
    verdict: 'not-covered',
    reasons: ['confidential-client', 'non-msal-client'],
  },
  {
    name: 'hybrid code id_token (ASP.NET form_post)',
    raw: authorize({
      client_id: CLIENT,
      response_type: 'code id_token',
      scope: 'openid profile',
      nonce: 'n',
      redirect_uri: 'https://web.example.com/signin-oidc',
      response_mode: 'form_post',
      client_info: '1',
      'x-client-SKU': 'MSAL.NetCore',
    }),
    verdict: 'not-covered',
    reasons: ['confidential-client'],
  },
  // OBO and client credentials
  {
    name: 'on-behalf-of',
    raw: token({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: CLIENT,
      client_secret: 'secret',
      assertion: userAccessToken,
      requested_token_use: 'on_behalf_of',
      scope: 'https://graph.microsoft.com/.default',
      client_info: '1',
    }),
    verdict: 'not-covered',
    reasons: ['on-behalf-of'],
  },
  {
    name: 'client credentials with a secret',
    raw: token({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_secret: 'secret',
      scope: `${API}/.default`,
    }),
    verdict: 'not-covered',
    reasons: ['client-credentials'],
  },
  {
    name: 'client credentials with a federated assertion (GitHub)',
    raw: token({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: federatedAssertion,
      scope: `${API}/.default`,
    }),
    verdict: 'not-covered',
    reasons: ['client-credentials'],
  },
  // SAML
  {
    name: 'SAML SP-initiated, Redirect binding AuthnRequest',
    raw: authorize(
      { SAMLRequest: samlRedirectParam(authnRequestXml()), RelayState: 'rs' },
      { path: `/${TID}/saml2` },
    ),
    verdict: 'not-covered',
    reasons: ['saml-sp-initiated'],
  },
  {
    name: 'SAML SP-initiated, POST binding AuthnRequest',
    raw: makeRawExchange({
      url: `/${TID}/saml2`,
      form: { SAMLRequest: samlPostParam(authnRequestXml()) },
      responseHtml: '<html>sign in</html>',
    }),
    verdict: 'not-covered',
    reasons: ['saml-sp-initiated'],
  },
  {
    name: 'SAML Response with InResponseTo (SP-initiated, after sign-in)',
    raw: makeRawExchange({
      url: '/common/login',
      form: { login: 'u@contoso.example', passwd: 'pw' },
      responseHtml: samlResponsePage('_a1b2c3d4e5'),
    }),
    verdict: 'not-covered',
    reasons: ['saml-sp-initiated'],
  },
  {
    name: 'SAML IdP-initiated (Response without InResponseTo)',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TID}/saml2?idpInitiated=1`,
      responseHtml: samlResponsePage(),
    }),
    verdict: 'covered',
    reasons: ['saml-idp-initiated'],
  },
  // Managed identity
  {
    name: 'IMDS system-assigned',
    raw: makeRawExchange({
      scheme: 'http',
      method: 'GET',
      host: '169.254.169.254',
      port: 80,
      url: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F',
      requestHeaders: { metadata: 'true' },
      responseJson: {
        access_token: 'x',
        expires_in: '86399',
        resource: 'https://management.azure.com/',
      },
    }),
    verdict: 'covered',
    reasons: ['managed-identity'],
  },
  {
    name: 'App Service user-assigned (/MSI/token, X-IDENTITY-HEADER)',
    raw: makeRawExchange({
      scheme: 'http',
      method: 'GET',
      host: 'localhost',
      port: 4141,
      url: '/MSI/token?api-version=2019-08-01&resource=https://vault.azure.net&mi_res_id=%2Fsubscriptions%2Fs%2FresourceGroups%2Frg%2Fproviders%2FMicrosoft.ManagedIdentity%2FuserAssignedIdentities%2Fid1',
      requestHeaders: { 'x-identity-header': 'abc' },
    }),
    verdict: 'covered',
    reasons: ['managed-identity'],
  },
  {
    name: 'Azure Arc (localhost:40342)',
    raw: makeRawExchange({
      scheme: 'http',
      method: 'GET',
      host: 'localhost',
      port: 40342,
      url: '/metadata/identity/oauth2/token?api-version=2020-06-01&resource=https://management.azure.com',
      requestHeaders: { metadata: 'true' },
      status: 401,
      responseHeaders: { 'www-authenticate': 'Basic realm=/var/opt/azcmagent/tokens/x.key' },
    }),
    verdict: 'covered',
    reasons: ['managed-identity'],
  },
  {
    name: 'Service Fabric (https localhost:2377)',
    raw: makeRawExchange({
      method: 'GET',
      host: 'localhost',
      port: 2377,
      url: '/metadata/identity/oauth2/token?api-version=2019-07-01-preview&resource=https://vault.azure.net',
      requestHeaders: { secret: 'sf-secret' },
    }),
    verdict: 'covered',
    reasons: ['managed-identity'],
  },
  // UserInfo
  {
    name: 'UserInfo on Microsoft Graph',
    raw: makeRawExchange({
      method: 'GET',
      host: 'graph.microsoft.com',
      url: '/oidc/userinfo',
      requestHeaders: { authorization: `Bearer ${userAccessToken}` },
      responseJson: { sub: 'x' },
    }),
    verdict: 'not-covered',
    reasons: ['userinfo'],
  },
  {
    name: 'UserInfo v1 (/openid/userinfo)',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TID}/openid/userinfo`,
      requestHeaders: { authorization: `Bearer ${userAccessToken}` },
    }),
    verdict: 'not-covered',
    reasons: ['userinfo'],
  },
  // WS-Fed
  {
    name: 'WS-Federation sign-in',
    raw: authorize(
      { wa: 'wsignin1.0', wtrealm: 'https://rp.example.com/', wreply: 'https://rp.example.com/' },
      { path: `/${TID}/wsfed` },
    ),
    verdict: 'unknown',
    reasons: ['wsfed'],
  },
  // Metadata
  ...(
    [
      ['OIDC discovery', { method: 'GET', url: `/${TID}/v2.0/.well-known/openid-configuration` }],
      ['JWKS', { method: 'GET', url: `/${TID}/discovery/v2.0/keys` }],
      [
        'instance discovery',
        {
          method: 'GET',
          url: '/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/authorize',
        },
      ],
      [
        'federation metadata',
        { method: 'GET', url: `/${TID}/FederationMetadata/2007-06/FederationMetadata.xml` },
      ],
      [
        'CORS preflight',
        {
          method: 'OPTIONS',
          url: `/${TID}/oauth2/v2.0/token`,
          requestHeaders: {
            origin: 'https://spa.example.com',
            'access-control-request-method': 'POST',
          },
        },
      ],
      [
        'OIDC logout',
        {
          method: 'GET',
          url: `/${TID}/oauth2/v2.0/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example.com`,
        },
      ],
      [
        'SAML single logout',
        {
          method: 'GET',
          url: `/${TID}/saml2`,
          query: { SAMLRequest: samlRedirectParam(logoutRequestXml()) },
        },
      ],
      [
        'IMDS probe without Metadata header',
        {
          scheme: 'http',
          method: 'GET',
          host: '169.254.169.254',
          port: 80,
          url: '/metadata/identity/oauth2/token',
          status: 400,
        },
      ],
      [
        'login.windows.net discovery (metadata is not a sign-in)',
        {
          method: 'GET',
          host: 'login.windows.net',
          url: '/common/.well-known/openid-configuration',
        },
      ],
    ] as const
  ).map(([name, o]): Row => ({
    name,
    raw: makeRawExchange(o as RawExchangeOverrides),
    verdict: 'not-applicable',
    reasons: ['metadata'],
  })),
  // Unrecognised
  {
    name: 'unrecognised path on an Entra host',
    raw: makeRawExchange({ method: 'GET', url: '/common/something/unheard/of' }),
    verdict: 'unknown',
    reasons: ['unparseable'],
  },
  {
    name: 'token request without grant_type',
    raw: token({ client_id: CLIENT, client_info: '1' }),
    verdict: 'unknown',
    reasons: ['unparseable'],
  },
  // Undocumented cases
  {
    name: 'broker jwt-bearer with a signed request JWT',
    raw: token(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        client_id: '29d9ed98-a469-4536-ade2-f981bc1d605e',
        request: fakeJwt(
          { alg: 'HS256', ctx: 'x' },
          { grant_type: 'refresh_token', refresh_token: 'prt' },
        ),
        windows_api_version: '2.2',
        client_info: '1',
      },
      { path: '/common/oauth2/token' },
    ),
    verdict: 'unknown',
    reasons: ['undocumented-flow'],
  },
  {
    name: 'Cloud Shell (localhost:50342)',
    raw: makeRawExchange({
      scheme: 'http',
      host: 'localhost',
      port: 50342,
      url: '/oauth2/token',
      form: { resource: 'https://management.azure.com/' },
      requestHeaders: { metadata: 'true' },
    }),
    verdict: 'unknown',
    reasons: ['undocumented-flow'],
  },
  {
    name: 'IMDSv2 mTLS PoP client credentials on mtlsauth (undocumented)',
    raw: token(
      {
        grant_type: 'client_credentials',
        client_id: CLIENT,
        scope: 'https://management.azure.com/.default',
        token_type: 'mtls_pop',
        client_info: '1',
      },
      { host: 'westus3.mtlsauth.microsoft.com' },
    ),
    verdict: 'unknown',
    reasons: ['undocumented-flow'],
  },
  {
    name: 'IWA (saml1_1-bearer, MSAL.NET telemetry 1002)',
    raw: token(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:saml1_1-bearer',
        client_id: CLIENT,
        assertion: 'PHNhbWw+ZmFrZTwvc2FtbD4=',
        scope: 'openid',
        client_info: '1',
      },
      { requestHeaders: { 'x-client-current-telemetry': '5|1002,0,,,|0,1,1,,' } },
    ),
    verdict: 'unknown',
    reasons: ['undocumented-flow'],
  },
  {
    name: 'Seamless SSO Kerberos leg (autologon)',
    raw: makeRawExchange({
      method: 'GET',
      host: 'autologon.microsoftazuread-sso.com',
      url: `/contoso.onmicrosoft.com/winauth/sso?desktopsso=true`,
      requestHeaders: { authorization: 'Negotiate YII=' },
    }),
    verdict: 'unknown',
    reasons: ['undocumented-flow'],
  },
  {
    name: 'ESTS-R regional client credentials (westus2.login.microsoft.com)',
    raw: token(
      {
        grant_type: 'client_credentials',
        client_id: CLIENT,
        client_secret: 's',
        scope: `${API}/.default`,
        client_info: '1',
      },
      { host: 'westus2.login.microsoft.com' },
    ),
    verdict: 'not-covered',
    reasons: ['host-unsupported', 'client-credentials'],
  },
  {
    name: 'My Apps launcher (IdP-initiated entry point)',
    raw: makeRawExchange({
      method: 'GET',
      host: 'launcher.myapps.microsoft.com',
      url: `/api/signin/${CLIENT}?tenantId=${TID}`,
      status: 302,
    }),
    verdict: 'not-applicable',
    reasons: ['metadata'],
  },
  {
    name: 'error response (AADSTS) still classifies by the request',
    raw: token(
      {
        grant_type: 'password',
        client_id: CLIENT,
        username: 'u@contoso.example',
        password: 'wrong',
        scope: 'openid',
        client_info: '1',
      },
      {
        status: 400,
        responseJson: {
          error: 'invalid_grant',
          error_description: 'AADSTS50126: Error validating credentials.',
          error_codes: [50126],
        },
      },
    ),
    verdict: 'not-covered',
    reasons: ['ropc'],
  },
];

describe('classify: coverage table', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const rec = classifyExchange(row.raw);
    expect(rec.reasons.map((r) => r.code)).toEqual(row.reasons);
    expect(rec.verdict).toBe(row.verdict);
    for (const r of rec.reasons) {
      expect(r.message.length).toBeGreaterThan(0);
      expect(r.ruleId).toBeTruthy();
    }
  });
});

function rec(raw: RawExchange): ExchangeRecord {
  return classifyExchange(raw);
}

describe('classify: extracted fields', () => {
  it('native silent refresh: fields, library, correlation ids, interaction', () => {
    const r = rec(
      token(
        {
          grant_type: 'refresh_token',
          client_id: CLIENT,
          refresh_token: FAKE_RT,
          scope: 'User.Read openid offline_access',
          client_info: '1',
        },
        {
          requestHeaders: { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' },
          responseHeaders: { 'x-ms-request-id': 'aaaa0000-0000-4000-8000-000000000002' },
        },
      ),
    );
    expect(r).toMatchObject({
      host: 'login.microsoftonline.com',
      path: `/${TID}/oauth2/v2.0/token`,
      cloud: 'public',
      hostSupported: true,
      protocol: 'oidc',
      endpoint: 'token',
      grantType: 'refresh_token',
      pkce: null,
      clientType: 'public',
      clientCredential: 'none',
      appType: 'native',
      clientId: CLIENT,
      tenant: TID,
      scopes: ['User.Read', 'openid', 'offline_access'],
      library: 'MSAL.NetCore',
      libraryVersion: '4.66.1.0',
      clientRequestId: 'c0ffee00-0000-4000-8000-000000000001',
      serverRequestId: 'aaaa0000-0000-4000-8000-000000000002',
      interaction: 'silent',
      managedIdentity: null,
      samlInitiation: null,
    });
  });

  it('v1 token endpoint: resource becomes the scope, protocol oauth2', () => {
    const r = rec(
      token(
        { grant_type: 'refresh_token', client_id: CLIENT, refresh_token: FAKE_RT, resource: API },
        { path: '/contoso.onmicrosoft.com/oauth2/token' },
      ),
    );
    expect(r.scopes).toEqual([API]);
    expect(r.protocol).toBe('oauth2');
    expect(r.tenant).toBe('contoso.onmicrosoft.com');
  });

  it('confidential credentials: secret, Basic, certificate, federated', () => {
    const secret = rec(
      token({
        grant_type: 'client_credentials',
        client_id: CLIENT,
        client_secret: 's',
        scope: `${API}/.default`,
      }),
    );
    expect([secret.clientType, secret.clientCredential, secret.appType]).toEqual([
      'confidential',
      'secret',
      'service',
    ]);

    const basic = rec(
      token(
        { grant_type: 'authorization_code', code: FAKE_CODE },
        {
          requestHeaders: {
            authorization: `Basic ${Buffer.from(`${CLIENT}:s`).toString('base64')}`,
          },
        },
      ),
    );
    expect([basic.clientType, basic.clientCredential, basic.appType, basic.clientId]).toEqual([
      'confidential',
      'secret',
      'web',
      CLIENT,
    ]);

    const cert = rec(
      token({
        grant_type: 'client_credentials',
        client_id: CLIENT,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: certAssertion,
        scope: `${API}/.default`,
      }),
    );
    expect(cert.clientCredential).toBe('certificate');

    // Certificate without x5t: iss === sub === client_id.
    const certNoX5t = rec(
      token({
        grant_type: 'client_credentials',
        client_id: CLIENT,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: fakeJwt(
          { alg: 'PS256', kid: 'k' },
          { iss: CLIENT, sub: CLIENT, aud: 'x' },
        ),
        scope: `${API}/.default`,
      }),
    );
    expect(certNoX5t.clientCredential).toBe('certificate');

    const fed = rec(
      token({
        grant_type: 'client_credentials',
        client_id: CLIENT,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: federatedAssertion,
        scope: `${API}/.default`,
      }),
    );
    expect([fed.clientType, fed.clientCredential]).toEqual(['confidential', 'federated']);
  });

  it('OBO: grant on_behalf_of, web app', () => {
    const r = rec(
      token({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        client_id: CLIENT,
        client_secret: 's',
        assertion: userAccessToken,
        requested_token_use: 'on_behalf_of',
        scope: 'https://graph.microsoft.com/.default',
      }),
    );
    expect([r.grantType, r.appType, r.clientType]).toEqual(['on_behalf_of', 'web', 'confidential']);
  });

  it('authorize grant mapping: implicit, hybrid, code; PKCE', () => {
    const q = {
      client_id: CLIENT,
      redirect_uri: 'https://spa.example.com/',
      scope: 'openid',
      nonce: 'n',
    };
    expect(rec(authorize({ ...q, response_type: 'id_token' })).grantType).toBe('implicit');
    expect(rec(authorize({ ...q, response_type: 'token' })).grantType).toBe('implicit');
    expect(rec(authorize({ ...q, response_type: 'code id_token' })).grantType).toBe('hybrid');
    const code = rec(
      authorize({
        ...q,
        response_type: 'code',
        code_challenge: 'c',
        code_challenge_method: 'S256',
      }),
    );
    expect([code.grantType, code.pkce, code.interaction]).toEqual([
      'authorization_code',
      true,
      'interactive',
    ]);
    expect(rec(authorize({ ...q, response_type: 'code' })).pkce).toBe(false);
  });

  it('native redirect patterns make a native app', () => {
    for (const redirect of [
      'http://localhost',
      'http://127.0.0.1:8400/',
      'urn:ietf:wg:oauth:2.0:oob',
      'https://login.microsoftonline.com/common/oauth2/nativeclient',
      `msal${CLIENT}://auth`,
      'msauth.com.contoso.app://auth',
      `ms-appx-web://microsoft.aad.brokerplugin/${CLIENT}`,
    ]) {
      const r = rec(
        authorize({
          client_id: CLIENT,
          response_type: 'code',
          redirect_uri: redirect,
          scope: 'openid',
        }),
      );
      expect([redirect, r.appType, r.clientType]).toEqual([redirect, 'native', 'public']);
    }
    // A SPA in development redirects to localhost too: the browser library wins.
    const devSpa = rec(
      authorize({
        client_id: CLIENT,
        response_type: 'code',
        redirect_uri: 'http://localhost:3000',
        code_challenge: 'c',
        scope: 'openid',
        'x-client-SKU': 'msal.js.browser',
      }),
    );
    expect([devSpa.appType, devSpa.verdict]).toEqual(['spa', 'not-covered']);
    const naa = rec(
      authorize({
        client_id: CLIENT,
        response_type: 'code',
        redirect_uri: 'brk-multihub://contoso.example',
        scope: 'openid',
      }),
    );
    expect(naa.appType).toBe('spa');
  });

  it('managed identity: selector, source fields', () => {
    const ua = rec(
      makeRawExchange({
        scheme: 'http',
        method: 'GET',
        host: '169.254.169.254',
        port: 80,
        url: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=77777777-0000-4000-8000-000000000007',
        requestHeaders: { metadata: 'true' },
      }),
    );
    expect(ua).toMatchObject({
      protocol: 'managed-identity',
      endpoint: 'imds',
      grantType: 'managed_identity',
      appType: 'managed-identity',
      managedIdentity: '77777777-0000-4000-8000-000000000007',
      scopes: ['https://vault.azure.net'],
    });
    const sa = rec(
      makeRawExchange({
        scheme: 'http',
        method: 'GET',
        host: '169.254.169.254',
        port: 80,
        url: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net',
        requestHeaders: { metadata: 'true' },
      }),
    );
    expect(sa.managedIdentity).toBe('system-assigned');
    // Legacy App Service / Azure ML: MSI_ENDPOINT + `secret` header, `clientid` selector.
    const legacy = rec(
      makeRawExchange({
        scheme: 'http',
        method: 'GET',
        host: '127.0.0.1',
        port: 41741,
        url: '/MSI/token/?resource=https://vault.azure.net&api-version=2017-09-01&clientid=66666666-0000-4000-8000-000000000006',
        requestHeaders: { secret: 'msi-secret' },
      }),
    );
    expect([legacy.verdict, legacy.protocol, legacy.managedIdentity]).toEqual([
      'covered',
      'managed-identity',
      '66666666-0000-4000-8000-000000000006',
    ]);
  });

  it('SAML: initiation and SP issuer as client id', () => {
    const sp = rec(
      authorize(
        {
          SAMLRequest: samlRedirectParam(
            authnRequestXml({ issuer: 'https://sp.example.com/metadata' }),
          ),
        },
        { path: `/${TID}/saml2` },
      ),
    );
    expect([sp.protocol, sp.endpoint, sp.samlInitiation, sp.clientId, sp.tenant]).toEqual([
      'saml2',
      'saml2',
      'sp',
      'https://sp.example.com/metadata',
      TID,
    ]);
  });

  it('client id and tenant from token claims when the request has none (IMDS)', () => {
    const mi = '88888888-0000-4000-8000-000000000008';
    const at = fakeJwt(
      { alg: 'RS256', typ: 'JWT' },
      {
        aud: 'https://vault.azure.net',
        tid: TID,
        appid: mi,
        idtyp: 'app',
        oid: 'o',
        xms_mirid:
          '/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm1',
      },
    );
    const r = rec(
      makeRawExchange({
        scheme: 'http',
        method: 'GET',
        host: '169.254.169.254',
        port: 80,
        url: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net',
        requestHeaders: { metadata: 'true' },
        responseJson: { access_token: at, expires_in: '86399', token_type: 'Bearer' },
      }),
    );
    expect([r.clientId, r.tenant, r.managedIdentity]).toEqual([mi, TID, 'system-assigned']);
    expect(r.evidence.claims['access_token']).toMatchObject({ appid: mi, tid: TID, idtyp: 'app' });
    expect(r.evidence.claims['access_token']).not.toHaveProperty('oid');
  });

  it('host alias remediation names the supported host of the same cloud', () => {
    const r = rec(
      token(
        {
          grant_type: 'refresh_token',
          client_id: CLIENT,
          refresh_token: FAKE_RT,
          client_info: '1',
        },
        { host: 'login.usgovcloudapi.net' },
      ),
    );
    expect(r.cloud).toBe('usgov');
    expect(r.reasons[0]?.remediation).toContain('login.microsoftonline.us');
  });

  it('error code in evidence', () => {
    const r = rec(
      token(
        { grant_type: 'password', client_id: CLIENT, username: 'u', password: 'p' },
        { status: 400, responseJson: { error: 'invalid_grant', error_codes: [50126] } },
      ),
    );
    expect(r.evidence.responseError).toBe('AADSTS50126');
  });

  it('never throws: garbage input becomes unknown/unparseable', () => {
    const bad = { ...makeRawExchange(), url: 42, requestHeaders: null } as unknown as RawExchange;
    const r = classifyExchange(bad);
    expect(r.verdict).toBe('unknown');
    expect(r.reasons.map((x) => x.code)).toEqual(['unparseable']);
    const worse = { ...makeRawExchange(), host: null } as unknown as RawExchange;
    const w = classifyExchange(worse);
    expect([w.verdict, w.reasons[0]?.code, w.id]).toEqual(['unknown', 'unparseable', 'ex-1']);
  });
});

describe('rules table', () => {
  it('has unique ids, learn.microsoft.com links and a catch-all last row', async () => {
    const { RULES, MODIFIERS } = await import('../../../src/classifiers/rules.js');
    const ids = [...RULES, ...MODIFIERS].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of [...RULES, ...MODIFIERS]) {
      expect(r.docUrl).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    }
    expect(RULES[RULES.length - 1]?.when).toEqual({});
  });
});

describe('classify: SAML application naming', () => {
  it('names a SAML app by its entity ID: the response Audience, or the AuthnRequest Issuer', () => {
    const idp = classifyExchange(
      makeRawExchange({
        method: 'GET',
        url: '/tenant-1/saml2',
        responseHtml: samlResponsePage(),
      }),
    );
    expect(idp.samlInitiation).toBe('idp');
    expect(idp.clientId).toBe('https://sp.example.com/metadata');
    expect(idp.evidence.saml).toMatchObject({ audience: 'https://sp.example.com/metadata' });
  });
});

describe('classify: UserInfo names the calling app', () => {
  it('takes the client id and tenant from the bearer token it presents (claims only, no token)', () => {
    const token = fakeJwt(
      { alg: 'RS256', typ: 'JWT' },
      { azp: 'app-userinfo-1', tid: 'tenant-1', aud: '00000003-0000-0000-c000-000000000000' },
    );
    const r = classifyExchange(
      makeRawExchange({
        method: 'GET',
        host: 'graph.microsoft.com',
        url: '/oidc/userinfo',
        requestHeaders: { authorization: `Bearer ${token}` },
      }),
    );
    expect(r).toMatchObject({
      endpoint: 'userinfo',
      clientId: 'app-userinfo-1',
      tenant: 'tenant-1',
    });
    expect(r.evidence.claims['bearer']).toMatchObject({ azp: 'app-userinfo-1' });
    expect(JSON.stringify(r)).not.toContain(token);
  });
});
