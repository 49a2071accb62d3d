import { connect } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntraSim, type EntraSim } from '../../../sim/entra-sim.js';
import type { SimContext } from '../../../sim/sim-context.js';
import type { SimRequest } from '../../../sim/sim-http.js';
import { routeHttp, routeHttps } from '../../../sim/sim-router.js';
import { createSimState } from '../../../sim/sim-state.js';
import { createTokenIssuer } from '../../../sim/sim-tokens.js';

const TENANT = '0f0f0f0f-1111-4222-8333-444444444444';
let ctx: SimContext;

beforeAll(async () => {
  ctx = { tenantId: TENANT, tokens: await createTokenIssuer(), state: createSimState() };
});

function simReq(o: {
  method: string;
  host: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  headers: Record<string, string>;
}): SimRequest {
  return {
    method: o.method,
    host: o.host,
    path: o.path,
    query: new URLSearchParams(o.query),
    form: new URLSearchParams(o.form),
    bodyText: new URLSearchParams(o.form).toString(),
    header: (n) => o.headers[n.toLowerCase()],
    requestId: '00000000-0000-4000-8000-000000000000',
  };
}

const PATHS = [
  `/${TENANT}/oauth2/v2.0/authorize`,
  '/common/oauth2/authorize',
  `/${TENANT}/oauth2/v2.0/token`,
  '/organizations/oauth2/token',
  '/common/oauth2/v2.0/devicecode',
  '/common/oauth2/devicecode',
  `/${TENANT}/saml2`,
  '/contoso.onmicrosoft.com/wsfed',
  '/common/discovery/instance',
  '/common/v2.0/.well-known/openid-configuration',
  '/contoso.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/token',
  '/common/openid/userinfo',
  '/oidc/userinfo',
  '/api/signin/x',
  '/',
  '//',
];
const NAMES = [
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'grant_type',
  'code',
  'code_verifier',
  'refresh_token',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'assertion',
  'requested_token_use',
  'device_code',
  'SAMLRequest',
  'RelayState',
  'wa',
  'wtrealm',
  'wreply',
  'idpinit',
  'resource',
  'username',
  'password',
  'response_mode',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'authorization_endpoint',
  'login_hint',
  'post_logout_redirect_uri',
];
const value = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'a1b2c3d4-0000-4000-8000-000000000001',
    'code',
    'id_token token',
    'form_post',
    'https://x.example/cb',
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'password',
    'device_code',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
    'urn:ietf:params:oauth:grant-type:saml2-bearer',
    'on_behalf_of',
    'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    'wsignin1.0',
    'S256',
    'openid offline_access https://graph.microsoft.com/.default',
    'eyJhbGciOiJub25lIn0.e30.',
    deflateRawSync('<samlp:AuthnRequest ID="x"/>').toString('base64'),
    '',
    '%',
    '\u0000',
  ),
);
const params = fc.dictionary(fc.constantFrom(...NAMES), value, { maxKeys: 10 });

describe('the sim never fails on bad input', () => {
  it('answers any parameters on any endpoint with a 2xx-4xx status (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.constantFrom(
          'login.microsoftonline.com',
          'login.windows.net',
          'graph.microsoft.com',
          'launcher.myapps.microsoft.com',
          'contoso.b2clogin.com',
          '127.0.0.1:1',
        ),
        fc.constantFrom(...PATHS),
        params,
        params,
        fc.dictionary(
          fc.constantFrom('origin', 'authorization', 'metadata', 'x-identity-header'),
          fc.string(),
          { maxKeys: 3 },
        ),
        async (method, host, path, query, form, headers) => {
          const r = await routeHttps(ctx, simReq({ method, host, path, query, form, headers }));
          expect(r.status).toBeGreaterThanOrEqual(200);
          expect(r.status).toBeLessThan(500);
          const m = await routeHttp(
            ctx,
            simReq({ method, host, path: '/metadata/identity/oauth2/token', query, form, headers }),
          );
          expect(m.status).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('the sim survives malformed HTTP', () => {
  let sim: EntraSim;
  beforeAll(async () => {
    sim = await startEntraSim();
  });
  afterAll(async () => {
    await sim.close();
  });

  function raw(text: string): Promise<string> {
    const u = new URL(sim.httpUrl);
    return new Promise((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => s.write(text));
      s.setTimeout(1000, () => s.destroy());
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString('latin1')));
      s.on('close', () => resolve(out));
      s.on('error', () => resolve(out));
    });
  }

  it.each([
    'GARBAGE\r\n\r\n',
    'GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET //%zz/../ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'POST /MSI/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nab',
  ])('and keeps serving after %j', async (text) => {
    const answer = await raw(text);
    expect(answer).not.toMatch(/^HTTP\/1\.1 5\d\d/);
    const ok = await raw(
      'GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\nConnection: close\r\n\r\n',
    );
    expect(ok).toMatch(/^HTTP\/1\.1 200/);
  });
});
