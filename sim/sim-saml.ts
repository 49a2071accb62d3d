/**
 * SAML 2.0 and WS-Federation on the simulated Entra ID.
 *
 * - SP-initiated: `GET /{tenant}/saml2?SAMLRequest=` (Redirect binding: base64 + raw DEFLATE) or
 *   `POST /{tenant}/saml2` (POST binding: base64) -> an auto-post form with a SAMLResponse whose
 *   Response and SubjectConfirmationData carry InResponseTo = the AuthnRequest ID.
 * - IdP-initiated: `GET /{tenant}/saml2?idpinit={appId}` (a sim-only entry point; the My Apps
 *   launcher `launcher.myapps.microsoft.com/api/signin/{appId}?tenantId=` redirects there) -> a
 *   SAMLResponse WITHOUT InResponseTo.
 * - WS-Fed: `/{tenant}/wsfed?wa=wsignin1.0&wtrealm=&wreply=` -> auto-post `wresult` (RSTR).
 */
import { randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { tenantIdFor, type SimContext } from './sim-context.js';
import {
  aadError,
  autoPostForm,
  escapeHtml,
  html,
  isGuid,
  missingParam,
  param,
  redirect,
  type SimRequest,
  type SimResponse,
} from './sim-http.js';
import { userFor, v1Issuer } from './sim-tokens.js';

const MAX_SAML_XML = 64 * 1024;

/** The Identifier (Entity ID) the sim gives an IdP-initiated app (it keeps no registrations). */
export function idpInitEntityId(appId: string): string {
  return `https://sp.example.com/${encodeURIComponent(appId)}`;
}

/** The Assertion Consumer Service (reply URL) the sim gives an IdP-initiated app. */
export function idpInitAcs(appId: string): string {
  return `${idpInitEntityId(appId)}/acs`;
}

function attr(xml: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]{1,1024})"`).exec(xml);
  return m?.[1];
}

function decodeSamlRequest(value: string, binding: 'redirect' | 'post'): string | null {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0) return null;
  try {
    const xml =
      binding === 'redirect'
        ? inflateRawSync(bytes, { maxOutputLength: MAX_SAML_XML }).toString('utf8')
        : bytes.toString('utf8');
    return xml.includes('<') ? xml : null;
  } catch {
    // not deflated / not base64: the caller answers 400
    return null;
  }
}

function samlResponseXml(o: {
  issuer: string;
  destination: string;
  audience: string;
  inResponseTo: string | undefined;
  nameId: string;
}): string {
  const now = new Date();
  const iso = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, '.000Z');
  const later = new Date(now.getTime() + 70 * 60_000);
  const irt = o.inResponseTo !== undefined ? ` InResponseTo="${escapeHtml(o.inResponseTo)}"` : '';
  const respId = `_${randomUUID()}`;
  const assertId = `_${randomUUID()}`;
  return (
    `<samlp:Response ID="${respId}" Version="2.0" IssueInstant="${iso(now)}" Destination="${escapeHtml(o.destination)}"${irt} xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">${escapeHtml(o.issuer)}</Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<Assertion ID="${assertId}" IssueInstant="${iso(now)}" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` +
    `<Issuer>${escapeHtml(o.issuer)}</Issuer>` +
    `<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${escapeHtml(o.nameId)}</NameID>` +
    `<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData${irt} NotOnOrAfter="${iso(later)}" Recipient="${escapeHtml(o.destination)}"/></SubjectConfirmation></Subject>` +
    `<Conditions NotBefore="${iso(now)}" NotOnOrAfter="${iso(later)}"><AudienceRestriction><Audience>${escapeHtml(o.audience)}</Audience></AudienceRestriction></Conditions>` +
    `<AttributeStatement><Attribute Name="http://schemas.microsoft.com/identity/claims/tenantid"><AttributeValue>${escapeHtml(o.issuer.split('/')[3] ?? '')}</AttributeValue></Attribute></AttributeStatement>` +
    `<AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${assertId}"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef></AuthnContext></AuthnStatement>` +
    `</Assertion></samlp:Response>`
  );
}

export function saml2(ctx: SimContext, req: SimRequest, tenant: string): SimResponse {
  const tid = tenantIdFor(ctx, tenant);
  const issuer = v1Issuer(req.host, tid);
  const user = userFor(param(req, 'login_hint'));
  const relayState = param(req, 'RelayState');
  const relay = relayState !== undefined ? { RelayState: relayState } : {};

  const appId = req.query.get('idpinit') ?? undefined;
  if (appId !== undefined && req.query.get('SAMLRequest') === null) {
    if (!isGuid(appId)) {
      return aadError(
        req,
        400,
        'invalid_request',
        700016,
        `Application with identifier '${appId.slice(0, 80)}' was not found in the directory.`,
      );
    }
    const acs = idpInitAcs(appId);
    const xml = samlResponseXml({
      issuer,
      destination: acs,
      audience: idpInitEntityId(appId),
      inResponseTo: undefined,
      nameId: user.username,
    });
    return autoPostForm(acs, {
      SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'),
      ...relay,
    });
  }

  const binding = req.method === 'POST' ? 'post' : 'redirect';
  const encoded = binding === 'post' ? req.form.get('SAMLRequest') : req.query.get('SAMLRequest');
  if (encoded === null || encoded === '') {
    return aadError(
      req,
      400,
      'invalid_request',
      750054,
      'SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding.',
    );
  }
  const xml = decodeSamlRequest(encoded, binding);
  if (xml === null) {
    return aadError(
      req,
      400,
      'invalid_request',
      750056,
      'SAML message was not properly base64 encoded (and deflated, for the Redirect binding).',
    );
  }
  const kind = /<(?:\w+:)?(AuthnRequest|LogoutRequest)[\s>]/.exec(xml)?.[1];
  const id = attr(xml, 'ID');
  if (kind === undefined || id === undefined) {
    return aadError(
      req,
      400,
      'invalid_request',
      7500529,
      "The SAML message is not a valid AuthnRequest or LogoutRequest (no 'ID').",
    );
  }
  const spIssuer = /<(?:\w+:)?Issuer[^>]*>([^<]{1,1024})</.exec(xml)?.[1]?.trim() ?? '';
  if (kind === 'LogoutRequest') {
    const now = new Date().toISOString();
    const target = URL.canParse(spIssuer) ? spIssuer : 'https://sp.example.com/slo';
    const resp = `<samlp:LogoutResponse ID="_${randomUUID()}" Version="2.0" IssueInstant="${now}" Destination="${escapeHtml(target)}" InResponseTo="${escapeHtml(id)}" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">${escapeHtml(issuer)}</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
    return autoPostForm(target, {
      SAMLResponse: Buffer.from(resp, 'utf8').toString('base64'),
      ...relay,
    });
  }
  const acs =
    attr(xml, 'AssertionConsumerServiceURL') ?? (URL.canParse(spIssuer) ? spIssuer : undefined);
  if (acs === undefined || !URL.canParse(acs)) {
    return aadError(
      req,
      400,
      'invalid_request',
      50011,
      'The reply URL specified in the request does not match the reply URLs configured for the application.',
    );
  }
  const resp = samlResponseXml({
    issuer,
    destination: acs,
    audience: spIssuer,
    inResponseTo: id,
    nameId: user.username,
  });
  return autoPostForm(acs, {
    SAMLResponse: Buffer.from(resp, 'utf8').toString('base64'),
    ...relay,
  });
}

/** launcher.myapps.microsoft.com/api/signin/{appId}?tenantId= -> IdP-initiated sign-on. */
export function myAppsLauncher(ctx: SimContext, req: SimRequest): SimResponse {
  const appId = decodeURIComponent(req.path.split('/')[3] ?? '');
  if (!isGuid(appId))
    return aadError(req, 400, 'invalid_request', 700016, 'Application was not found.');
  const tenant = req.query.get('tenantId') ?? ctx.tenantId;
  const t = isGuid(tenant) ? tenant : ctx.tenantId;
  return redirect(`https://login.microsoftonline.com/${t}/saml2?idpinit=${appId}`);
}

export function wsfed(ctx: SimContext, req: SimRequest, tenant: string): SimResponse {
  const wa = param(req, 'wa');
  if (wa === undefined || wa === '') return missingParam(req, 'wa');
  const wreply = param(req, 'wreply');
  if (wa === 'wsignout1.0' || wa === 'wsignoutcleanup1.0') {
    if (wreply !== undefined && URL.canParse(wreply)) return redirect(wreply);
    return html(
      200,
      '<html><head><title>Sign out</title></head><body><p>You signed out of your account.</p></body></html>',
    );
  }
  if (wa !== 'wsignin1.0') {
    return aadError(
      req,
      400,
      'invalid_request',
      50000,
      `Unsupported WS-Federation action '${wa.slice(0, 40)}'.`,
    );
  }
  const realm = param(req, 'wtrealm');
  if (realm === undefined || realm === '') return missingParam(req, 'wtrealm');
  const target = wreply ?? realm;
  if (!URL.canParse(target)) {
    return aadError(
      req,
      400,
      'invalid_request',
      50011,
      'The reply URL specified in the request does not match the reply URLs configured for the application.',
    );
  }
  const tid = tenantIdFor(ctx, tenant);
  const issuer = v1Issuer(req.host, tid);
  const user = userFor(param(req, 'login_hint') ?? param(req, 'username'));
  const now = new Date();
  const later = new Date(now.getTime() + 60 * 60_000);
  const rstr =
    `<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:Lifetime><wsu:Created xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${now.toISOString()}</wsu:Created><wsu:Expires xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${later.toISOString()}</wsu:Expires></t:Lifetime>` +
    `<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${escapeHtml(realm)}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>` +
    `<t:RequestedSecurityToken><saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="_${randomUUID()}" Issuer="${escapeHtml(issuer)}" IssueInstant="${now.toISOString()}" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"><saml:Conditions NotBefore="${now.toISOString()}" NotOnOrAfter="${later.toISOString()}"><saml:AudienceRestrictionCondition><saml:Audience>${escapeHtml(realm)}</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions><saml:AttributeStatement><saml:Subject><saml:NameIdentifier>${escapeHtml(user.username)}</saml:NameIdentifier></saml:Subject></saml:AttributeStatement></saml:Assertion></t:RequestedSecurityToken>` +
    `<t:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</t:TokenType><t:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</t:RequestType><t:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</t:KeyType></t:RequestSecurityTokenResponse>`;
  const wctx = param(req, 'wctx');
  return autoPostForm(target, {
    wa: 'wsignin1.0',
    wresult: rstr,
    ...(wctx !== undefined ? { wctx } : {}),
  });
}
