/**
 * SAML 2.0 and WS-Federation flows as a browser performs them, through the proxy: IdP-initiated
 * sign-on from the My Apps launcher, SP-initiated sign-on with a Redirect-binding AuthnRequest, and
 * a WS-Fed passive sign-in.
 */
import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { fetchText, getLocation } from './flow-net.js';
import { FLOW_CLIENT_IDS as IDS, authorityOf, type FlowEnv, type FlowSpec } from './flow-types.js';
import { BROWSER_HEADERS } from './flows-browser.js';
import { viaProxy } from './flows-public.js';
import { idpInitEntityId } from './sim-saml.js';

const SP_ENTITY = 'https://hr.contoso.example/saml/metadata';
const SP_ACS = 'https://hr.contoso.example/saml/acs';
const WSFED_REALM = 'https://intranet.contoso.example/';

/** The SAMLResponse of an auto-post page, decoded. */
function samlResponseOf(html: string): string {
  const v = /name="SAMLResponse" value="([^"]*)"/.exec(html)?.[1];
  if (v === undefined) throw new Error('flow failed: no SAMLResponse in the page');
  return Buffer.from(v, 'base64').toString('utf8');
}

function authnRequest(env: FlowEnv, id: string): string {
  return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${authorityOf(env)}/saml2" AssertionConsumerServiceURL="${SP_ACS}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>${SP_ENTITY}</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"/></samlp:AuthnRequest>`;
}

export const FEDERATION_FLOWS: readonly FlowSpec[] = [
  {
    id: 'saml-idp-initiated',
    title: 'SAML IdP-initiated sign-on (My Apps launcher -> /saml2, response without InResponseTo)',
    expect: [
      {
        endpoint: 'saml2',
        grantType: null,
        verdict: 'covered',
        reasons: ['saml-idp-initiated'],
        // The report names a SAML app by its entity ID (the assertion's Audience).
        clientId: idpInitEntityId(IDS.samlApp),
        appType: 'web',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const next = await getLocation(
          d,
          `https://launcher.myapps.microsoft.com/api/signin/${IDS.samlApp}?tenantId=${env.sim.tenantId}`,
          { ...BROWSER_HEADERS },
        );
        const page = await fetchText(d, next, {
          headers: { ...BROWSER_HEADERS, referer: 'https://myapps.microsoft.com/' },
        });
        if (samlResponseOf(page.text).includes('InResponseTo'))
          throw new Error('flow failed: unsolicited response has InResponseTo');
      }),
  },
  {
    id: 'saml-sp-initiated',
    title: 'SAML SP-initiated sign-on (Redirect-binding AuthnRequest)',
    expect: [
      {
        endpoint: 'saml2',
        grantType: null,
        verdict: 'not-covered',
        reasons: ['saml-sp-initiated'],
        // The report names a SAML app by its entity ID (the AuthnRequest's Issuer).
        clientId: SP_ENTITY,
        appType: 'web',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const id = `_${randomUUID()}`;
        const q = new URLSearchParams({
          SAMLRequest: deflateRawSync(Buffer.from(authnRequest(env, id), 'utf8')).toString(
            'base64',
          ),
          RelayState: '/dashboard',
        });
        const page = await fetchText(d, `${authorityOf(env)}/saml2?${q.toString()}`, {
          headers: { ...BROWSER_HEADERS, referer: 'https://hr.contoso.example/' },
        });
        if (!samlResponseOf(page.text).includes(`InResponseTo="${id}"`))
          throw new Error('flow failed: InResponseTo missing');
      }),
  },
  {
    id: 'wsfed',
    title: 'WS-Federation passive sign-in (wa=wsignin1.0)',
    expect: [
      {
        endpoint: 'wsfed',
        grantType: null,
        verdict: 'unknown',
        reasons: ['wsfed'],
        // A WS-Fed app is known by its realm (wtrealm).
        clientId: WSFED_REALM,
        appType: 'web',
      },
    ],
    run: (env) =>
      viaProxy(env, async (d) => {
        const q = new URLSearchParams({
          wa: 'wsignin1.0',
          wtrealm: WSFED_REALM,
          wreply: 'https://intranet.contoso.example/signin-wsfed',
          wctx: randomUUID(),
        });
        const page = await fetchText(d, `${authorityOf(env)}/wsfed?${q.toString()}`, {
          headers: { ...BROWSER_HEADERS },
        });
        if (!page.text.includes('name="wresult"')) throw new Error('flow failed: no wresult');
      }),
  },
];
