import { describe, expect, it } from 'vitest';
import { parseExchange } from '../../../../src/classifiers/parse/index.js';
import type { RawExchange } from '../../../../src/core/types.js';
import {
  authnRequestXml,
  autoPostHtml,
  fakeJwt,
  makeRawExchange,
  rawBody,
  samlPostParam,
  samlRedirectParam,
  samlResponseXml,
} from '../../../helpers/raw-exchange.js';

const accessToken = fakeJwt(
  { alg: 'RS256', typ: 'JWT', kid: 'k' },
  { aud: 'https://graph.microsoft.com', tid: 't', appidacr: '0', ver: '1.0' },
);
const idToken = fakeJwt(
  { alg: 'RS256', typ: 'JWT', kid: 'k' },
  { aud: 'c1', tid: 't', ver: '2.0' },
);

describe('parseExchange: token endpoint', () => {
  const raw = makeRawExchange({
    url: '/common/oauth2/v2.0/token?client-request-id=abc',
    requestHeaders: {
      Origin: 'https://app.example.com',
      'X-Client-Current-Telemetry': '5|61,0,,,|,',
    },
    form: {
      client_id: 'c1',
      grant_type: 'refresh_token',
      refresh_token: '0.AAAAopaque',
      scope: 'openid profile offline_access',
      'x-client-SKU': 'msal.js.browser',
      'x-client-VER': '3.10.0',
    },
    responseHeaders: { 'X-MS-Request-Id': 'rid' },
    responseJson: {
      token_type: 'Bearer',
      access_token: accessToken,
      id_token: idToken,
      refresh_token: '0.AAAAopaque2',
      expires_in: 3599,
    },
  });
  const px = parseExchange(raw);

  it('reads path, query, form and the response JSON', () => {
    expect(px.raw).toBe(raw);
    expect(px.pathname).toBe('/common/oauth2/v2.0/token');
    expect(px.query).toEqual({ 'client-request-id': 'abc' });
    expect(px.requestBodyKind).toBe('form');
    expect(px.form).toMatchObject({
      grant_type: 'refresh_token',
      scope: 'openid profile offline_access',
    });
    expect(px.responseJson).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect(px.responseForm).toBeNull();
    expect(px.redirectParams).toBeNull();
    expect(px.saml).toEqual([]);
    expect(px.problems).toEqual([]);
  });

  it('looks headers up case-insensitively', () => {
    expect(px.header('origin')).toBe('https://app.example.com');
    expect(px.header('ORIGIN')).toBe('https://app.example.com');
    expect(px.header('authorization')).toBeUndefined();
    expect(px.header('constructor')).toBeUndefined();
    expect(px.responseHeader('x-ms-request-id')).toBe('rid');
  });

  it('decodes the JWTs but leaves opaque refresh tokens alone', () => {
    expect(Object.keys(px.jwts).sort()).toEqual(['access_token', 'id_token']);
    const at = px.jwts['access_token'];
    expect(at?.ok && at.jwt.claims['appidacr']).toBe('0');
    expect(at?.ok && at.jwt.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k' });
    expect(at?.ok && at.jwt.fingerprint).toMatch(/^[0-9a-f]{8}$/);
  });

  it('reads library and telemetry', () => {
    expect(px.library).toEqual({ sku: 'msal.js.browser', version: '3.10.0' });
    expect(px.telemetry).toEqual({ schema: '5', apiId: 61, cacheInfo: 0, kind: 'silent' });
  });
});

describe('parseExchange: request bodies', () => {
  it.each([
    ['no body', makeRawExchange({ method: 'GET' }), 'empty', {}],
    [
      'JSON object',
      makeRawExchange({ json: { a: 'b', n: 1, o: { x: 1 } } }),
      'json',
      { a: 'b', n: '1' },
    ],
    ['JSON array', makeRawExchange({ json: [1, 2] }), 'json', {}],
    [
      'form without content type',
      makeRawExchange({ requestBody: rawBody('grant_type=client_credentials&client_id=x') }),
      'form',
      { grant_type: 'client_credentials', client_id: 'x' },
    ],
    [
      'SOAP',
      makeRawExchange({
        requestHeaders: { 'content-type': 'application/soap+xml' },
        requestBody: rawBody('<s:Envelope/>'),
      }),
      'xml',
      {},
    ],
    [
      'XML sniffed',
      makeRawExchange({ requestBody: rawBody('<?xml version="1.0"?><a/>') }),
      'xml',
      {},
    ],
    [
      'HTML sniffed',
      makeRawExchange({ requestBody: rawBody('<!DOCTYPE html><html></html>') }),
      'html',
      {},
    ],
    [
      'kerberos',
      makeRawExchange({
        requestHeaders: { 'content-type': 'application/kerberos' },
        requestBody: rawBody('\u0001\u0002'),
      }),
      'binary',
      {},
    ],
    [
      'control bytes sniffed',
      makeRawExchange({ requestBody: rawBody('\u0000\u0001\u0002abc') }),
      'binary',
      {},
    ],
    [
      'plain text',
      makeRawExchange({
        requestHeaders: { 'content-type': 'text/plain' },
        requestBody: rawBody('hello world'),
      }),
      'text',
      {},
    ],
  ])('%s', (_name, raw, kind, form) => {
    const px = parseExchange(raw);
    expect(px.requestBodyKind).toBe(kind);
    expect(px.form).toEqual(form);
  });

  it('reports a broken JSON body and a truncated body, but keeps what it could read', () => {
    const broken = parseExchange(
      makeRawExchange({
        requestHeaders: { 'content-type': 'application/json' },
        requestBody: rawBody('{"a":'),
      }),
    );
    expect(broken.form).toEqual({});
    expect(broken.problems).toEqual(['request body is not a valid JSON object']);

    const text =
      'grant_type=authorization_code&code=0.AAA&client_id=c1&redirect_uri=http%3A%2F%2Flocalh';
    const truncated = parseExchange(
      makeRawExchange({
        requestHeaders: { 'content-type': 'application/x-www-form-urlencoded' },
        requestBody: { text, size: 5000, truncated: true },
      }),
    );
    expect(truncated.form).toMatchObject({ grant_type: 'authorization_code', client_id: 'c1' });
    expect(truncated.problems).toEqual([
      `request body truncated: ${text.length} characters kept of 5000 bytes`,
    ]);
  });

  it('first value wins and names keep their case', () => {
    const px = parseExchange(
      makeRawExchange({
        requestBody: rawBody('Scope=a&scope=b&scope=c'),
        requestHeaders: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(px.form).toEqual({ Scope: 'a', scope: 'b' });
  });

  it('takes telemetry from a body field (MSAL.js) and library from the query', () => {
    const px = parseExchange(
      makeRawExchange({
        url: '/t/oauth2/v2.0/token?x-client-SKU=MSAL.NetCore&x-client-Ver=4.60.0.0',
        form: { 'x-client-current-telemetry': '5|1007,3,,,|0,1,1,,,0' },
      }),
    );
    expect(px.library).toEqual({ sku: 'MSAL.NetCore', version: '4.60.0.0' });
    expect(px.telemetry?.kind).toBe('silent');
  });

  it('reports unreadable telemetry', () => {
    const px = parseExchange(
      makeRawExchange({ requestHeaders: { 'x-client-current-telemetry': 'rubbish' } }),
    );
    expect(px.telemetry).toBeNull();
    expect(px.problems).toEqual(['x-client-current-telemetry not understood']);
  });
});

describe('parseExchange: JWT sources', () => {
  it('client_assertion in the body, SAML-bearer assertion skipped, opaque access token not a problem', () => {
    const ca = fakeJwt(
      { alg: 'RS256', x5t: 'thumb' },
      { iss: 'c1', sub: 'c1', aud: 'https://login.microsoftonline.com/t/oauth2/v2.0/token' },
    );
    const px = parseExchange(
      makeRawExchange({
        form: {
          client_assertion: ca,
          assertion: samlPostParam('<Assertion/>'),
          grant_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer',
        },
        responseJson: { access_token: 'EwBwA8l6BAAUopaque' },
      }),
    );
    expect(Object.keys(px.jwts).sort()).toEqual(['access_token', 'client_assertion']);
    expect(px.jwts['client_assertion']?.ok && px.jwts['client_assertion'].jwt.header['x5t']).toBe(
      'thumb',
    );
    expect(px.jwts['access_token']?.ok).toBe(false);
    expect(px.problems).toEqual([]);
  });

  it('OBO assertion and a JWT refresh token are decoded; a broken id_token is a problem', () => {
    const px = parseExchange(
      makeRawExchange({
        form: {
          assertion: accessToken,
          requested_token_use: 'on_behalf_of',
          refresh_token: idToken,
        },
        responseJson: { id_token: 'not-a-jwt' },
      }),
    );
    expect(px.jwts['assertion']?.ok).toBe(true);
    expect(px.jwts['refresh_token']?.ok).toBe(true);
    expect(px.jwts['id_token']).toEqual({
      ok: false,
      error: 'not a compact JWS (expected 3 parts)',
    });
    expect(px.problems).toEqual(['id_token in response body: not a compact JWT']);
  });

  it('the request object on /authorize', () => {
    const px = parseExchange(
      makeRawExchange({
        method: 'GET',
        url: '/t/oauth2/v2.0/authorize',
        query: { request: idToken, client_id: 'c1' },
      }),
    );
    expect(px.jwts['request']?.ok).toBe(true);
  });
});

describe('parseExchange: redirects', () => {
  it('implicit flow: id_token in the Location fragment', () => {
    const px = parseExchange(
      makeRawExchange({
        method: 'GET',
        url: '/t/oauth2/v2.0/authorize?response_type=id_token&client_id=c1',
        status: 302,
        responseHeaders: { Location: `https://app.example.com/#id_token=${idToken}&state=s` },
      }),
    );
    expect(px.redirectParams).toEqual({ id_token: idToken, state: 's' });
    expect(px.jwts['id_token']?.ok && px.jwts['id_token'].jwt.claims['aud']).toBe('c1');
  });

  it('a Location on a non-redirect status is ignored', () => {
    const px = parseExchange(
      makeRawExchange({ status: 201, responseHeaders: { location: '/x?code=1' } }),
    );
    expect(px.redirectParams).toBeNull();
  });
});

describe('parseExchange: SAML', () => {
  it('Redirect binding in the query, with "+" left unencoded in the raw URL', () => {
    const value = samlRedirectParam(authnRequestXml({ id: '_sp1' }));
    const unencoded = value.replace(/=/g, '%3D').replace(/\//g, '%2F'); // '+' stays raw
    const px = parseExchange(
      makeRawExchange({ method: 'GET', url: `/t/saml2?SAMLRequest=${unencoded}&RelayState=r` }),
    );
    expect(px.saml).toHaveLength(1);
    expect(px.saml[0]).toMatchObject({
      ok: true,
      message: { kind: 'AuthnRequest', id: '_sp1', binding: 'redirect', foundIn: 'request' },
    });
    expect(px.problems).toEqual([]);
  });

  it('POST binding in the form body', () => {
    const px = parseExchange(
      makeRawExchange({ url: '/t/saml2', form: { SAMLRequest: samlPostParam(authnRequestXml()) } }),
    );
    expect(px.saml[0]).toMatchObject({
      ok: true,
      message: { kind: 'AuthnRequest', binding: 'post', foundIn: 'request' },
    });
  });

  it('auto-post SAMLResponse in the HTML response (IdP-initiated)', () => {
    const html = autoPostHtml('https://sp.example.com/acs', {
      SAMLResponse: samlPostParam(samlResponseXml()),
      RelayState: 'rs',
    });
    const px = parseExchange(makeRawExchange({ url: '/t/saml2', responseHtml: html }));
    expect(px.responseForm?.action).toBe('https://sp.example.com/acs');
    expect(px.responseForm?.fields['RelayState']).toBe('rs');
    expect(px.saml).toHaveLength(1);
    expect(px.saml[0]).toMatchObject({
      ok: true,
      message: { kind: 'Response', hasInResponseTo: false, binding: 'post', foundIn: 'response' },
    });
    expect(px.responseJson).toBeNull();
  });

  it('request and response SAML together, failures reported', () => {
    const html = autoPostHtml('https://sp/acs', {
      SAMLResponse: samlPostParam(samlResponseXml({ inResponseTo: '_x' })),
    });
    const px = parseExchange(
      makeRawExchange({
        url: '/t/saml2',
        form: { SAMLRequest: 'bm90IHhtbA==' },
        responseHtml: html,
      }),
    );
    expect(px.saml.map((s) => s.ok)).toEqual([false, true]);
    expect(px.problems).toEqual([
      'SAMLRequest in request body: SAML message is neither XML nor DEFLATE data',
    ]);
  });

  it('a DTD in a SAML message is refused and reported', () => {
    const xml = '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><samlp:Response ID="&e;"/>';
    const px = parseExchange(
      makeRawExchange({ url: '/t/saml2', form: { SAMLResponse: samlPostParam(xml) } }),
    );
    expect(px.saml).toEqual([{ ok: false, error: 'SAML message with a DTD refused' }]);
    expect(px.problems).toEqual(['SAMLResponse in request body: SAML message with a DTD refused']);
  });
});

describe('parseExchange: responses and robustness', () => {
  it('OIDC form_post response', () => {
    const px = parseExchange(
      makeRawExchange({
        responseHtml: autoPostHtml('https://web/signin-oidc', {
          code: '0.AAA',
          id_token: idToken,
          state: 's',
        }),
      }),
    );
    expect(px.responseForm?.fields).toEqual({ code: '0.AAA', id_token: idToken, state: 's' });
    expect(px.jwts['id_token']?.ok).toBe(true);
  });

  it('an error JSON response and a broken JSON response', () => {
    expect(
      parseExchange(makeRawExchange({ status: 400, responseJson: { error: 'invalid_grant' } }))
        .responseJson,
    ).toEqual({ error: 'invalid_grant' });
    const broken = parseExchange(
      makeRawExchange({
        responseHeaders: { 'content-type': 'application/json' },
        responseBody: rawBody('{"access_token":"ey'),
      }),
    );
    expect(broken.responseJson).toBeNull();
    expect(broken.problems).toEqual(['response body is not valid JSON']);
  });

  it('a truncated response is reported', () => {
    const px = parseExchange(
      makeRawExchange({ responseBody: { text: '<html>', size: 900_000, truncated: true } }),
    );
    expect(px.problems).toEqual(['response body truncated: 6 characters kept of 900000 bytes']);
  });

  it('a header map with mixed-case names still answers', () => {
    const raw: RawExchange = {
      ...makeRawExchange(),
      requestHeaders: { 'Content-Type': 'text/plain', 'X-Client-SKU': 'MSAL.Python' },
    };
    const px = parseExchange(raw);
    expect(px.header('content-type')).toBe('text/plain');
    expect(px.library?.sku).toBe('MSAL.Python');
  });

  it('an exchange with no response', () => {
    const px = parseExchange(
      makeRawExchange({
        status: null,
        responseBody: null,
        error: { code: 'upstream-reset', message: 'reset' },
      }),
    );
    expect(px.responseJson).toBeNull();
    expect(px.problems).toEqual([]);
  });

  it('never throws, even on a corrupt snapshot', () => {
    const corrupt = {
      ...makeRawExchange(),
      url: 42,
      requestHeaders: null,
    } as unknown as RawExchange;
    const px = parseExchange(corrupt);
    expect(px.problems[0]).toMatch(/^internal parser error/);
    expect(px.header('x')).toBeUndefined();
  });
});

describe('parseExchange: header maps', () => {
  it('a header named __proto__ is just a header', () => {
    const headers = JSON.parse('{"__proto__":"p","X-Mixed":"m","x-mixed":"n"}') as Record<
      string,
      string
    >;
    const raw: RawExchange = { ...makeRawExchange(), requestHeaders: headers };
    const px = parseExchange(raw);
    expect(px.header('__proto__')).toBe('p');
    expect(px.header('x-mixed')).toBe('m, n');
    expect(px.header('toString')).toBeUndefined();
  });
});
