import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, createLocalJWKSet, decodeJwt, generateKeyPair, jwtVerify } from 'jose';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntraSim, type EntraSim } from '../../../sim/entra-sim.js';
import { createSimDirectDispatcher } from '../../../sim/sim-direct.js';
import { GUID_RE, autoPost, call, locationParams } from './sim-test-helpers.js';

const APP = '5d1f4a2e-0000-4000-8000-000000000001';
const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';

let sim: EntraSim;
let d: Agent;
let login: string;

beforeAll(async () => {
  sim = await startEntraSim();
  d = createSimDirectDispatcher(sim);
  login = `https://login.microsoftonline.com/${sim.tenantId}`;
});

afterAll(async () => {
  await d.close();
  await sim.close();
});

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorizeCode(extra: Record<string, string> = {}): Promise<URLSearchParams> {
  const q = new URLSearchParams({
    client_id: APP,
    response_type: 'code',
    redirect_uri: 'http://localhost:8400/',
    scope: `${GRAPH_DEFAULT} openid profile offline_access`,
    state: 'st-1',
    client_info: '1',
    ...extra,
  });
  const r = await call(d, `${login}/oauth2/v2.0/authorize?${q}`);
  expect(r.status).toBe(302);
  return locationParams(String(r.headers['location']));
}

describe('discovery', () => {
  it('serves the v2 OpenID configuration per Host and tenant, with x-ms-request-id', async () => {
    const r = await call(
      d,
      `https://login.windows.net/${sim.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    expect(r.status).toBe(200);
    expect(r.headers['x-ms-request-id']).toMatch(GUID_RE);
    expect(r.json['token_endpoint']).toBe(
      `https://login.windows.net/${sim.tenantId}/oauth2/v2.0/token`,
    );
    expect(r.json['issuer']).toBe(`https://login.microsoftonline.com/${sim.tenantId}/v2.0`);
    const common = await call(
      d,
      'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    );
    expect(common.json['issuer']).toBe('https://login.microsoftonline.com/{tenantid}/v2.0');
    expect(common.json['authorization_endpoint']).toBe(
      'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    );
  });

  it('serves the v1 OpenID configuration', async () => {
    const r = await call(d, `${login}/.well-known/openid-configuration`);
    expect(r.json['issuer']).toBe(`https://sts.windows.net/${sim.tenantId}/`);
    expect(r.json['userinfo_endpoint']).toBe(`${login}/openid/userinfo`);
  });

  it('answers instance discovery with the public alias group', async () => {
    const r = await call(
      d,
      'https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    );
    expect(r.status).toBe(200);
    const meta = r.json['metadata'] as { aliases: string[] }[];
    expect(meta[0]?.aliases).toEqual(
      expect.arrayContaining([
        'login.microsoftonline.com',
        'login.windows.net',
        'login.microsoft.com',
      ]),
    );
    const bad = await call(
      d,
      'https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://evil.example/x',
    );
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toBe('invalid_instance');
    const missing = await call(d, 'https://login.microsoftonline.com/common/discovery/instance');
    expect(missing.status).toBe(400);
    expect(String(missing.json['error_description'])).toMatch(/^AADSTS900144:/);
  });
});

describe('authorize', () => {
  it('returns an id_token in the fragment, echoing state and nonce, signed by the JWKS key', async () => {
    const q = new URLSearchParams({
      client_id: APP,
      response_type: 'id_token',
      redirect_uri: 'https://spa.example/cb',
      scope: 'openid profile',
      nonce: 'nonce-123',
      state: 'state-9',
      prompt: 'none',
    });
    const r = await call(d, `${login}/oauth2/v2.0/authorize?${q}`);
    expect(r.status).toBe(302);
    const loc = String(r.headers['location']);
    expect(loc.startsWith('https://spa.example/cb#')).toBe(true);
    const p = locationParams(loc);
    expect(p.get('state')).toBe('state-9');
    expect(p.get('code')).toBeNull();
    const keys = await call(d, `${login}/discovery/v2.0/keys`);
    const { payload } = await jwtVerify(
      p.get('id_token') ?? '',
      createLocalJWKSet(keys.json as never),
      {
        audience: APP,
      },
    );
    expect(payload['nonce']).toBe('nonce-123');
    expect(payload['tid']).toBe(sim.tenantId);
    expect(payload['ver']).toBe('2.0');
  });

  it('returns an access token for response_type=token (implicit)', async () => {
    const q = new URLSearchParams({
      client_id: APP,
      response_type: 'id_token token',
      redirect_uri: 'https://spa.example/cb',
      scope: `openid ${GRAPH_DEFAULT}`,
      nonce: 'n',
    });
    const p = locationParams(
      String((await call(d, `${login}/oauth2/v2.0/authorize?${q}`)).headers['location']),
    );
    expect(p.get('token_type')).toBe('Bearer');
    expect(decodeJwt(p.get('access_token') ?? '')['appid']).toBe(APP);
    expect(p.get('id_token')).not.toBeNull();
  });

  it('answers form_post with an auto-post form', async () => {
    const q = new URLSearchParams({
      client_id: APP,
      response_type: 'code id_token',
      response_mode: 'form_post',
      redirect_uri: 'https://web.example/signin-oidc',
      scope: 'openid',
      nonce: 'n2',
      state: 's2',
    });
    const r = await call(d, `${login}/oauth2/v2.0/authorize?${q}`);
    expect(r.status).toBe(200);
    const f = autoPost(r.text);
    expect(f.action).toBe('https://web.example/signin-oidc');
    expect(f.fields['state']).toBe('s2');
    expect(f.fields['code']).toBeTruthy();
    expect(decodeJwt(f.fields['id_token'] ?? '')['nonce']).toBe('n2');
  });

  it('refuses requests without client_id or redirect_uri with a 400 AADSTS error', async () => {
    const r = await call(d, `${login}/oauth2/v2.0/authorize?response_type=code`);
    expect(r.status).toBe(400);
    expect(String(r.json['error_description'])).toMatch(/^AADSTS900144:/);
    const r2 = await call(d, `${login}/oauth2/v2.0/authorize?response_type=code&client_id=${APP}`);
    expect(r2.status).toBe(400);
    expect(r2.json['error_codes']).toEqual([500113]);
  });
});

describe('token endpoint', () => {
  it('redeems an auth code with PKCE (S256) and refuses a wrong verifier or a reused code', async () => {
    const { verifier, challenge } = pkce();
    const p = await authorizeCode({ code_challenge: challenge, code_challenge_method: 'S256' });
    const code = p.get('code') ?? '';
    expect(p.get('state')).toBe('st-1');
    expect(p.get('client_info')).toBeTruthy();
    const form = {
      client_id: APP,
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://localhost:8400/',
      scope: `${GRAPH_DEFAULT} openid profile offline_access`,
      client_info: '1',
    };
    const wrong = await call(d, `${login}/oauth2/v2.0/token`, {
      form: { ...form, code_verifier: 'nope' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json['error_codes']).toEqual([501481]);

    const p2 = await authorizeCode({ code_challenge: challenge, code_challenge_method: 'S256' });
    const ok = await call(d, `${login}/oauth2/v2.0/token`, {
      form: { ...form, code: p2.get('code') ?? '', code_verifier: verifier },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    expect(ok.json['refresh_token']).toBeTruthy();
    expect(ok.json['client_info']).toBeTruthy();
    const at = decodeJwt(String(ok.json['access_token']));
    expect(at).toMatchObject({
      appid: APP,
      appidacr: '0',
      tid: sim.tenantId,
      ver: '1.0',
      idtyp: 'user',
    });
    expect(at['scp']).toBeTruthy();

    const reused = await call(d, `${login}/oauth2/v2.0/token`, {
      form: { ...form, code: p2.get('code') ?? '', code_verifier: verifier },
    });
    expect(reused.status).toBe(400);
    expect(reused.json['error']).toBe('invalid_grant');

    const refreshed = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'refresh_token',
        refresh_token: String(ok.json['refresh_token']),
        scope: GRAPH_DEFAULT,
      },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json['refresh_token']).not.toBe(ok.json['refresh_token']);
  });

  it('issues app-only tokens for client credentials: secret (1), certificate (2), federated (2)', async () => {
    const secret = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'client_credentials',
        scope: GRAPH_DEFAULT,
        client_secret: 's3cret',
      },
    });
    expect(secret.status).toBe(200);
    expect(secret.json['refresh_token']).toBeUndefined();
    expect(decodeJwt(String(secret.json['access_token']))).toMatchObject({
      idtyp: 'app',
      appidacr: '1',
      appid: APP,
    });

    const { privateKey } = await generateKeyPair('RS256');
    const certAssertion = await new SignJWT({ jti: 'x' })
      .setProtectedHeader({ alg: 'RS256', x5t: 'abc' })
      .setIssuer(APP)
      .setSubject(APP)
      .setAudience(`${login}/oauth2/v2.0/token`)
      .setExpirationTime('10m')
      .sign(privateKey);
    const cert = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'client_credentials',
        scope: 'api://orders-api/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: certAssertion,
      },
    });
    expect(cert.status).toBe(200);
    expect(decodeJwt(String(cert.json['access_token']))).toMatchObject({
      azpacr: '2',
      azp: APP,
      ver: '2.0',
      aud: 'api://orders-api',
    });

    const none = await call(d, `${login}/oauth2/v2.0/token`, {
      form: { client_id: APP, grant_type: 'client_credentials', scope: GRAPH_DEFAULT },
    });
    expect(none.status).toBe(401);
    expect(none.json['error_codes']).toEqual([7000218]);
    const badScope = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'client_credentials',
        scope: 'User.Read',
        client_secret: 'x',
      },
    });
    expect(badScope.status).toBe(400);
  });

  it('accepts the password grant and refuses a wrong password', async () => {
    const form = {
      client_id: APP,
      grant_type: 'password',
      scope: `${GRAPH_DEFAULT} openid offline_access`,
      username: 'bob@contoso.example',
      password: 'pw',
    };
    const ok = await call(d, `${login}/oauth2/v2.0/token`, { form });
    expect(ok.status).toBe(200);
    expect(decodeJwt(String(ok.json['id_token']))['preferred_username']).toBe(
      'bob@contoso.example',
    );
    const bad = await call(d, `${login}/oauth2/v2.0/token`, {
      form: { ...form, password: 'wrong-password' },
    });
    expect(bad.json['error_codes']).toEqual([50126]);
  });

  it.each(['urn:ietf:params:oauth:grant-type:device_code', 'device_code'])(
    'runs the device code flow (%s): pending first, then tokens',
    async (grant) => {
      const dc = await call(d, `${login}/oauth2/v2.0/devicecode`, {
        form: { client_id: APP, scope: `${GRAPH_DEFAULT} offline_access` },
      });
      expect(dc.status).toBe(200);
      expect(dc.json).toMatchObject({
        verification_uri: 'https://microsoft.com/devicelogin',
        interval: 1,
      });
      const form = {
        client_id: APP,
        grant_type: grant,
        device_code: String(dc.json['device_code']),
      };
      const first = await call(d, `${login}/oauth2/v2.0/token`, { form });
      expect(first.status).toBe(400);
      expect(first.json['error']).toBe('authorization_pending');
      const second = await call(d, `${login}/oauth2/v2.0/token`, { form });
      expect(second.status).toBe(200);
      expect(second.json['access_token']).toBeTruthy();
    },
  );

  it('runs on-behalf-of and the SAML bearer grant', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const incoming = await new SignJWT({
      preferred_username: 'carol@contoso.example',
      scp: 'access_as_user',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience(APP)
      .setExpirationTime('10m')
      .sign(privateKey);
    const obo = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        client_secret: 'x',
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        assertion: incoming,
        scope: GRAPH_DEFAULT,
      },
    });
    expect(obo.status).toBe(200);
    expect(decodeJwt(String(obo.json['access_token']))).toMatchObject({
      appidacr: '1',
      upn: 'carol@contoso.example',
    });

    const assertion = Buffer.from(
      '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Subject><saml:NameID>dan@contoso.example</saml:NameID></saml:Subject></saml:Assertion>',
    ).toString('base64');
    const saml = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer',
        assertion,
        scope: GRAPH_DEFAULT,
      },
    });
    expect(saml.status).toBe(200);
  });

  it('serves the v1 token endpoint with string lifetimes', async () => {
    const r = await call(d, `${login}/oauth2/token`, {
      form: {
        client_id: APP,
        grant_type: 'client_credentials',
        resource: 'https://management.azure.com/',
        client_secret: 'x',
      },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ expires_in: '3599', resource: 'https://management.azure.com/' });
  });

  it('answers CORS preflights and adds Access-Control-Allow-Origin for SPA redemptions', async () => {
    const pre = await call(d, `${login}/oauth2/v2.0/token`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://spa.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-methods']).toContain('POST');

    const { verifier, challenge } = pkce();
    const p = await authorizeCode({
      redirect_uri: 'https://spa.example/',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const r = await call(d, `${login}/oauth2/v2.0/token`, {
      headers: { origin: 'https://spa.example' },
      form: {
        client_id: APP,
        grant_type: 'authorization_code',
        code: p.get('code') ?? '',
        code_verifier: verifier,
        redirect_uri: 'https://spa.example/',
        scope: `${GRAPH_DEFAULT} offline_access`,
      },
    });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.json['refresh_token_expires_in']).toBe(86399);
    // a SPA refresh token cannot be redeemed without an Origin
    const noOrigin = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'refresh_token',
        refresh_token: String(r.json['refresh_token']),
      },
    });
    expect(noOrigin.status).toBe(400);
  });

  it.each([
    ['GET instead of POST', { method: 'GET' as const }, 900561],
    ['no grant_type', { form: { client_id: APP } }, 900144],
    ['unsupported grant', { form: { client_id: APP, grant_type: 'magic', scope: 'x' } }, 70003],
    [
      'non-GUID client',
      { form: { client_id: 'not-a-guid', grant_type: 'password', scope: 'x' } },
      700016,
    ],
    [
      'garbage assertion',
      {
        form: {
          client_id: APP,
          grant_type: 'client_credentials',
          scope: GRAPH_DEFAULT,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: '%%%',
        },
      },
      50027,
    ],
    [
      'unknown refresh token',
      { form: { client_id: APP, grant_type: 'refresh_token', refresh_token: 'zzz' } },
      9002313,
    ],
    [
      'JSON body',
      { body: '{"grant_type":"password"}', headers: { 'content-type': 'application/json' } },
      900144,
    ],
  ])('answers bad input (%s) with an AADSTS error, not a crash', async (_name, opts, code) => {
    const r = await call(d, `${login}/oauth2/v2.0/token`, opts);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.json['error_codes']).toEqual([code]);
    expect(String(r.json['error_description'])).toMatch(new RegExp(`^AADSTS${code}:`));
    expect(r.json['trace_id']).toBe(r.headers['x-ms-request-id']);
  });

  it('refuses an oversized body with 413 and keeps serving', async () => {
    const r = await call(d, `${login}/oauth2/v2.0/token`, {
      body: 'a='.padEnd(2 * 1024 * 1024, 'x'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }).catch(() => null);
    if (r !== null) expect(r.status).toBe(413);
    const after = await call(d, `${login}/v2.0/.well-known/openid-configuration`);
    expect(after.status).toBe(200);
  });
});

describe('userinfo and logout', () => {
  it('serves Graph /oidc/userinfo and v1 /openid/userinfo for a sim token, 401 otherwise', async () => {
    const tok = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'password',
        scope: 'openid',
        username: 'erin@contoso.example',
        password: 'p',
      },
    });
    const at = String(tok.json['access_token']);
    const ui = await call(d, 'https://graph.microsoft.com/oidc/userinfo', {
      headers: { authorization: `Bearer ${at}` },
    });
    expect(ui.status).toBe(200);
    expect(ui.json['email']).toBe('erin@contoso.example');
    const v1 = await call(d, `${login}/openid/userinfo`, {
      headers: { authorization: `Bearer ${at}` },
    });
    expect(v1.status).toBe(200);
    const none = await call(d, 'https://graph.microsoft.com/oidc/userinfo');
    expect(none.status).toBe(401);
  });

  it('redirects logout to post_logout_redirect_uri', async () => {
    const r = await call(
      d,
      `${login}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('https://app.example/bye')}&state=z`,
    );
    expect(r.status).toBe(302);
    expect(r.headers['location']).toBe('https://app.example/bye?state=z');
  });

  it('answers unknown paths with 404', async () => {
    const r = await call(d, `${login}/no/such/thing`);
    expect(r.status).toBe(404);
  });
});

describe('per host and protocol version', () => {
  it('issues US Government tokens on login.microsoftonline.us', async () => {
    const r = await call(d, `https://login.microsoftonline.us/${sim.tenantId}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'client_credentials',
        scope: 'api://gov-api/.default',
        client_secret: 'x',
      },
    });
    expect(decodeJwt(String(r.json['access_token']))['iss']).toBe(
      `https://login.microsoftonline.us/${sim.tenantId}/v2.0`,
    );
  });

  it('serves B2C policy paths on *.b2clogin.com', async () => {
    const r = await call(
      d,
      'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/v2.0/.well-known/openid-configuration',
    );
    expect(r.status).toBe(200);
    expect(String(r.json['token_endpoint'])).toMatch(/^https:\/\/contoso\.b2clogin\.com\//);
  });

  it('serves v1 authorize with resource= and a v1 id_token', async () => {
    const q = new URLSearchParams({
      client_id: APP,
      response_type: 'code id_token',
      redirect_uri: 'https://web.example/',
      resource: 'https://management.azure.com/',
      nonce: 'n1',
    });
    const p = locationParams(
      String((await call(d, `${login}/oauth2/authorize?${q}`)).headers['location']),
    );
    expect(decodeJwt(p.get('id_token') ?? '')).toMatchObject({ ver: '1.0', nonce: 'n1' });
    const t = await call(d, `${login}/oauth2/token`, {
      form: {
        client_id: APP,
        grant_type: 'authorization_code',
        code: p.get('code') ?? '',
        redirect_uri: 'https://web.example/',
        client_secret: 'x',
      },
    });
    expect(t.status).toBe(200);
    expect(t.json['resource']).toBe('https://management.azure.com/');
    expect(decodeJwt(String(t.json['access_token']))).toMatchObject({
      aud: 'https://management.azure.com',
      appidacr: '1',
    });
  });

  it('accepts PKCE with the plain method', async () => {
    const p = await authorizeCode({ code_challenge: 'plain-verifier-0123456789-0123456789-0123' });
    const r = await call(d, `${login}/oauth2/v2.0/token`, {
      form: {
        client_id: APP,
        grant_type: 'authorization_code',
        code: p.get('code') ?? '',
        code_verifier: 'plain-verifier-0123456789-0123456789-0123',
        redirect_uri: 'http://localhost:8400/',
      },
    });
    expect(r.status).toBe(200);
  });
});
