/**
 * A realistic mix of sign-in traffic, as plain specs: token POSTs of several grants, authorize GETs,
 * SAML (SP-initiated redirect binding and an IdP-initiated auto-post response), IMDS and App
 * Service managed identity, OIDC discovery / instance metadata, an unsupported alias host, and some
 * non-Entra traffic for HAR files. Deterministic per index; every token and secret is fake.
 * `toRawExchange` feeds the classifier benchmark, har-gen.ts writes the same specs as a HAR.
 */
import { deflateRawSync } from 'node:zlib';
import type { RawExchange } from '../../src/core/types.js';
import { fakeJwt, TOKEN_RESPONSE_BODY } from './common.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const NATIVE = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const SPA = '22222222-aaaa-4bbb-8ccc-222222222222';
const DAEMON = '33333333-aaaa-4bbb-8ccc-333333333333';
const WEBAPI = '44444444-aaaa-4bbb-8ccc-444444444444';
const LOGIN = 'https://login.microsoftonline.com';

export interface Spec {
  readonly kind: string;
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly reqHeaders: readonly (readonly [string, string])[];
  readonly reqBody?: string;
  readonly reqMime?: string;
  readonly status: number;
  readonly respHeaders: readonly (readonly [string, string])[];
  readonly respBody?: string;
  readonly respMime?: string;
  /** HAR only: the body is base64 (images). */
  readonly base64?: boolean;
  /** Whether the proxy / HAR reader treats it as sign-in traffic. */
  readonly entra: boolean;
}

const FORM = 'application/x-www-form-urlencoded;charset=utf-8';
const JSON_MIME = 'application/json; charset=utf-8';

function cid(i: number): string {
  return `5b1f3c2e-1111-2222-3333-${String(i % 1e12).padStart(12, '0')}`;
}

function form(p: Record<string, string>): string {
  return new URLSearchParams(p).toString();
}

function msal(sku: string, ver: string, i: number): [string, string][] {
  return [
    ['x-client-sku', sku],
    ['x-client-ver', ver],
    ['x-client-os', 'linux'],
    ['client-request-id', cid(i)],
    ['x-client-current-telemetry', '5|871,0,,,|,'],
    ['x-client-last-telemetry', '5|0|||0,0'],
  ];
}

function tokenResp(i: number, appid: string, withRefresh = true): string {
  return JSON.stringify({
    token_type: 'Bearer',
    scope: 'https://graph.microsoft.com/User.Read',
    expires_in: 4778,
    ext_expires_in: 4778,
    access_token: fakeJwt(
      { aud: 'https://graph.microsoft.com', tid: TENANT, appid, ver: '1.0', idtyp: 'user', n: i },
      200,
    ),
    ...(withRefresh ? { refresh_token: `0.AXoA${'R'.repeat(300)}` } : {}),
    id_token: fakeJwt({ aud: appid, tid: TENANT, ver: '2.0' }, 32),
  });
}

const RESP_HEADERS: [string, string][] = [
  ['content-type', JSON_MIME],
  ['cache-control', 'no-store, no-cache'],
  ['x-ms-request-id', '0e6b3c43-5a3c-4c3e-9a0b-5d1c8e7f0a00'],
  ['x-ms-ests-server', '2.1.19284.5 - NEULR1 ProdSlices'],
];

function samlAutoPost(inResponseTo: string | null, i: number): string {
  const irt = inResponseTo ? ` InResponseTo="${inResponseTo}"` : '';
  const xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r${i}" Version="2.0" IssueInstant="2025-01-01T00:00:00Z" Destination="https://sp.example.com/acs"${irt}>` +
    `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/${TENANT}/</Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a${i}" Version="2.0" IssueInstant="2025-01-01T00:00:00Z"><Issuer>https://sts.windows.net/${TENANT}/</Issuer>` +
    `<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">user${i}@contoso.example</NameID></Subject>` +
    `<AttributeStatement><Attribute Name="http://schemas.microsoft.com/identity/claims/tenantid"><AttributeValue>${TENANT}</AttributeValue></Attribute></AttributeStatement></Assertion>` +
    `</samlp:Response>`;
  const v = Buffer.from(xml).toString('base64');
  return `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://sp.example.com/acs"><input type="hidden" name="SAMLResponse" value="${v}" />${inResponseTo ? '<input type="hidden" name="RelayState" value="rs" />' : ''}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">window.setTimeout('document.forms[0].submit()', 0);</script></body></html>`;
}

const AUTHN_REQUEST = (i: number): string =>
  deflateRawSync(
    Buffer.from(
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_q${i}" Version="2.0" IssueInstant="2025-01-01T00:00:00Z" AssertionConsumerServiceURL="https://sp.example.com/acs"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp.example.com</saml:Issuer></samlp:AuthnRequest>`,
    ),
  ).toString('base64');

const OIDC_CONFIG = JSON.stringify({
  token_endpoint: `${LOGIN}/${TENANT}/oauth2/v2.0/token`,
  token_endpoint_auth_methods_supported: [
    'client_secret_post',
    'private_key_jwt',
    'client_secret_basic',
  ],
  jwks_uri: `${LOGIN}/${TENANT}/discovery/v2.0/keys`,
  response_modes_supported: ['query', 'fragment', 'form_post'],
  subject_types_supported: ['pairwise'],
  id_token_signing_alg_values_supported: ['RS256'],
  response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
  scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  issuer: `${LOGIN}/${TENANT}/v2.0`,
  request_uri_parameter_supported: false,
  userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
  authorization_endpoint: `${LOGIN}/${TENANT}/oauth2/v2.0/authorize`,
  device_authorization_endpoint: `${LOGIN}/${TENANT}/oauth2/v2.0/devicecode`,
  http_logout_supported: true,
  frontchannel_logout_supported: true,
  end_session_endpoint: `${LOGIN}/${TENANT}/oauth2/v2.0/logout`,
  claims_supported: [
    'sub',
    'iss',
    'cloud_instance_name',
    'aud',
    'exp',
    'iat',
    'auth_time',
    'acr',
    'nonce',
    'preferred_username',
    'name',
    'tid',
    'ver',
    'email',
  ],
  kerberos_endpoint: `${LOGIN}/${TENANT}/kerberos`,
  tenant_region_scope: 'WW',
  cloud_instance_name: 'microsoftonline.com',
  cloud_graph_host_name: 'graph.windows.net',
  msgraph_host: 'graph.microsoft.com',
});

const KINDS = [
  'token-refresh',
  'token-refresh',
  'token-refresh',
  'token-spa-code',
  'authorize-spa',
  'token-client-secret',
  'token-client-cert',
  'token-ropc',
  'token-device-code',
  'token-obo',
  'authorize-implicit',
  'saml-sp',
  'saml-idp',
  'imds',
  'appservice-mi',
  'oidc-metadata',
  'instance-discovery',
  'token-alias-host',
] as const;

/** The Entra / managed-identity exchange number `i` of the mix. */
export function entraSpec(i: number): Spec {
  const kind = KINDS[i % KINDS.length] ?? 'token-refresh';
  const token = `${LOGIN}/${TENANT}/oauth2/v2.0/token`;
  const base = { kind, entra: true };
  switch (kind) {
    case 'token-refresh':
      return {
        ...base,
        method: 'POST',
        url: token,
        reqHeaders: [...msal('msal.js.node', '2.16.2', i), ['content-type', FORM]],
        reqBody: form({
          client_id: NATIVE,
          scope: 'https://graph.microsoft.com/User.Read openid profile offline_access',
          grant_type: 'refresh_token',
          refresh_token: `0.AXoA${'r'.repeat(380)}${i}`,
          client_info: '1',
        }),
        reqMime: FORM,
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: TOKEN_RESPONSE_BODY,
        respMime: JSON_MIME,
      };
    case 'token-spa-code':
      return {
        ...base,
        method: 'POST',
        url: token,
        reqHeaders: [
          ['origin', 'https://spa.example.com'],
          ['content-type', FORM],
          ...msal('msal.js.browser', '3.27.0', i),
        ],
        reqBody: form({
          client_id: SPA,
          redirect_uri: 'https://spa.example.com/',
          scope: 'User.Read openid profile offline_access',
          code: `1.AXoA${'c'.repeat(400)}`,
          code_verifier: 'v'.repeat(43),
          grant_type: 'authorization_code',
          client_info: '1',
        }),
        reqMime: FORM,
        status: 200,
        respHeaders: [...RESP_HEADERS, ['access-control-allow-origin', '*']],
        respBody: tokenResp(i, SPA),
        respMime: JSON_MIME,
      };
    case 'authorize-spa': {
      const q = form({
        client_id: SPA,
        scope: 'User.Read openid profile offline_access',
        redirect_uri: 'https://spa.example.com/',
        response_mode: 'fragment',
        response_type: 'code',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        nonce: `n${i}`,
        state: `s${i}`,
        'x-client-SKU': 'msal.js.browser',
        'x-client-VER': '3.27.0',
        'client-request-id': cid(i),
      });
      const loc = `https://spa.example.com/#code=1.AXoA${'c'.repeat(200)}&client_info=eyJ1aWQiOiIxIn0&state=s${i}&session_state=abc`;
      return {
        ...base,
        method: 'GET',
        url: `${LOGIN}/${TENANT}/oauth2/v2.0/authorize?${q}`,
        reqHeaders: [
          ['accept', 'text/html'],
          ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0'],
          ['referer', 'https://spa.example.com/'],
        ],
        status: 302,
        respHeaders: [
          ['location', loc],
          ['x-ms-request-id', `r-${i}`],
        ],
      };
    }
    case 'token-client-secret':
      return {
        ...base,
        method: 'POST',
        url: token,
        reqHeaders: [...msal('MSAL.NetCore', '4.66.1.0', i), ['content-type', FORM]],
        reqBody: form({
          client_id: DAEMON,
          client_secret: 'fake~secret~' + 's'.repeat(28),
          scope: 'https://graph.microsoft.com/.default',
          grant_type: 'client_credentials',
        }),
        reqMime: FORM,
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: JSON.stringify({
          token_type: 'Bearer',
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: fakeJwt(
            {
              aud: 'https://graph.microsoft.com',
              tid: TENANT,
              appid: DAEMON,
              idtyp: 'app',
              ver: '1.0',
            },
            200,
          ),
        }),
        respMime: JSON_MIME,
      };
    case 'token-client-cert':
      return {
        ...base,
        method: 'POST',
        url: token,
        reqHeaders: [...msal('MSAL.Python', '1.31.0', i), ['content-type', FORM]],
        reqBody: form({
          client_id: DAEMON,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: fakeJwt(
            { aud: token, iss: DAEMON, sub: DAEMON, jti: `j${i}`, exp: 1764004778 },
            256,
          ),
          scope: 'https://vault.azure.net/.default',
          grant_type: 'client_credentials',
        }),
        reqMime: FORM,
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: JSON.stringify({
          token_type: 'Bearer',
          expires_in: 3599,
          access_token: fakeJwt(
            { aud: 'https://vault.azure.net', tid: TENANT, appid: DAEMON, idtyp: 'app' },
            200,
          ),
        }),
        respMime: JSON_MIME,
      };
    case 'token-ropc':
      return {
        ...base,
        method: 'POST',
        url: token,
        reqHeaders: [...msal('MSAL.Java', '1.17.2', i), ['content-type', FORM]],
        reqBody: form({
          client_id: NATIVE,
          grant_type: 'password',
          username: `user${i}@contoso.example`,
          password: 'fake-password',
          scope: 'User.Read openid',
        }),
        reqMime: FORM,
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: tokenResp(i, NATIVE),
        respMime: JSON_MIME,
      };
    case 'token-device-code':
      return {
        ...base,
        method: 'POST',
        url: token,
        reqHeaders: [...msal('MSAL.Python', '1.31.0', i), ['content-type', FORM]],
        reqBody: form({
          client_id: NATIVE,
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: `DAQABAAEAAAD${'d'.repeat(200)}`,
        }),
        reqMime: FORM,
        status: 400,
        respHeaders: RESP_HEADERS,
        respBody: JSON.stringify({
          error: 'authorization_pending',
          error_description: 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.',
          error_codes: [70016],
          timestamp: '2025-01-01 00:00:00Z',
          trace_id: 't',
          correlation_id: cid(i),
        }),
        respMime: JSON_MIME,
      };
    case 'token-obo':
      return {
        ...base,
        method: 'POST',
        url: token,
        reqHeaders: [...msal('MSAL.NetCore', '4.66.1.0', i), ['content-type', FORM]],
        reqBody: form({
          client_id: WEBAPI,
          client_secret: 'fake~secret~' + 'o'.repeat(28),
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          requested_token_use: 'on_behalf_of',
          assertion: fakeJwt({ aud: WEBAPI, tid: TENANT, scp: 'access_as_user' }, 200),
          scope: 'https://graph.microsoft.com/.default',
        }),
        reqMime: FORM,
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: tokenResp(i, WEBAPI, false),
        respMime: JSON_MIME,
      };
    case 'authorize-implicit': {
      const q = form({
        client_id: SPA,
        response_type: 'id_token',
        scope: 'openid profile',
        redirect_uri: 'https://spa.example.com/',
        nonce: `n${i}`,
        state: `s${i}`,
        'x-client-SKU': 'MSAL.JS',
        'x-client-Ver': '1.4.18',
      });
      return {
        ...base,
        method: 'GET',
        url: `${LOGIN}/common/oauth2/v2.0/authorize?${q}`,
        reqHeaders: [
          ['accept', 'text/html'],
          ['user-agent', 'Mozilla/5.0 Chrome/131.0'],
        ],
        status: 302,
        respHeaders: [
          [
            'location',
            `https://spa.example.com/#id_token=${fakeJwt({ aud: SPA, tid: TENANT, ver: '2.0' })}&state=s${i}`,
          ],
        ],
      };
    }
    case 'saml-sp':
      return {
        ...base,
        method: 'GET',
        url: `${LOGIN}/${TENANT}/saml2?SAMLRequest=${encodeURIComponent(AUTHN_REQUEST(i))}&RelayState=rs`,
        reqHeaders: [
          ['accept', 'text/html'],
          ['user-agent', 'Mozilla/5.0 Chrome/131.0'],
        ],
        status: 200,
        respHeaders: [['content-type', 'text/html; charset=utf-8']],
        respBody: samlAutoPost(`_q${i}`, i),
        respMime: 'text/html; charset=utf-8',
      };
    case 'saml-idp':
      return {
        ...base,
        method: 'GET',
        url: `${LOGIN}/${TENANT}/saml2?idpinitiated=true&appid=55555555-aaaa-4bbb-8ccc-555555555555`,
        reqHeaders: [
          ['accept', 'text/html'],
          ['user-agent', 'Mozilla/5.0 Chrome/131.0'],
          ['referer', 'https://myapps.microsoft.com/'],
        ],
        status: 200,
        respHeaders: [['content-type', 'text/html; charset=utf-8']],
        respBody: samlAutoPost(null, i),
        respMime: 'text/html; charset=utf-8',
      };
    case 'imds':
      return {
        ...base,
        method: 'GET',
        url: 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net',
        reqHeaders: [
          ['metadata', 'true'],
          [
            'user-agent',
            'azsdk-js-identity/4.13.1 core-rest-pipeline/1.19.0 Node/20.18.1 OS/(x64-Linux)',
          ],
        ],
        status: 200,
        respHeaders: [['content-type', 'application/json; charset=utf-8']],
        respBody: JSON.stringify({
          access_token: fakeJwt(
            {
              aud: 'https://vault.azure.net',
              tid: TENANT,
              idtyp: 'app',
              xms_mirid:
                '/subscriptions/x/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm',
            },
            200,
          ),
          client_id: '66666666-aaaa-4bbb-8ccc-666666666666',
          expires_in: '86399',
          expires_on: '1764086399',
          ext_expires_in: '86399',
          not_before: '1764000000',
          resource: 'https://vault.azure.net',
          token_type: 'Bearer',
        }),
        respMime: JSON_MIME,
      };
    case 'appservice-mi':
      return {
        ...base,
        method: 'GET',
        url: 'http://127.0.0.1:41741/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F&client_id=77777777-aaaa-4bbb-8ccc-777777777777',
        reqHeaders: [
          ['x-identity-header', 'fake-identity-header'],
          ['user-agent', 'azsdk-net-Identity/1.13.0'],
        ],
        status: 200,
        respHeaders: [['content-type', JSON_MIME]],
        respBody: JSON.stringify({
          access_token: fakeJwt(
            { aud: 'https://management.azure.com/', tid: TENANT, idtyp: 'app' },
            200,
          ),
          expires_on: '1764086399',
          resource: 'https://management.azure.com/',
          token_type: 'Bearer',
          client_id: '77777777-aaaa-4bbb-8ccc-777777777777',
        }),
        respMime: JSON_MIME,
      };
    case 'oidc-metadata':
      return {
        ...base,
        method: 'GET',
        url: `${LOGIN}/${TENANT}/v2.0/.well-known/openid-configuration`,
        reqHeaders: msal('msal.js.node', '2.16.2', i),
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: OIDC_CONFIG,
        respMime: JSON_MIME,
      };
    case 'instance-discovery':
      return {
        ...base,
        method: 'GET',
        url: `${LOGIN}/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`,
        reqHeaders: msal('MSAL.NetCore', '4.66.1.0', i),
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: JSON.stringify({
          tenant_discovery_endpoint: `${LOGIN}/${TENANT}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [
            {
              preferred_network: 'login.microsoftonline.com',
              preferred_cache: 'login.windows.net',
              aliases: [
                'login.microsoftonline.com',
                'login.windows.net',
                'login.microsoft.com',
                'sts.windows.net',
              ],
            },
          ],
        }),
        respMime: JSON_MIME,
      };
    default:
      // token-alias-host: an unsupported alias (login.windows.net), ADAL-era v1 endpoint.
      return {
        ...base,
        method: 'POST',
        url: `https://login.windows.net/${TENANT}/oauth2/token`,
        reqHeaders: [
          ['x-client-sku', 'PCL.Desktop'],
          ['x-client-ver', '5.2.9.0'],
          ['content-type', FORM],
          ['client-request-id', cid(i)],
        ],
        reqBody: form({
          client_id: NATIVE,
          grant_type: 'refresh_token',
          refresh_token: `0.AXoA${'q'.repeat(300)}`,
          resource: 'https://management.core.windows.net/',
        }),
        reqMime: FORM,
        status: 200,
        respHeaders: RESP_HEADERS,
        respBody: tokenResp(i, NATIVE),
        respMime: JSON_MIME,
      };
  }
}

const FILLER =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. '.repeat(30);

/** Non-Entra traffic a browser HAR holds around sign-ins. */
export function otherSpec(i: number): Spec {
  const base = {
    entra: false,
    reqHeaders: [['user-agent', 'Mozilla/5.0 Chrome/131.0']] as [string, string][],
  };
  switch (i % 3) {
    case 0:
      return {
        ...base,
        kind: 'graph-api',
        method: 'GET',
        url: `https://graph.microsoft.com/v1.0/me/messages?$top=10&n=${i}`,
        reqHeaders: [
          ...base.reqHeaders,
          ['authorization', `Bearer ${fakeJwt({ aud: 'https://graph.microsoft.com', n: i }, 200)}`],
        ],
        status: 200,
        respHeaders: [['content-type', JSON_MIME]],
        respBody: JSON.stringify({ value: [{ id: String(i), subject: FILLER.slice(0, 300) }] }),
        respMime: JSON_MIME,
      };
    case 1:
      return {
        ...base,
        kind: 'cdn-image',
        method: 'GET',
        url: `https://cdn.example.com/img/${i}.png`,
        status: 200,
        respHeaders: [['content-type', 'image/png']],
        respBody: Buffer.from(FILLER.slice(0, 900)).toString('base64'),
        respMime: 'image/png',
        base64: true,
      };
    default:
      return {
        ...base,
        kind: 'html-page',
        method: 'GET',
        url: `https://www.example.com/page/${i}`,
        reqHeaders: [...base.reqHeaders, ['cookie', `session=fake-${i}`]],
        status: 200,
        respHeaders: [['content-type', 'text/html; charset=utf-8']],
        respBody: `<html><body><p>${FILLER.slice(0, 1500)}</p></body></html>`,
        respMime: 'text/html; charset=utf-8',
      };
  }
}

/** The spec as the proxy would snapshot it. */
export function toRawExchange(s: Spec, i: number): RawExchange {
  const u = new URL(s.url);
  const scheme = u.protocol === 'http:' ? 'http' : 'https';
  const requestHeaders: Record<string, string> = { host: u.host };
  for (const [k, v] of s.reqHeaders) requestHeaders[k.toLowerCase()] = v;
  const responseHeaders: Record<string, string> = {};
  for (const [k, v] of s.respHeaders) responseHeaders[k.toLowerCase()] = v;
  const body = (t: string | undefined): RawExchange['requestBody'] =>
    t === undefined ? null : { text: t, size: Buffer.byteLength(t), truncated: false };
  return {
    id: `bench-${i}`,
    startedAt: new Date(Date.UTC(2025, 0, 1) + i * 250).toISOString(),
    durationMs: 20 + (i % 80),
    scheme,
    method: s.method,
    host: u.hostname.toLowerCase(),
    port: u.port ? Number(u.port) : scheme === 'http' ? 80 : 443,
    url: u.pathname + u.search,
    requestHeaders,
    requestBody: body(s.reqBody),
    status: s.status,
    responseHeaders,
    responseBody: body(s.respBody),
    error: null,
    source: 'proxy',
  };
}
