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

  it('redactHeaders keeps the allow-list only', () => {
    const out = redactHeaders({
      'x-client-sku': 'MSAL.Python',
      origin: 'https://a',
      cookie: 'c',
      'x-random': 'r',
      metadata: 'true',
    });
    expect(out).toEqual({ 'x-client-sku': 'MSAL.Python', origin: 'https://a', metadata: 'true' });
  });
});
