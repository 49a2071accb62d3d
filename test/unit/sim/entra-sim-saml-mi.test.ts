import { deflateRawSync } from 'node:zlib';
import { decodeJwt } from 'jose';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simMapRemote, startEntraSim, type EntraSim } from '../../../sim/entra-sim.js';
import { createSimDirectDispatcher } from '../../../sim/sim-direct.js';
import { autoPost, call } from './sim-test-helpers.js';

const SAML_APP = '5d1f4a2e-0000-4000-8000-0000000000aa';

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

function authnRequest(id: string): string {
  return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="2025-01-01T00:00:00Z" AssertionConsumerServiceURL="https://sp.example.com/acs"><saml:Issuer>https://sp.example.com/metadata</saml:Issuer></samlp:AuthnRequest>`;
}

function samlXml(html: string): string {
  const f = autoPost(html);
  return Buffer.from(f.fields['SAMLResponse'] ?? '', 'base64').toString('utf8');
}

describe('SAML 2.0', () => {
  it('answers a Redirect-binding AuthnRequest with a SAMLResponse whose InResponseTo is the request ID', async () => {
    const req = encodeURIComponent(deflateRawSync(authnRequest('_req42')).toString('base64'));
    const r = await call(d, `${login}/saml2?SAMLRequest=${req}&RelayState=rs1`);
    expect(r.status).toBe(200);
    const f = autoPost(r.text);
    expect(f.action).toBe('https://sp.example.com/acs');
    expect(f.fields['RelayState']).toBe('rs1');
    const xml = samlXml(r.text);
    expect(xml).toMatch(/<samlp:Response [^>]*InResponseTo="_req42"/);
    expect(xml).toMatch(/<SubjectConfirmationData InResponseTo="_req42"/);
    expect(xml).toContain(`https://sts.windows.net/${sim.tenantId}/`);
  });

  it('answers a POST-binding AuthnRequest the same way', async () => {
    const r = await call(d, `${login}/saml2`, {
      form: { SAMLRequest: Buffer.from(authnRequest('_post7')).toString('base64') },
    });
    expect(r.status).toBe(200);
    expect(samlXml(r.text)).toContain('InResponseTo="_post7"');
  });

  it('answers IdP-initiated sign-on without InResponseTo, also via the My Apps launcher', async () => {
    const r = await call(d, `${login}/saml2?idpinit=${SAML_APP}`);
    expect(r.status).toBe(200);
    const xml = samlXml(r.text);
    expect(xml).toContain('<samlp:Response ');
    expect(xml).not.toContain('InResponseTo');

    const l = await call(
      d,
      `https://launcher.myapps.microsoft.com/api/signin/${SAML_APP}?tenantId=${sim.tenantId}`,
    );
    expect(l.status).toBe(302);
    expect(l.headers['location']).toBe(`${login}/saml2?idpinit=${SAML_APP}`);
  });

  it('answers a LogoutRequest with a LogoutResponse', async () => {
    const lr = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_lo1" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp.example.com/metadata</saml:Issuer></samlp:LogoutRequest>`;
    const r = await call(
      d,
      `${login}/saml2?SAMLRequest=${encodeURIComponent(deflateRawSync(lr).toString('base64'))}`,
    );
    expect(samlXml(r.text)).toContain('<samlp:LogoutResponse');
  });

  it.each([
    ['no SAMLRequest', '', 750054],
    [
      'not deflated',
      `?SAMLRequest=${encodeURIComponent(Buffer.from('<x/>').toString('base64'))}`,
      750056,
    ],
    [
      'not an AuthnRequest',
      `?SAMLRequest=${encodeURIComponent(deflateRawSync('<foo ID="1"/>').toString('base64'))}`,
      7500529,
    ],
    ['garbage', '?SAMLRequest=%%%%', 750056],
    ['bad idpinit app', '?idpinit=nope', 700016],
  ])('answers bad SAML input (%s) with 400', async (_n, qs, code) => {
    const r = await call(d, `${login}/saml2${qs}`);
    expect(r.status).toBe(400);
    expect(r.json['error_codes']).toEqual([code]);
  });
});

describe('WS-Federation', () => {
  it('auto-posts a wresult to wreply for wa=wsignin1.0', async () => {
    const r = await call(
      d,
      `${login}/wsfed?wa=wsignin1.0&wtrealm=${encodeURIComponent('urn:contoso:app')}&wreply=${encodeURIComponent('https://rp.example/signin')}&wctx=abc`,
    );
    expect(r.status).toBe(200);
    const f = autoPost(r.text);
    expect(f.action).toBe('https://rp.example/signin');
    expect(f.fields['wa']).toBe('wsignin1.0');
    expect(f.fields['wctx']).toBe('abc');
    expect(f.fields['wresult']).toContain('RequestSecurityTokenResponse');
    const bad = await call(d, `${login}/wsfed`);
    expect(bad.status).toBe(400);
  });
});

describe('managed identity (plain HTTP)', () => {
  const imds =
    'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F';

  it('requires Metadata: true (400 without, as the IMDS probe expects)', async () => {
    const r = await call(d, imds);
    expect(r.status).toBe(400);
    expect(r.json['error']).toBe('invalid_request');
  });

  it('issues system- and user-assigned tokens with string lifetimes', async () => {
    const sys = await call(d, imds, { headers: { metadata: 'true' } });
    expect(sys.status).toBe(200);
    expect(sys.json).toMatchObject({
      token_type: 'Bearer',
      expires_in: '86399',
      resource: 'https://management.azure.com/',
    });
    const claims = decodeJwt(String(sys.json['access_token']));
    expect(claims).toMatchObject({ idtyp: 'app', appidacr: '2', tid: sim.tenantId });
    expect(String(claims['xms_mirid'])).toContain('Microsoft.Compute/virtualMachines');

    const uami = '7e0c0f55-0000-4000-8000-00000000c11d';
    const user = await call(d, `${imds}&client_id=${uami}`, { headers: { metadata: 'true' } });
    expect(user.json['client_id']).toBe(uami);
    expect(String(decodeJwt(String(user.json['access_token']))['xms_mirid'])).toContain(
      'userAssignedIdentities',
    );

    const noRes = await call(
      d,
      'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01',
      { headers: { metadata: 'true' } },
    );
    expect(noRes.status).toBe(400);
  });

  it('serves App Service /MSI/token with X-IDENTITY-HEADER', async () => {
    const url = `${sim.httpUrl}/MSI/token?api-version=2019-08-01&resource=https://vault.azure.net`;
    expect((await call(d, url)).status).toBe(401);
    const r = await call(d, url, { headers: { 'x-identity-header': 'h' } });
    expect(r.status).toBe(200);
    expect(typeof r.json['expires_on']).toBe('string');
  });
});

describe('wiring', () => {
  it('maps the Entra hosts to the HTTPS listener and IMDS to the HTTP one', () => {
    const m = simMapRemote(sim);
    expect(m['login.microsoftonline.com']).toBe(sim.httpsUrl);
    expect(m['graph.microsoft.com']).toBe(sim.httpsUrl);
    expect(m['169.254.169.254']).toBe(sim.httpUrl);
    expect(sim.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('serves the real HTTPS URL with its own CA (Host = 127.0.0.1:port)', async () => {
    const r = await call(d, `${sim.httpsUrl}/common/v2.0/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    expect(String(r.json['token_endpoint'])).toContain('127.0.0.1:');
  });
});
