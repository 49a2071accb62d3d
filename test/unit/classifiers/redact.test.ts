import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import { fingerprint, redactHeaders, redactParams } from '../../../src/classifiers/redact.js';
import type { RawExchange } from '../../../src/core/types.js';
import {
  authnRequestXml,
  autoPostHtml,
  fakeJwt,
  makeRawExchange,
  samlPostParam,
  samlRedirectParam,
  samlResponseXml,
} from '../../helpers/raw-exchange.js';

const TID = '11111111-2222-3333-4444-555555555555';
const CLIENT = '0a1b2c3d-0000-4000-8000-00000000c1e7';

/** A unique marker per field; each must be absent from the serialized record. */
const S = (name: string): string => `SECRET-${name}-7f3a9c`;

/** A JWT whose every part carries a planted marker (claims and signature). */
function plantedJwt(name: string): string {
  return fakeJwt(
    { alg: 'RS256', typ: 'JWT', x5t: 'thumb' },
    {
      aud: 'api://x',
      tid: TID,
      appid: CLIENT,
      name: S(`${name}-name`),
      upn: S(`${name}-upn`),
      email: S(`${name}-email`),
      oid: S(`${name}-oid`),
      nonce: S(`${name}-nonce`),
    },
  ).replace(/\.[^.]*$/, `.${Buffer.from(S(`${name}-sig`)).toString('base64url')}`);
}

function serialized(raw: RawExchange): string {
  return JSON.stringify(classifyExchange(raw));
}

function expectNoSecret(json: string): void {
  const m = json.match(/SECRET-[A-Za-z0-9_-]+-7f3a9c/g);
  expect(m).toBeNull();
  // No JWT (planted secrets inside are base64url) and no SAML message survives whole.
  expect(json).not.toContain('eyJ');
  expect(json).not.toMatch(/PHNhbWxw|PD94bWw/);
}

describe('redaction: planted secrets never reach the record', () => {
  it('token request and response (every secret-bearing field)', () => {
    const raw = makeRawExchange({
      form: {
        grant_type: 'authorization_code',
        client_id: CLIENT,
        client_secret: S('client_secret'),
        code: S('code'),
        code_verifier: S('code_verifier'),
        password: S('password'),
        username: S('username'),
        refresh_token: S('refresh_token'),
        client_assertion: plantedJwt('client_assertion'),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        assertion: plantedJwt('assertion'),
        request: plantedJwt('request'),
        device_code: S('device_code'),
        user_code: S('user_code'),
        spa_code: S('spa_code'),
        my_session_blob: S('session'),
        some_api_key: S('key'),
        x_unknown_token: S('unknown_token'),
        mystery: `eyJ${S('jwt_shaped')}.eyJhIjoxfQ.sig`,
        login_hint: S('login_hint'),
        scope: 'openid offline_access',
      },
      requestHeaders: {
        authorization: `Basic ${Buffer.from(`${CLIENT}:${S('basic')}`).toString('base64')}`,
        'proxy-authorization': `Bearer ${S('proxy_auth')}`,
        cookie: `ESTSAUTH=${S('cookie')}`,
        'x-anchormailbox': `UPN:${S('anchor')}`,
        'x-client-sku': 'MSAL.NetCore',
      },
      responseHeaders: { 'set-cookie': `fpc=${S('set_cookie')}`, 'x-ms-request-id': 'rid-1' },
      responseJson: {
        access_token: plantedJwt('access_token'),
        id_token: plantedJwt('id_token'),
        refresh_token: S('resp_refresh_token'),
        spa_code: S('resp_spa_code'),
        client_info: Buffer.from(JSON.stringify({ uid: S('uid'), utid: TID })).toString(
          'base64url',
        ),
      },
    });
    const json = serialized(raw);
    expectNoSecret(json);
    const rec = classifyExchange(raw);
    expect(rec.evidence.form['client_secret']).toMatch(/^\[redacted sha256:[0-9a-f]{8}\]$/);
    expect(rec.evidence.requestHeaders['authorization']).toMatch(
      /^Basic \[redacted sha256:[0-9a-f]{8}\]$/,
    );
    expect(rec.evidence.requestHeaders).not.toHaveProperty('cookie');
    expect(rec.evidence.responseHeaders['x-ms-request-id']).toBe('rid-1');
    expect(rec.evidence.claims['access_token']).toMatchObject({
      aud: 'api://x',
      tid: TID,
      appid: CLIENT,
    });
  });

  it('authorize redirect: code, tokens and state in the Location fragment', () => {
    const raw = makeRawExchange({
      method: 'GET',
      url: `/${TID}/oauth2/v2.0/authorize`,
      query: {
        client_id: CLIENT,
        response_type: 'id_token token',
        scope: 'openid',
        nonce: 'n',
        redirect_uri: 'https://spa.example.com/',
        id_token_hint: plantedJwt('hint'),
      },
      status: 302,
      responseHeaders: {
        location: `https://spa.example.com/#access_token=${plantedJwt('frag_at')}&id_token=${plantedJwt('frag_id')}&code=${S('frag_code')}`,
        'set-cookie': `x=${S('c2')}`,
      },
    });
    expectNoSecret(serialized(raw));
  });

  it('SAML messages (request, response, RelayState kept) and WS-Fed wresult', () => {
    const req = makeRawExchange({
      method: 'GET',
      url: `/${TID}/saml2`,
      query: {
        SAMLRequest: samlRedirectParam(authnRequestXml({ id: S('authn_id') })),
        Signature: S('sig'),
        RelayState: 'rs',
      },
    });
    expectNoSecret(serialized(req));
    const resp = makeRawExchange({
      url: '/common/login',
      form: {
        login: S('login'),
        passwd: S('passwd'),
        flowToken: S('flow'),
        canary: S('canary'),
        ctx: S('ctx'),
      },
      responseHtml: autoPostHtml('https://sp.example.com/acs', {
        SAMLResponse: samlPostParam(samlResponseXml({ nameId: S('nameid'), inResponseTo: 'x' })),
      }),
    });
    expectNoSecret(serialized(resp));
    const wsfed = makeRawExchange({
      url: `/${TID}/wsfed`,
      form: { wa: 'wsignin1.0', wresult: S('wresult'), wtrealm: 'https://rp.example.com/' },
    });
    expectNoSecret(serialized(wsfed));
  });

  it('managed identity secrets (X-IDENTITY-HEADER, secret, Arc Basic key)', () => {
    for (const raw of [
      makeRawExchange({
        scheme: 'http',
        method: 'GET',
        host: 'localhost',
        port: 4141,
        url: '/MSI/token?resource=https://vault.azure.net&api-version=2019-08-01',
        requestHeaders: { 'x-identity-header': S('identity_header') },
        responseJson: { access_token: plantedJwt('mi_at') },
      }),
      makeRawExchange({
        method: 'GET',
        host: 'localhost',
        port: 2377,
        url: '/metadata/identity/oauth2/token?resource=x',
        requestHeaders: { secret: S('sf_secret') },
      }),
      makeRawExchange({
        scheme: 'http',
        method: 'GET',
        host: 'localhost',
        port: 40342,
        url: '/metadata/identity/oauth2/token?resource=x',
        requestHeaders: { metadata: 'true', authorization: `Basic ${S('arc_key')}` },
      }),
    ]) {
      expectNoSecret(serialized(raw));
    }
  });

  it('a failed classification keeps no secret either', () => {
    const raw = {
      ...makeRawExchange({
        form: { password: S('pw') },
        requestHeaders: { authorization: `Bearer ${S('bearer')}` },
      }),
      host: null,
    } as unknown as RawExchange;
    expectNoSecret(serialized(raw));
  });
});

describe('redaction helpers', () => {
  it('fingerprint is sha256: + 8 hex', () => {
    // sha256("abc") = ba7816bf...
    expect(fingerprint('abc')).toBe('sha256:ba7816bf');
  });

  it('redactParams keeps non-secret parameters and the __proto__ name safe', () => {
    const params = JSON.parse(
      '{"grant_type":"refresh_token","scope":"openid","code_challenge":"c","__proto__":"x","client_secret":"s"}',
    ) as Record<string, string>;
    const out = redactParams(params);
    expect(out['grant_type']).toBe('refresh_token');
    expect(out['scope']).toBe('openid');
    expect(out['code_challenge']).toBe('c');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out['client_secret']).toMatch(/^\[redacted/);
  });

  it('redactHeaders keeps the allow-list, fingerprints unknown names, drops cookies', () => {
    const out = redactHeaders({
      'x-client-sku': 'MSAL.Python',
      origin: 'https://a',
      cookie: 'c',
      'x-random': 'r',
      metadata: 'true',
    });
    expect(out).toEqual({
      'x-client-sku': 'MSAL.Python',
      origin: 'https://a',
      metadata: 'true',
      'x-random': `[redacted ${fingerprint('r')}]`,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 16 item 1: one rule for every kept value. A value is kept only when its name is on a
// known-safe list or the value is shown to be non-secret; kept text is scrubbed of token-looking
// substrings; challenges keep their schemes and error fields only.
// ---------------------------------------------------------------------------------------------

/** A planted secret with a token's shape (a long alphanumeric stretch), for the shape checks. */
const T = (name: string): string => `${S(name)}-0d1e2f3a4b5c6d7e`;

const JWT = fakeJwt({ alg: 'RS256', typ: 'JWT' }, { aud: 'api://x', upn: S('jwt-upn') });
const FP = /^\[redacted sha256:[0-9a-f]{8}\]$/;
const TRACE =
  'Trace ID: 0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70 Correlation ID: 5f2c1a9e-3b4d-4e6f-8a7b-9c0d1e2f3a4b Timestamp: 2026-12-06 07:05:13Z';
const AADSTS50076 = `AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'. ${TRACE}`;

/** [header name, value, expected kept value: a string, a pattern, or undefined (dropped)] */
const HEADER_CASES: [string, string, string | RegExp | undefined][] = [
  // The MSAL library and telemetry family, correlation ids, content type: kept as they are.
  ['x-client-SKU', 'MSAL.NetCore', 'MSAL.NetCore'],
  ['x-client-VER', '4.66.1.0', '4.66.1.0'],
  ['x-client-OS', 'Microsoft Windows NT 10.0.19045.0', 'Microsoft Windows NT 10.0.19045.0'],
  ['x-client-CPU', 'x64', 'x64'],
  ['x-client-current-telemetry', '5|1007,3,,,|0,1,1,,', '5|1007,3,,,|0,1,1,,'],
  ['x-client-last-telemetry', '5|0|||0,0', '5|0|||0,0'],
  ['x-ms-lib-capability', 'retry-after, h429', 'retry-after, h429'],
  ['content-type', 'application/json; charset=utf-8', 'application/json; charset=utf-8'],
  [
    'client-request-id',
    '6b7792a9-aa2b-493f-95ac-0b6c8aa48532',
    '6b7792a9-aa2b-493f-95ac-0b6c8aa48532',
  ],
  [
    'x-ms-request-id',
    'dd244633-6779-465c-967b-f53aa39a6d92',
    'dd244633-6779-465c-967b-f53aa39a6d92',
  ],
  [
    'user-agent',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36',
  ],
  // ...but a secret inside a kept value is fingerprinted.
  ['user-agent', `agent/1.0 ${JWT}`, /^agent\/1\.0 \[redacted sha256:[0-9a-f]{8}\]$/],
  ['x-client-SKU', T('sku'), FP],
  ['x-client-VER', JWT, FP],
  // Unexpected names: the name stays, the value is a fingerprint.
  ['x-client-secret', S('x-client-secret'), FP],
  ['x-client-assertion', 'abc', FP],
  ['x-my-token', S('x-my-token'), FP],
  ['x-api-key', S('x-api-key'), FP],
  ['x-foo', S('x-foo'), FP],
  ['x-foo', 'plain words, no digits at all', FP],
  ['X-Functions-Key', 'k', FP],
  ['x-ms-refreshtokencredential', S('prt'), FP],
  // ...unless the value is shown to be non-secret.
  ['x-foo', '1', '1'],
  ['x-foo', 'true', 'true'],
  ['x-ms-pkeyauth', '1.0', '1.0'],
  // Credentials: fingerprinted, the Authorization scheme visible.
  ['authorization', `Bearer ${S('bearer')}`, /^Bearer \[redacted sha256:[0-9a-f]{8}\]$/],
  ['x-identity-header', S('identity'), FP],
  ['metadata', 'true', 'true'],
  ['metadata', S('metadata'), FP],
  // Dropped: cookies, URLs carrying codes, transport headers.
  ['cookie', `ESTSAUTH=${S('cookie')}`, undefined],
  ['set-cookie', `fpc=${S('set-cookie')}`, undefined],
  ['location', `https://app/#code=${S('location')}`, undefined],
  ['referer', `https://app/?code=${S('referer')}`, undefined],
  ['sec-fetch-mode', 'navigate', undefined],
  // Challenges: schemes, error and error_description only; the description scrubbed.
  [
    'www-authenticate',
    `Bearer realm="", error="invalid_token", error_description="The access token ${JWT} has expired"`,
    /^Bearer error="invalid_token", error_description="The access token \[redacted sha256:[0-9a-f]{8}\] has expired"$/,
  ],
  [
    'www-authenticate',
    `Bearer realm="", error="invalid_token", error_description="${T('desc')}"`,
    /^Bearer error="invalid_token", error_description="\[redacted sha256:[0-9a-f]{8}\]"$/,
  ],
  [
    'www-authenticate',
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
    'Bearer',
  ],
  [
    'www-authenticate',
    `Bearer realm="", error="insufficient_claims", claims="${Buffer.from('{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}').toString('base64')}"`,
    'Bearer error="insufficient_claims"',
  ],
  [
    'www-authenticate',
    `Bearer error=invalid_token, error_description="${AADSTS50076}"`,
    `Bearer error="invalid_token", error_description="${AADSTS50076}"`,
  ],
  ['www-authenticate', `Basic realm="${S('realm')}"`, 'Basic'],
  ['www-authenticate', `Negotiate ${Buffer.from(S('spnego')).toString('base64')}`, 'Negotiate'],
  [
    'www-authenticate',
    `PoP nonce="${S('nonce')}", Bearer error="x", Basic realm="r"`,
    'PoP, Bearer error="x", Basic',
  ],
  [
    'www-authenticate',
    `Bearer error_description="quote \\" ${T('escaped')}"`,
    /^Bearer error_description="quote \\" \[redacted sha256:[0-9a-f]{8}\]"$/,
  ],
  ['proxy-authenticate', `Basic realm="${S('proxy-realm')}"`, 'Basic'],
  ['www-authenticate', `="${S('garbage')}`, FP],
  ['www-authenticate', JWT, FP],
];

describe('the redactor rule: headers (issue 16)', () => {
  it.each(HEADER_CASES)('%s: %s', (name, value, expected) => {
    const out = redactHeaders({ [name]: value });
    const kept = out[name.toLowerCase()];
    if (expected === undefined) expect(out).toEqual({});
    else if (typeof expected === 'string') expect(kept).toBe(expected);
    else expect(kept).toMatch(expected);
    expect(JSON.stringify(out)).not.toMatch(/SECRET-[A-Za-z0-9_-]+-7f3a9c|eyJ/);
  });

  it('a header name that is itself a secret is fingerprinted', () => {
    const out = redactHeaders({ [`x-${S('name')}`]: '1', [`x-${JWT}`]: 'v' });
    expect(JSON.stringify(out)).not.toMatch(/SECRET-|eyJ/);
    expect(Object.keys(out)).toHaveLength(2);
  });
});

/** [param name, value, expected kept value] */
const PARAM_CASES: [string, string, string | RegExp][] = [
  ['client_id', CLIENT, CLIENT],
  [
    'scope',
    'https://graph.microsoft.com/.default openid offline_access',
    'https://graph.microsoft.com/.default openid offline_access',
  ],
  ['redirect_uri', 'http://localhost:53100/', 'http://localhost:53100/'],
  [
    'resource',
    'api://7bd5f248-03e2-4573-8374-c2a229a7c5ec',
    'api://7bd5f248-03e2-4573-8374-c2a229a7c5ec',
  ],
  [
    'code_challenge',
    'OJUA_Ymc9DlspzOGBemiBH9R76MLaZ9z1shkGqM0DEI',
    'OJUA_Ymc9DlspzOGBemiBH9R76MLaZ9z1shkGqM0DEI',
  ],
  [
    'state',
    'eyJpZCI6IjAxOTNmIiwibWV0YSI6eyJpbnRlcmFjdGlvblR5cGUiOiJyZWRpcmVjdCJ9fQ',
    'eyJpZCI6IjAxOTNmIiwibWV0YSI6eyJpbnRlcmFjdGlvblR5cGUiOiJyZWRpcmVjdCJ9fQ',
  ],
  ['x-client-SKU', 'MSAL.Python', 'MSAL.Python'],
  [
    'client-request-id',
    '70ea9d3c-be89-4c39-bfae-3ebb11e83520',
    '70ea9d3c-be89-4c39-bfae-3ebb11e83520',
  ],
  ['haschrome', '1', '1'],
  ['error', 'invalid_grant', 'invalid_grant'],
  ['error_description', AADSTS50076, AADSTS50076],
  [
    'error_description',
    `AADSTS9002313: Invalid request. Token ${JWT} is malformed. ${TRACE}`,
    /^AADSTS9002313: Invalid request\. Token \[redacted sha256:[0-9a-f]{8}\] is malformed\. Trace ID: /,
  ],
  ['client_secret', S('client_secret'), FP],
  ['x-foo', S('x-foo'), FP],
  ['my_blob', 'no digits but unknown', FP],
  ['x_api_key', S('key'), FP],
  ['sid', 'f3e1c2b4-0000-4000-8000-00000000abcd', FP],
  ['login_hint', 'alice@contoso.example', FP],
  ['unknown_flag', 'true', 'true'],
  ['scope', T('in-scope'), FP],
];

describe('the redactor rule: parameters (issue 16)', () => {
  it.each(PARAM_CASES)('%s: %s', (name, value, expected) => {
    const out = redactParams({ [name]: value });
    if (typeof expected === 'string') expect(out[name]).toBe(expected);
    else expect(out[name]).toMatch(expected);
    expect(JSON.stringify(out)).not.toMatch(/SECRET-[A-Za-z0-9_-]+-7f3a9c/);
  });

  it('a parameter name that is itself a token (a bare JWT body) is fingerprinted', () => {
    const out = redactParams({ [JWT]: '' });
    expect(JSON.stringify(out)).not.toContain('eyJ');
  });
});

describe('the redactor rule: the record (issue 16)', () => {
  it('an OAuth error carried in the response keeps no secret', () => {
    const raw = makeRawExchange({
      status: 400,
      responseJson: { error: T('error-field'), error_description: `bad ${T('description')}` },
    });
    const rec = classifyExchange(raw);
    expect(rec.evidence.responseError).toMatch(FP);
    expectNoSecret(serialized(raw));
    const coded = classifyExchange(
      makeRawExchange({
        status: 400,
        responseJson: { error: 'invalid_client', error_codes: [7000215] },
      }),
    );
    expect(coded.evidence.responseError).toBe('AADSTS7000215');
  });
});
