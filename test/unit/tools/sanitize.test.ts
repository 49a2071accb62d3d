/**
 * The fixture sanitizer (tools/sanitize.ts), table-driven over factory-built exchanges: every
 * planted secret is gone, the classification is the same before and after, JWT claims still
 * decode, SAML keeps its binding and its InResponseTo/Issuer/Audience/Destination, and (property)
 * random secrets planted anywhere never survive when passed in `secrets`.
 */
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import type { ExchangeRecord, RawExchange } from '../../../src/core/types.js';
import { SANITIZED_JWT_SIGNATURE, sanitizeRawExchange } from '../../../tools/sanitize.js';
import {
  authnRequestXml,
  autoPostHtml,
  fakeJwt,
  logoutRequestXml,
  makeRawExchange,
  type RawExchangeOverrides,
  samlPostParam,
  samlRedirectParam,
  samlResponseXml,
} from '../../helpers/raw-exchange.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CID = 'c0ffee00-0000-4000-8000-000000000001';
const USER = 'alice.planted@contoso.example';
const USER_OID = '5eed0000-1111-4222-8333-444455556666';

/** A user access token as Entra issues it (v1), with personal claims and a junk signature. */
const userAccessToken = fakeJwt(
  { typ: 'JWT', alg: 'RS256', x5t: 'kid-1', kid: 'kid-1' },
  {
    aud: '00000003-0000-0000-c000-000000000000',
    iss: `https://sts.windows.net/${TENANT}/`,
    tid: TENANT,
    appid: CID,
    appidacr: '0',
    ver: '1.0',
    idtyp: 'user',
    scp: 'User.Read Mail.Read',
    name: 'Alice Planted',
    given_name: 'Alice',
    family_name: 'Planted',
    upn: USER,
    unique_name: USER,
    oid: USER_OID,
    sub: 'pairwise-sub-planted-7f3a',
    ipaddr: '203.0.113.77',
  },
);
const idToken = fakeJwt(
  { typ: 'JWT', alg: 'RS256', kid: 'kid-1' },
  {
    aud: CID,
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    tid: TENANT,
    ver: '2.0',
    preferred_username: USER,
    name: 'Alice Planted',
    oid: USER_OID,
    sub: 'pairwise-sub-planted-7f3a',
    nonce: 'nonce-planted-1234',
  },
);
const appAccessToken = fakeJwt(
  { typ: 'JWT', alg: 'RS256', x5t: 'kid-1' },
  {
    aud: 'https://vault.azure.net',
    iss: `https://sts.windows.net/${TENANT}/`,
    tid: TENANT,
    appid: CID,
    appidacr: '2',
    ver: '1.0',
    idtyp: 'app',
    roles: ['Secrets.Read'],
    xms_mirid: '/subscriptions/0/resourcegroups/rg/providers/Microsoft.ManagedIdentity/x',
    oid: 'a11a0000-0000-4000-8000-000000000001',
    sub: 'a11a0000-0000-4000-8000-000000000001',
  },
);
const certAssertion = fakeJwt(
  { alg: 'PS256', typ: 'JWT', 'x5t#S256': 'thumb-planted' },
  { aud: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`, iss: CID, sub: CID },
);
const federatedAssertion = fakeJwt(
  { alg: 'RS256', typ: 'JWT', kid: 'gh' },
  {
    iss: 'https://token.actions.githubusercontent.com',
    sub: 'repo:contoso/orders:environment:prod',
    aud: 'api://AzureADTokenExchange',
  },
);
const clientInfo = Buffer.from(JSON.stringify({ uid: USER_OID, utid: TENANT })).toString(
  'base64url',
);

const SIGNATURE_BLOCK =
  '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:Reference URI="#_as1"><ds:DigestValue>PLANTEDDIGEST0000==</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>PLANTEDSIGNATUREVALUE0000==</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>PLANTEDCERTIFICATE0000</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>';

/** A SAML Response with an enveloped signature and an attribute, as Entra sends one. */
function signedResponse(inResponseTo?: string): string {
  return samlResponseXml({
    nameId: USER,
    destination: 'https://hr.contoso.example/saml/acs',
    ...(inResponseTo !== undefined ? { inResponseTo } : {}),
  })
    .replace('<Subject>', `${SIGNATURE_BLOCK}<Subject>`)
    .replace(
      '</Conditions>',
      '</Conditions><AttributeStatement><Attribute Name="mail"><AttributeValue>alice.attr@contoso.example</AttributeValue></Attribute></AttributeStatement>',
    );
}

const WSFED_RSTR =
  '<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:RequestedSecurityToken><saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="_x" Issuer="https://sts.windows.net/t/" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"><saml:AttributeStatement><saml:Subject><saml:NameIdentifier>alice.wsfed@contoso.example</saml:NameIdentifier></saml:Subject></saml:AttributeStatement></saml:Assertion></t:RequestedSecurityToken></t:RequestSecurityTokenResponse>';

interface Case {
  readonly name: string;
  readonly raw: RawExchange;
  /** Values that must not survive sanitizing, even without `secrets`. */
  readonly planted: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'ROPC with a client secret, token response with JWTs and an opaque refresh token',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      requestHeaders: { 'x-client-sku': 'MSAL.Desktop', 'x-client-ver': '4.60.0' },
      form: {
        grant_type: 'password',
        client_id: CID,
        username: USER,
        password: 'Pl4nted P@ss+word&=!',
        client_secret: 'planted~client~secret',
        scope: 'openid profile User.Read',
      },
      responseJson: {
        token_type: 'Bearer',
        access_token: userAccessToken,
        id_token: idToken,
        refresh_token: '1.AXkAplanted/refresh+token==',
        client_info: clientInfo,
      },
      responseHeaders: {
        'set-cookie':
          'fpc=AplantedFpcCookie; path=/; secure; HttpOnly\nesctx=planted-esctx-value; path=/',
      },
    }),
    planted: [
      USER,
      USER_OID,
      'Pl4nted P@ss+word&=!',
      'planted~client~secret',
      '1.AXkAplanted/refresh+token==',
      userAccessToken,
      idToken,
      'Alice Planted',
      'pairwise-sub-planted-7f3a',
      '203.0.113.77',
      'AplantedFpcCookie',
      'planted-esctx-value',
    ],
  },
  {
    name: 'client credentials with HTTP Basic client authentication',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      requestHeaders: {
        authorization: `Basic ${Buffer.from(`${CID}:planted-basic-secret`).toString('base64')}`,
      },
      form: { grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' },
      responseJson: { token_type: 'Bearer', access_token: appAccessToken },
    }),
    planted: [
      'planted-basic-secret',
      Buffer.from(`${CID}:planted-basic-secret`).toString('base64'),
      appAccessToken,
    ],
  },
  {
    name: 'client credentials with a certificate assertion',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      form: {
        grant_type: 'client_credentials',
        client_id: CID,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: certAssertion,
        scope: 'https://graph.microsoft.com/.default',
      },
    }),
    planted: [certAssertion],
  },
  {
    name: 'client credentials with a federated assertion (no client_id: from the assertion)',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      form: {
        grant_type: 'client_credentials',
        client_id: CID,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: federatedAssertion,
        scope: 'api://orders/.default',
      },
    }),
    planted: [federatedAssertion],
  },
  {
    name: 'native auth code + PKCE redemption',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      requestHeaders: {
        'x-client-sku': 'MSAL.Desktop',
        cookie: 'ESTSAUTH=planted-estsauth-c00kie',
      },
      form: {
        grant_type: 'authorization_code',
        client_id: CID,
        code: '0.AQABplanted-auth-code_xyz',
        code_verifier: 'planted-code-verifier-0123456789abcdef',
        redirect_uri: 'http://localhost:53100/',
        scope: 'User.Read offline_access',
      },
    }),
    planted: [
      '0.AQABplanted-auth-code_xyz',
      'planted-code-verifier-0123456789abcdef',
      'planted-estsauth-c00kie',
    ],
  },
  {
    name: 'SPA authorize answered with a code in the Location fragment',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TENANT}/oauth2/v2.0/authorize`,
      query: {
        client_id: CID,
        response_type: 'code',
        redirect_uri: 'https://spa.contoso.example/',
        response_mode: 'fragment',
        code_challenge: 'abc',
        code_challenge_method: 'S256',
        login_hint: USER,
        'x-client-SKU': 'msal.js.browser',
      },
      status: 302,
      responseHeaders: {
        location: `https://spa.contoso.example/#code=planted-location-code-0AQ&client_info=${clientInfo}&state=st&session_state=planted-session-state`,
      },
    }),
    planted: [USER, 'planted-location-code-0AQ', USER_OID, 'planted-session-state'],
  },
  {
    name: 'implicit grant answered with tokens in the Location fragment',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TENANT}/oauth2/v2.0/authorize`,
      query: {
        client_id: CID,
        response_type: 'id_token token',
        redirect_uri: 'https://spa.contoso.example/',
        scope: 'openid User.Read',
        nonce: 'n',
        prompt: 'none',
      },
      status: 302,
      responseHeaders: {
        location: `https://spa.contoso.example/#access_token=${userAccessToken}&id_token=${idToken}&state=s`,
      },
    }),
    planted: [userAccessToken, idToken],
  },
  {
    name: 'hybrid form_post answered with an auto-post form (code and id_token)',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TENANT}/oauth2/authorize`,
      query: {
        client_id: CID,
        response_type: 'code id_token',
        response_mode: 'form_post',
        redirect_uri: 'https://web.contoso.example/signin-oidc',
        scope: 'openid',
      },
      responseHtml: autoPostHtml('https://web.contoso.example/signin-oidc', {
        code: 'planted-hybrid-code-0AQAB',
        id_token: idToken,
        state: 'st',
      }),
    }),
    planted: ['planted-hybrid-code-0AQAB', idToken, USER],
  },
  {
    name: 'device code request (user code repeated in the message)',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/devicecode`,
      form: { client_id: CID, scope: 'User.Read' },
      responseJson: {
        user_code: 'PLNTD4321',
        device_code: 'DAQABplanted-device-code',
        message: 'To sign in, open https://microsoft.com/devicelogin and enter the code PLNTD4321.',
      },
    }),
    planted: ['PLNTD4321', 'DAQABplanted-device-code'],
  },
  {
    name: 'device code poll',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      form: {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: CID,
        device_code: 'DAQABplanted-device-code',
      },
      status: 400,
      responseJson: { error: 'authorization_pending', error_codes: [70016] },
    }),
    planted: ['DAQABplanted-device-code'],
  },
  {
    name: 'silent refresh with MSAL telemetry',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      requestHeaders: {
        'x-client-sku': 'MSAL.Desktop',
        'x-client-current-telemetry': '5|1007,0,,,|,',
      },
      form: {
        grant_type: 'refresh_token',
        client_id: CID,
        refresh_token: '1.AXkAplanted-silent-refresh',
        scope: 'User.Read',
      },
    }),
    planted: ['1.AXkAplanted-silent-refresh'],
  },
  {
    name: 'on-behalf-of with the caller token as assertion',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      form: {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        client_id: CID,
        client_secret: 'planted-obo-secret',
        assertion: userAccessToken,
        scope: 'https://graph.microsoft.com/.default',
      },
    }),
    planted: ['planted-obo-secret', userAccessToken, USER],
  },
  {
    name: 'client secret in a JSON request body',
    raw: makeRawExchange({
      url: `/${TENANT}/oauth2/v2.0/token`,
      json: {
        grant_type: 'client_credentials',
        client_id: CID,
        client_secret: 'planted-json-secret',
        scope: 'https://graph.microsoft.com/.default',
      },
    }),
    planted: ['planted-json-secret'],
  },
  {
    name: 'SAML SP-initiated: Redirect AuthnRequest, signed response posted back',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TENANT}/saml2`,
      query: { SAMLRequest: samlRedirectParam(authnRequestXml()), RelayState: '/home' },
      responseHtml: autoPostHtml('https://hr.contoso.example/saml/acs', {
        SAMLResponse: samlPostParam(signedResponse('_a1b2c3d4e5')),
        RelayState: '/home',
      }),
    }),
    planted: [
      USER,
      'alice.attr@contoso.example',
      'PLANTEDSIGNATUREVALUE0000==',
      'PLANTEDDIGEST0000==',
      'PLANTEDCERTIFICATE0000',
      samlPostParam(signedResponse('_a1b2c3d4e5')),
    ],
  },
  {
    name: 'SAML IdP-initiated: unsolicited signed response',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TENANT}/saml2`,
      query: { idpinit: CID },
      responseHtml: autoPostHtml('https://hr.contoso.example/saml/acs', {
        SAMLResponse: samlPostParam(signedResponse()),
      }),
    }),
    planted: [USER, 'PLANTEDSIGNATUREVALUE0000==', samlPostParam(signedResponse())],
  },
  {
    name: 'SAML POST-binding AuthnRequest',
    raw: makeRawExchange({
      url: `/${TENANT}/saml2`,
      form: { SAMLRequest: samlPostParam(authnRequestXml({ id: '_post1' })), RelayState: 'r' },
    }),
    planted: [],
  },
  {
    name: 'SAML Redirect-binding LogoutRequest naming the user',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TENANT}/saml2`,
      query: { SAMLRequest: samlRedirectParam(logoutRequestXml()) },
    }),
    planted: ['alice@contoso.example'],
  },
  {
    name: 'WS-Fed sign-in answered with a wresult',
    raw: makeRawExchange({
      method: 'GET',
      url: `/${TENANT}/wsfed`,
      query: { wa: 'wsignin1.0', wtrealm: 'https://intranet.contoso.example/' },
      responseHtml: autoPostHtml('https://intranet.contoso.example/', {
        wa: 'wsignin1.0',
        wresult: WSFED_RSTR,
      }),
    }),
    planted: ['alice.wsfed@contoso.example', WSFED_RSTR],
  },
  {
    name: 'managed identity on IMDS (user-assigned)',
    raw: makeRawExchange({
      method: 'GET',
      scheme: 'http',
      host: '169.254.169.254',
      port: 80,
      url: '/metadata/identity/oauth2/token',
      query: { 'api-version': '2018-02-01', resource: 'https://vault.azure.net', client_id: CID },
      requestHeaders: { metadata: 'true' },
      responseJson: { access_token: appAccessToken, client_id: CID, token_type: 'Bearer' },
    }),
    planted: [appAccessToken],
  },
  {
    name: 'managed identity on App Service (X-IDENTITY-HEADER)',
    raw: makeRawExchange({
      method: 'GET',
      scheme: 'http',
      host: 'localhost',
      port: 8081,
      url: '/msi/token',
      query: { 'api-version': '2019-08-01', resource: 'https://vault.azure.net' },
      requestHeaders: { 'x-identity-header': 'planted-identity-header-value' },
      responseJson: { access_token: appAccessToken, token_type: 'Bearer' },
    }),
    planted: ['planted-identity-header-value', appAccessToken],
  },
  {
    name: 'legacy App Service managed identity (secret header)',
    raw: makeRawExchange({
      method: 'GET',
      scheme: 'http',
      host: 'localhost',
      port: 8081,
      url: '/msi/token',
      query: { 'api-version': '2017-09-01', resource: 'https://vault.azure.net' },
      requestHeaders: { secret: 'planted-legacy-msi-secret' },
    }),
    planted: ['planted-legacy-msi-secret'],
  },
  {
    name: 'Graph UserInfo with a bearer token',
    raw: makeRawExchange({
      method: 'GET',
      host: 'graph.microsoft.com',
      url: '/oidc/userinfo',
      requestHeaders: { authorization: `Bearer ${userAccessToken}` },
      responseJson: {
        sub: 'pairwise-sub-planted-7f3a',
        name: 'Alice Planted',
        email: USER,
        given_name: 'Alice',
      },
    }),
    planted: [userAccessToken, USER, 'Alice Planted', 'pairwise-sub-planted-7f3a'],
  },
];

/** The forms a value takes in our text and in a JSON file. */
function forms(s: string): string[] {
  return [
    s,
    encodeURIComponent(s),
    new URLSearchParams({ a: s }).toString().slice(2),
    JSON.stringify(s).slice(1, -1),
    JSON.stringify(JSON.stringify(s).slice(1, -1)).slice(1, -1),
  ];
}

/** Every string of an exchange (header names too). */
function strings(x: RawExchange): string[] {
  const out: string[] = [x.id, x.startedAt, x.method, x.host, x.url];
  for (const h of [x.requestHeaders, x.responseHeaders])
    for (const [k, v] of Object.entries(h)) out.push(k, v);
  if (x.requestBody) out.push(x.requestBody.text);
  if (x.responseBody) out.push(x.responseBody.text);
  if (x.error) out.push(x.error.message);
  return out;
}

/** The text of an exchange as a fixture file holds it, plus every string decoded once. */
function fixtureText(x: RawExchange): string {
  const decoded = strings(x).map((s) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  });
  return `${JSON.stringify(x)}\n${decoded.join('\n')}`;
}

const PRINTABLE = /^[\t\n\r\x20-\x7e]{8,}$/;

function printable(b: Buffer | null): string | null {
  if (b === null) return null;
  const t = b.toString('utf8');
  return PRINTABLE.test(t) ? t : null;
}

/**
 * fixtureText plus everything base64 inside it decoded (JWT headers and payloads, client_info,
 * SAML messages, inflated when deflated) and HTML entities decoded: where a planted personal value
 * could still hide.
 */
function deepText(x: RawExchange): string {
  const base = fixtureText(x);
  const html = base
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  const extra: string[] = [html];
  for (const [b64] of base.matchAll(/[A-Za-z0-9+/_-]{12,}={0,2}/g)) {
    const buf = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    let inflated: Buffer | null = null;
    try {
      inflated = inflateRawSync(buf);
    } catch {
      // not deflated
    }
    for (const t of [printable(buf), printable(inflated)]) if (t !== null) extra.push(t);
  }
  return `${base}\n${extra.join('\n')}`;
}

/** Every SAML message of an exchange, decoded (as its binding says). */
function samlMessages(x: RawExchange): string[] {
  const out: string[] = [];
  const url = new URL(`https://h${x.url}`);
  const q = url.searchParams.get('SAMLRequest') ?? url.searchParams.get('SAMLResponse');
  if (q !== null) out.push(inflateRawSync(Buffer.from(q, 'base64')).toString('utf8'));
  const form = x.requestBody ? new URLSearchParams(x.requestBody.text) : null;
  const posted = form?.get('SAMLRequest') ?? form?.get('SAMLResponse') ?? null;
  if (posted !== null) out.push(Buffer.from(posted, 'base64').toString('utf8'));
  const html = x.responseBody?.text ?? '';
  for (const m of html.matchAll(/name="SAML(?:Request|Response)" value="([^"]*)"/g))
    out.push(Buffer.from(m[1] ?? '', 'base64').toString('utf8'));
  return out;
}

const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

const STABLE = [
  'verdict',
  'endpoint',
  'protocol',
  'grantType',
  'pkce',
  'appType',
  'clientType',
  'clientCredential',
  'samlInitiation',
  'clientId',
  'tenant',
  'scopes',
  'library',
  'interaction',
  'managedIdentity',
] as const;

function stable(r: ExchangeRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { reasons: r.reasons.map((x) => x.code) };
  for (const k of STABLE) out[k] = r[k];
  return out;
}

describe('sanitizeRawExchange: table of flows', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: planted secrets gone', (_n, c) => {
    const before = deepText(c.raw);
    const text = deepText(sanitizeRawExchange(c.raw));
    for (const p of c.planted) {
      expect(
        forms(p).some((f) => before.includes(f)),
        `not planted: ${p}`,
      ).toBe(true);
      for (const f of forms(p)) expect(text).not.toContain(f);
    }
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: classification unchanged', (_n, c) => {
    const before = classifyExchange(c.raw);
    const after = classifyExchange(sanitizeRawExchange(c.raw));
    expect(before.reasons.some((r) => r.code === 'unparseable')).toBe(false);
    expect(stable(after)).toEqual(stable(before));
    // The evidence keeps the same shape of facts (claims, SAML facts), fingerprints aside.
    expect(Object.keys(after.evidence.claims)).toEqual(Object.keys(before.evidence.claims));
    const saml = (r: ExchangeRecord): unknown =>
      r.evidence.saml === null ? null : { ...r.evidence.saml, fingerprint: '' };
    expect(saml(after)).toEqual(saml(before));
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: JWTs decode, junk-signed', (_n, c) => {
    const text = strings(sanitizeRawExchange(c.raw)).join('\n');
    for (const [jwt] of text.matchAll(JWT)) {
      expect(jwt.split('.')[2]).toBe(SANITIZED_JWT_SIGNATURE);
      const claims = decodeJwt(jwt);
      expect(decodeProtectedHeader(jwt).alg).toBeDefined();
      for (const k of ['name', 'upn', 'unique_name', 'preferred_username', 'email', 'oid']) {
        if (claims[k] !== undefined) expect(String(claims[k])).toMatch(/sanitized|beef|Sanitized/);
      }
    }
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: idempotent', (_n, c) => {
    const once = sanitizeRawExchange(c.raw);
    expect(sanitizeRawExchange(once)).toEqual(once);
  });
});

describe('sanitizeRawExchange: what survives', () => {
  it('keeps the non-personal claims of a JWT and fakes the personal ones', () => {
    const out = sanitizeRawExchange(CASES[0]!.raw);
    const body = JSON.parse(out.responseBody!.text) as Record<string, string>;
    const at = decodeJwt(body['access_token']!);
    const before = decodeJwt(userAccessToken);
    for (const k of ['aud', 'iss', 'tid', 'appid', 'appidacr', 'ver', 'idtyp', 'scp'])
      expect(at[k], k).toEqual(before[k]);
    expect(decodeProtectedHeader(body['access_token']!)).toEqual(
      decodeProtectedHeader(userAccessToken),
    );
    expect(at['upn']).not.toBe(USER);
    expect(at['oid']).not.toBe(USER_OID);
    expect(at['sub']).not.toBe('pairwise-sub-planted-7f3a');
    expect(body['refresh_token']).toBe('REDACTED-refresh_token-1');
    const ci = JSON.parse(Buffer.from(body['client_info']!, 'base64url').toString()) as {
      uid: string;
      utid: string;
    };
    expect(ci.utid).toBe(TENANT);
    expect(ci.uid).not.toBe(USER_OID);
  });

  it('keeps sub in a client assertion (the client id or the workload subject)', () => {
    for (const [i, a] of [
      [2, certAssertion],
      [3, federatedAssertion],
    ] as const) {
      const out = sanitizeRawExchange(CASES[i]!.raw);
      const sent = new URLSearchParams(out.requestBody!.text).get('client_assertion')!;
      expect(decodeJwt(sent)['sub']).toBe(decodeJwt(a)['sub']);
      expect(decodeProtectedHeader(sent)).toEqual(decodeProtectedHeader(a));
    }
  });

  it('replaces opaque secrets by shaped placeholders and keeps the Basic user', () => {
    const form = new URLSearchParams(sanitizeRawExchange(CASES[4]!.raw).requestBody!.text);
    expect(form.get('code')).toBe('REDACTED-code-1');
    expect(form.get('code_verifier')).toBe('REDACTED-code_verifier-1');
    const basic = sanitizeRawExchange(CASES[1]!.raw).requestHeaders['authorization']!;
    expect(Buffer.from(basic.slice(6), 'base64').toString()).toBe(
      `${CID}:REDACTED-client_secret-1`,
    );
  });

  it('re-encodes SAML in the binding it came in, keeping what initiation and identity need', () => {
    const sp = sanitizeRawExchange(CASES[13]!.raw);
    const [request, response] = samlMessages(sp);
    expect(request).toContain('ID="_a1b2c3d4e5"');
    expect(request).toContain('<saml:Issuer>https://sp.example.com/metadata</saml:Issuer>');
    expect(response).toContain('InResponseTo="_a1b2c3d4e5"');
    expect(response).toContain('Destination="https://hr.contoso.example/saml/acs"');
    expect(response).toContain('<Audience>https://sp.example.com/metadata</Audience>');
    expect(response).toContain('<Issuer>https://sts.windows.net/');
    expect(response).not.toContain(USER);
    const posted = samlMessages(sanitizeRawExchange(CASES[15]!.raw));
    expect(posted[0]).toContain('ID="_post1"');
    const idp = samlMessages(sanitizeRawExchange(CASES[14]!.raw));
    expect(idp[0]).not.toContain('InResponseTo');
  });

  it('replaces every given secret anywhere (header names, url path, plain text bodies)', () => {
    const s = 'given-secret-Zq81';
    const raw = makeRawExchange({
      // `resource` is a known-safe name: only the last pass can catch the secret in it (an unknown
      // name would be replaced by its own placeholder first, see the redactor's rule below).
      url: `/${s}/oauth2/v2.0/token?resource=${s}`,
      requestHeaders: { 'user-agent': `agent ${s}`, [`x-${s}`]: 'v' },
      requestBody: { text: `free text ${s} here`, size: 30, truncated: true },
      error: { code: 'proxy-error', message: `failed for ${s}` },
    });
    const out = sanitizeRawExchange(raw, { secrets: [s] });
    expect(strings(out).join('\n')).not.toContain(s);
    expect(out.url).toBe('/REDACTED-secret-1/oauth2/v2.0/token?resource=REDACTED-secret-1');
    expect(out.requestBody?.truncated).toBe(true);
  });

  it('applies the redactor rule: unknown names and challenges lose their values (issue 16)', () => {
    // No `secrets` given: only the name-based rule can catch these.
    const jwt = fakeJwt({ alg: 'RS256' }, { aud: 'x' });
    const raw = makeRawExchange({
      url: '/common/oauth2/v2.0/token?x-foo=hidden-query-Zq81&haschrome=1',
      form: { grant_type: 'client_credentials', client_id: CID, my_blob: 'hidden-form-Zq82' },
      requestHeaders: { 'x-client-secret': 'hidden-header-Zq83', 'x-foo': 'hidden-header-Zq84' },
      responseHeaders: {
        'www-authenticate': `Bearer realm="", error="invalid_token", error_description="bad ${jwt}"`,
        'x-my-token': 'hidden-response-Zq85',
      },
    });
    const out = sanitizeRawExchange(raw);
    const text = strings(out).join('\n');
    for (const hidden of ['Zq81', 'Zq82', 'Zq83', 'Zq84', 'Zq85', jwt])
      expect(text).not.toContain(hidden);
    expect(out.url).toContain('haschrome=1');
    expect(out.responseHeaders['www-authenticate']).toMatch(
      /^Bearer error="invalid_token", error_description="bad \[redacted sha256:[0-9a-f]{8}\]"$/,
    );
    expect(classifyExchange(out).grantType).toBe('client_credentials');
  });

  it('never throws on garbage and still drops the given secrets', () => {
    const s = 'garbage-secret-77';
    const inputs: unknown[] = [
      null,
      undefined,
      42,
      'text',
      [],
      { url: 42, requestHeaders: null, requestBody: { text: 7 } },
      { url: `/x?code=${s}`, requestHeaders: { a: s, b: null }, responseBody: 'nope' },
      makeRawExchange({ url: `/?SAMLRequest=%%%${s}`, form: { SAMLResponse: `***${s}` } }),
      makeRawExchange({ json: { nested: { deep: [s, { code: s }] } } }),
      makeRawExchange({
        responseHtml: `<form action="/?code=${s}"><input name="code" value='${s}`,
      }),
      makeRawExchange({
        responseBody: { text: `{"access_token":"${s}`, size: 99, truncated: true },
      }),
    ];
    for (const input of inputs) {
      const out = sanitizeRawExchange(input as RawExchange, { secrets: [s] });
      expect(strings(out).join('\n')).not.toContain(s);
    }
  });
});

const SECRET_CHARS = [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  ...'-_.~+/=%&?#:;, "\'<>@!*()',
];
const secretArb = fc.string({
  unit: fc.constantFrom(...SECRET_CHARS),
  minLength: 8,
  maxLength: 40,
});

type Place = (s: string) => RawExchangeOverrides;

/** Where a secret can sit in an exchange, each as the wire would carry it. */
const PLACES: readonly Place[] = [
  (s) => ({ query: { x: s } }),
  (s) => ({ query: { state: s } }),
  (s) => ({ form: { client_secret: s, grant_type: 'client_credentials' } }),
  (s) => ({ form: { anything: s } }),
  (s) => ({ json: { value: s, nested: [{ code: s }] } }),
  (s) => ({ requestHeaders: { 'x-custom': s } }),
  (s) => ({ requestHeaders: { cookie: `a=${s}` } }),
  (s) => ({ requestHeaders: { authorization: `Bearer ${s}` } }),
  (s) => ({
    responseHeaders: { location: `https://app.example/#id_token=${encodeURIComponent(s)}` },
  }),
  (s) => ({ responseHeaders: { 'set-cookie': `b=${s}; path=/` } }),
  (s) => ({ responseJson: { message: `here: ${s}`, refresh_token: s } }),
  (s) => ({ responseHtml: autoPostHtml('https://app.example/', { RelayState: s, code: s }) }),
  (s) => ({ url: `/common/${encodeURIComponent(s)}/oauth2/v2.0/token` }),
  (s) => ({ error: { code: 'proxy-error', message: s } }),
];

const garbageText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .array(
      fc.constantFrom(
        'eyJ',
        '.',
        '&',
        '=',
        '%',
        '<input name="code" value="',
        '"',
        'SAMLResponse=',
      ),
      { maxLength: 12 },
    )
    .map((p) => p.join('')),
);

describe('sanitizeRawExchange: property', () => {
  it('never throws, whatever comes in, and drops the given secret', () => {
    const s = 'prop-secret-0042';
    fc.assert(
      fc.property(fc.anything(), garbageText, garbageText, garbageText, (anything, a, b, c) => {
        expect(() => sanitizeRawExchange(anything as RawExchange)).not.toThrow();
        const raw = makeRawExchange({
          url: `/${a}?${b}=${s}`,
          requestHeaders: { [a.length > 0 ? a : 'x']: `${b}${s}`, authorization: c },
          requestBody: { text: `${a}${s}${b}`, size: 3, truncated: false },
          responseHtml: `<form><input name="${a}" value="${s}${c}"></form>`,
        });
        const out = sanitizeRawExchange(raw, { secrets: [s] });
        for (const text of strings(out)) expect(text).not.toContain(s);
      }),
      { numRuns: 300 },
    );
  });

  it('random secrets planted in random places never survive when passed in `secrets`', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(secretArb, fc.nat(PLACES.length - 1)), { minLength: 1, maxLength: 5 }),
        (planted) => {
          let overrides: RawExchangeOverrides = {};
          for (const [s, i] of planted) {
            const add = PLACES[i]!(s);
            overrides = {
              ...overrides,
              ...add,
              requestHeaders: { ...overrides.requestHeaders, ...add.requestHeaders },
              responseHeaders: { ...overrides.responseHeaders, ...add.responseHeaders },
            };
          }
          const raw = makeRawExchange(overrides);
          const secrets = planted.map(([s]) => s);
          const out = sanitizeRawExchange(raw, { secrets });
          const all = strings(out);
          for (const s of secrets) {
            const variants = [
              s,
              encodeURIComponent(s),
              new URLSearchParams({ a: s }).toString().slice(2),
              JSON.stringify(s).slice(1, -1),
            ];
            for (const text of all) for (const v of variants) expect(text).not.toContain(v);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
