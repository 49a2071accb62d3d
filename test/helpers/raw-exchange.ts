/**
 * Test factories for RawExchange snapshots, fake JWTs and SAML messages. Test-only: every secret
 * made here is fake and signatures are junk (we never verify, we only observe).
 */
import { deflateRawSync } from 'node:zlib';
import type { HeaderMap, RawBody, RawExchange } from '../../src/core/types.js';

/** Extra knobs on top of RawExchange fields: bodies given as data rather than text. */
export type RawExchangeOverrides = Partial<RawExchange> & {
  /** Request body as application/x-www-form-urlencoded (sets content-type unless given). */
  form?: Record<string, string>;
  /** Query parameters appended to `url` (after any query already there). */
  query?: Record<string, string>;
  /** Request body as JSON (sets content-type unless given). */
  json?: unknown;
  /** Response body as JSON (sets response content-type unless given). */
  responseJson?: unknown;
  /** Response body as HTML (sets response content-type unless given). */
  responseHtml?: string;
};

/** A RawBody holding `text` whole. */
export function rawBody(text: string): RawBody {
  return { text, size: Buffer.byteLength(text, 'utf8'), truncated: false };
}

/** URL-encode a record as form/query parameters. */
export function encodeParams(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function lowerKeys(h: HeaderMap | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

/**
 * Build a realistic RawExchange. Defaults: POST https://login.microsoftonline.com/common/oauth2/v2.0/token,
 * status 200, empty bodies. `form`/`json` fill the request body, `responseJson`/`responseHtml` the
 * response body, `query` is appended to the URL; plain RawExchange fields override everything.
 */
export function makeRawExchange(overrides: RawExchangeOverrides = {}): RawExchange {
  const { form, query, json, responseJson, responseHtml, ...plain } = overrides;
  const requestHeaders = lowerKeys(plain.requestHeaders);
  const responseHeaders = lowerKeys(plain.responseHeaders);
  let requestBody: RawBody | null = null;
  let responseBody: RawBody | null = null;
  if (form !== undefined) {
    requestBody = rawBody(encodeParams(form));
    requestHeaders['content-type'] ??= 'application/x-www-form-urlencoded;charset=utf-8';
  } else if (json !== undefined) {
    requestBody = rawBody(JSON.stringify(json));
    requestHeaders['content-type'] ??= 'application/json';
  }
  if (responseJson !== undefined) {
    responseBody = rawBody(JSON.stringify(responseJson));
    responseHeaders['content-type'] ??= 'application/json; charset=utf-8';
  } else if (responseHtml !== undefined) {
    responseBody = rawBody(responseHtml);
    responseHeaders['content-type'] ??= 'text/html; charset=utf-8';
  }
  let url = plain.url ?? '/common/oauth2/v2.0/token';
  if (query !== undefined) url += (url.includes('?') ? '&' : '?') + encodeParams(query);
  const host = plain.host ?? 'login.microsoftonline.com';
  requestHeaders['host'] ??= host;
  return {
    id: 'ex-1',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 42,
    scheme: 'https',
    method: 'POST',
    port: 443,
    status: 200,
    error: null,
    source: 'proxy',
    ...plain,
    host,
    url,
    requestHeaders,
    responseHeaders,
    requestBody: plain.requestBody !== undefined ? plain.requestBody : requestBody,
    responseBody: plain.responseBody !== undefined ? plain.responseBody : responseBody,
  };
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

/** A compact JWT with the given header and claims and a junk signature (decodable, not verifiable). */
export function fakeJwt(
  header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' },
  claims: Record<string, unknown> = {},
): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${b64url('junk-signature-not-valid')}`;
}

/** A SAML message for the HTTP-Redirect binding: base64(raw DEFLATE(xml)), not URL-encoded. */
export function samlRedirectParam(xml: string): string {
  return deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
}

/** A SAML message for the HTTP-POST binding: base64(xml). */
export function samlPostParam(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

function escapeAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** An auto-submitting HTML page posting `fields` as hidden inputs to `action` (SAML/form_post style). */
export function autoPostHtml(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([n, v]) => `<input type="hidden" name="${escapeAttr(n)}" value="${escapeAttr(v)}" />`)
    .join('\n      ');
  return `<html><head><title>Working...</title></head><body>
  <form method="POST" name="hiddenform" action="${escapeAttr(action)}">
      ${inputs}
      <noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript>
  </form>
  <script language="javascript">window.setTimeout(function(){document.forms[0].submit();}, 0);</script>
</body></html>`;
}

/** A minimal SAML AuthnRequest (SP-initiated). */
export function authnRequestXml(
  opts: { id?: string; issuer?: string; destination?: string } = {},
): string {
  const id = opts.id ?? '_a1b2c3d4e5';
  const issuer = opts.issuer ?? 'https://sp.example.com/metadata';
  const dest =
    opts.destination ??
    'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/saml2';
  return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="2025-01-01T00:00:00Z" Destination="${dest}" AssertionConsumerServiceURL="https://sp.example.com/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>${issuer}</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/></samlp:AuthnRequest>`;
}

/**
 * A minimal SAML Response. `inResponseTo` (when given) is set on the Response and on
 * SubjectConfirmationData (SP-initiated); omit it for IdP-initiated.
 */
export function samlResponseXml(
  opts: {
    id?: string;
    inResponseTo?: string;
    onlySubjectConfirmation?: boolean;
    issuer?: string;
    destination?: string;
    nameId?: string;
  } = {},
): string {
  const id = opts.id ?? '_r9f8e7d6';
  const issuer = opts.issuer ?? 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/';
  const dest = opts.destination ?? 'https://sp.example.com/acs';
  const irt = opts.inResponseTo;
  const topIrt =
    irt !== undefined && opts.onlySubjectConfirmation !== true ? ` InResponseTo="${irt}"` : '';
  const scdIrt = irt !== undefined ? ` InResponseTo="${irt}"` : '';
  const nameId = opts.nameId ?? 'alice@contoso.example';
  return `<samlp:Response ID="${id}" Version="2.0" IssueInstant="2025-01-01T00:00:00Z" Destination="${dest}"${topIrt} xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">${issuer}</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><Assertion ID="_as1" IssueInstant="2025-01-01T00:00:00Z" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><Issuer>${issuer}</Issuer><Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${nameId}</NameID><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData${scdIrt} NotOnOrAfter="2025-01-01T00:05:00Z" Recipient="${dest}"/></SubjectConfirmation></Subject><Conditions NotBefore="2025-01-01T00:00:00Z" NotOnOrAfter="2025-01-01T01:00:00Z"><AudienceRestriction><Audience>https://sp.example.com/metadata</Audience></AudienceRestriction></Conditions></Assertion></samlp:Response>`;
}

/** A minimal SAML LogoutRequest. */
export function logoutRequestXml(opts: { id?: string; issuer?: string } = {}): string {
  return `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${opts.id ?? '_lo1'}" Version="2.0" IssueInstant="2025-01-01T00:00:00Z"><saml:Issuer>${opts.issuer ?? 'https://sp.example.com/metadata'}</saml:Issuer><saml:NameID>alice@contoso.example</saml:NameID></samlp:LogoutRequest>`;
}
