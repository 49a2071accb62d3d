import { deflateRawSync } from 'node:zlib';
import type * as Zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import {
  MAX_SAML_DEPTH,
  decodeSamlBase64,
  nestingDepthExceeds,
  parseSamlParam,
  parseSamlXml,
} from '../../../../src/classifiers/parse/saml.js';
import type { SamlResult } from '../../../../src/classifiers/parsed.js';
import {
  authnRequestXml,
  logoutRequestXml,
  samlPostParam,
  samlRedirectParam,
  samlResponseXml,
} from '../../../helpers/raw-exchange.js';

// The real inflateRawSync, watched: each call's output cap is recorded (the work an inflate may do).
const inflates = vi.hoisted(() => ({ caps: [] as (number | undefined)[] }));
vi.mock('node:zlib', async (importOriginal) => {
  const real = await importOriginal<typeof Zlib>();
  return {
    ...real,
    inflateRawSync: (buf: Zlib.InputType, opts?: Zlib.ZlibOptions) => {
      inflates.caps.push(opts?.maxOutputLength);
      return real.inflateRawSync(buf, opts);
    },
  };
});

function message(r: SamlResult) {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.message;
}

function error(r: SamlResult): string {
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

const logoutResponseXml = `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_lr1" Version="2.0" IssueInstant="2025-01-01T00:00:00Z" Destination="https://sp.example.com/slo" InResponseTo="_lo1"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/t/</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="&lol9;"><Issuer>&lol9;</Issuer></samlp:Response>`;

const XXE = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x"><Issuer>&xxe;</Issuer></samlp:AuthnRequest>`;

function nested(depth: number): string {
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_d">${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</samlp:Response>`;
}

describe('parseSamlParam: message facts', () => {
  it.each([
    {
      name: 'AuthnRequest, Redirect binding',
      value: samlRedirectParam(authnRequestXml({ id: '_req1', issuer: 'https://sp/md' })),
      binding: 'redirect' as const,
      expected: {
        kind: 'AuthnRequest',
        id: '_req1',
        issuer: 'https://sp/md',
        hasInResponseTo: false,
        statusCode: null,
      },
    },
    {
      name: 'AuthnRequest, POST binding',
      value: samlPostParam(authnRequestXml({ id: '_req2' })),
      binding: 'post' as const,
      expected: { kind: 'AuthnRequest', id: '_req2', hasInResponseTo: false },
    },
    {
      name: 'AuthnRequest, POST binding but deflated (some SPs)',
      value: samlRedirectParam(authnRequestXml({ id: '_req3' })),
      binding: 'post' as const,
      expected: { kind: 'AuthnRequest', id: '_req3' },
    },
    {
      name: 'AuthnRequest, Redirect binding but not deflated',
      value: samlPostParam(authnRequestXml({ id: '_req4' })),
      binding: 'redirect' as const,
      expected: { kind: 'AuthnRequest', id: '_req4' },
    },
    {
      name: 'IdP-initiated Response (no InResponseTo)',
      value: samlPostParam(samlResponseXml({ id: '_r1' })),
      binding: 'post' as const,
      expected: {
        kind: 'Response',
        id: '_r1',
        hasInResponseTo: false,
        issuer: 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/',
        destination: 'https://sp.example.com/acs',
        statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      },
    },
    {
      name: 'SP-initiated Response (InResponseTo on Response and SubjectConfirmationData)',
      value: samlPostParam(samlResponseXml({ inResponseTo: '_req1' })),
      binding: 'post' as const,
      expected: { kind: 'Response', hasInResponseTo: true },
    },
    {
      name: 'SP-initiated Response (InResponseTo only on SubjectConfirmationData)',
      value: samlPostParam(
        samlResponseXml({ inResponseTo: '_req1', onlySubjectConfirmation: true }),
      ),
      binding: 'post' as const,
      expected: { kind: 'Response', hasInResponseTo: true },
    },
    {
      name: 'LogoutRequest',
      value: samlRedirectParam(logoutRequestXml({ id: '_lo9' })),
      binding: 'redirect' as const,
      expected: { kind: 'LogoutRequest', id: '_lo9', issuer: 'https://sp.example.com/metadata' },
    },
    {
      name: 'LogoutResponse',
      value: samlRedirectParam(logoutResponseXml),
      binding: 'redirect' as const,
      expected: {
        kind: 'LogoutResponse',
        id: '_lr1',
        hasInResponseTo: true,
        destination: 'https://sp.example.com/slo',
      },
    },
    {
      name: 'another root element',
      value: samlPostParam(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
      ),
      binding: 'post' as const,
      expected: { kind: 'other', id: null, issuer: null },
    },
    {
      name: 'XML declaration, BOM and whitespace first',
      value: samlPostParam(
        '\ufeff  <?xml version="1.0" encoding="UTF-8"?>\n' + authnRequestXml({ id: '_decl' }),
      ),
      binding: 'post' as const,
      expected: { kind: 'AuthnRequest', id: '_decl' },
    },
  ])('$name', ({ value, binding, expected }) => {
    const m = message(parseSamlParam(value, binding, 'request'));
    expect(m).toMatchObject({ ...expected, binding, foundIn: 'request' });
    expect(m.fingerprint).toMatch(/^[0-9a-f]{8}$/);
  });

  it('restores a "+" that arrived as a space, and ignores line breaks', () => {
    const value = samlRedirectParam(authnRequestXml({ id: '_plus' }));
    const mangled = value.replace(/\+/g, ' ');
    const wrapped = value.replace(/(.{20})/g, '$1\r\n');
    expect(message(parseSamlParam(mangled, 'redirect', 'request')).id).toBe('_plus');
    expect(message(parseSamlParam(wrapped, 'redirect', 'request')).id).toBe('_plus');
  });

  it('reads an Issuer with attributes and a nested StatusCode', () => {
    const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_e"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">https://sts.windows.net/t/</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported"/></samlp:StatusCode><samlp:StatusMessage>AADSTS75006</samlp:StatusMessage></samlp:Status></samlp:Response>`;
    expect(message(parseSamlXml(xml, 'post', 'response', 'abcd1234'))).toMatchObject({
      kind: 'Response',
      issuer: 'https://sts.windows.net/t/',
      statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
      foundIn: 'response',
      fingerprint: 'abcd1234',
    });
  });

  it('finds SubjectConfirmationData/@InResponseTo in any of several assertions', () => {
    const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_m"><Assertion><Subject><SubjectConfirmation><SubjectConfirmationData/></SubjectConfirmation></Subject></Assertion><Assertion><Subject><SubjectConfirmation><SubjectConfirmationData InResponseTo="_q"/></SubjectConfirmation></Subject></Assertion></samlp:Response>`;
    expect(message(parseSamlXml(xml, 'post', 'response', 'f')).hasInResponseTo).toBe(true);
  });

  it('does not expand entity references (no DTD)', () => {
    const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="a&amp;b"><Issuer>x&lt;y</Issuer></samlp:AuthnRequest>`;
    expect(message(parseSamlXml(xml, 'post', 'request', 'f'))).toMatchObject({
      id: 'a&amp;b',
      issuer: 'x&lt;y',
    });
  });
});

describe('parseSamlParam: refusals and failures', () => {
  it.each([
    ['billion laughs', samlPostParam(BILLION_LAUGHS), 'post', /DTD refused/],
    ['billion laughs, deflated', samlRedirectParam(BILLION_LAUGHS), 'redirect', /DTD refused/],
    ['external entity (XXE)', samlPostParam(XXE), 'post', /DTD refused/],
    ['lowercase doctype', samlPostParam('<!doctype x><x/>'), 'post', /DTD refused/],
    ['deep nesting', samlPostParam(nested(MAX_SAML_DEPTH + 10)), 'post', /nested deeper/],
    ['not base64', '!!!not base64!!!', 'post', /not valid base64/],
    ['empty', '', 'redirect', /empty/],
    [
      'base64 of random bytes, redirect',
      Buffer.from([1, 2, 3, 250, 251, 0, 9]).toString('base64'),
      'redirect',
      /not valid DEFLATE/,
    ],
    ['base64 of text, post', samlPostParam('hello, not xml'), 'post', /neither XML nor DEFLATE/],
    ['deflated non-XML', samlRedirectParam('just text'), 'redirect', /not XML/],
    [
      'malformed XML',
      samlPostParam('<samlp:Response><a></b></samlp:Response>'),
      'post',
      /not well-formed/,
    ],
    [
      'no root element',
      samlPostParam('<?xml version="1.0"?>'),
      'post',
      /no root element|not well-formed/,
    ],
  ] as const)('%s', (_name, value, binding, pattern) => {
    const r = parseSamlParam(value, binding, 'request');
    expect(error(r)).toMatch(pattern);
  });

  it('refuses a deflate bomb without inflating past 1 MiB', () => {
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024, 0x20)).toString('base64');
    expect(bomb.length).toBeLessThan(200_000);
    inflates.caps.length = 0;
    expect(error(parseSamlParam(bomb, 'redirect', 'request'))).toMatch(/beyond 1 MiB/);
    // The work done is bounded: every inflate was capped at 1 MiB of output. (Its time against a
    // normal message of the same size is a bench target: BENCH_ONLY=11 npm run bench.)
    expect(inflates.caps.length).toBeGreaterThan(0);
    for (const cap of inflates.caps) expect(cap).toBeLessThanOrEqual(1024 * 1024);
  });

  it('refuses XML over 1 MiB', () => {
    const big = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_b"><Issuer>${'x'.repeat(1024 * 1024)}</Issuer></samlp:Response>`;
    expect(error(parseSamlParam(samlPostParam(big), 'post', 'request'))).toMatch(
      /larger than 1 MiB/,
    );
    expect(error(parseSamlXml(big, 'post', 'request', 'f'))).toMatch(/larger than 1 MiB/);
  });

  it('refuses an over-long parameter before decoding it', () => {
    expect(error(parseSamlParam('A'.repeat(2 * 1024 * 1024), 'post', 'request'))).toMatch(
      /too long/,
    );
  });
});

describe('helpers', () => {
  it.each([
    ['<a><b/><c></c></a>', 2, false],
    [nested(MAX_SAML_DEPTH - 2), MAX_SAML_DEPTH, false],
    [nested(MAX_SAML_DEPTH), MAX_SAML_DEPTH, true],
    ['<?xml version="1.0"?><!-- c --><a/>', 1, false],
    ['<a', 1, false],
  ])('nestingDepthExceeds(%j, %d) = %j', (xml, limit, expected) => {
    expect(nestingDepthExceeds(xml, limit)).toBe(expected);
  });

  it('decodeSamlBase64 accepts base64url and rejects impossible lengths', () => {
    expect(Buffer.isBuffer(decodeSamlBase64('PD94bWw_'))).toBe(true);
    expect(Buffer.isBuffer(decodeSamlBase64('QUJDRA'))).toBe(true);
    expect(decodeSamlBase64('QUJDR')).toEqual({
      ok: false,
      error: 'SAML parameter is not valid base64',
    });
  });
});

describe('prototype pollution', () => {
  it.each([
    '<__proto__><polluted>yes</polluted></__proto__>',
    '<Response><__proto__ polluted="yes"/><constructor><prototype><polluted>yes</polluted></prototype></constructor></Response>',
    '<Response __proto__="x" constructor="y"><Issuer>i</Issuer></Response>',
  ])('%s leaves Object.prototype alone', (xml) => {
    parseSamlParam(samlPostParam(xml), 'post', 'request');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('error messages', () => {
  it('never quote the message content', () => {
    const r = parseSamlParam(
      samlPostParam('<Response><NameID>alice<secret@contoso.example</NameID></Response>'),
      'post',
      'request',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^SAML message is not well-formed XML( \(line \d+, column \d+\))?$/);
      expect(r.error).not.toContain('secret');
    }
  });
});
