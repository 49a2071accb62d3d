import { describe, expect, it } from 'vitest';
import {
  findParam,
  jsonScalars,
  parseJsonObject,
  parseUrlEncoded,
  splitUrl,
} from '../../../../src/classifiers/parse/params.js';

describe('parseUrlEncoded', () => {
  it.each([
    ['', {}],
    ['a=1&b=2', { a: '1', b: '2' }],
    ['a=1&a=2', { a: '1' }],
    ['scope=openid+profile%20email', { scope: 'openid profile email' }],
    [
      'X-Client-SKU=MSAL.NetCore&x-client-sku=other',
      { 'X-Client-SKU': 'MSAL.NetCore', 'x-client-sku': 'other' },
    ],
    ['flag&b=', { flag: '', b: '' }],
    ['&&a=1&&', { a: '1' }],
    ['=orphan&a=1', { a: '1' }],
    ['a=%E2%9C%93', { a: '\u2713' }],
    ['a=x=y=z', { a: 'x=y=z' }],
    [
      'redirect_uri=https%3A%2F%2Fapp%2Fcb%3Fx%3D1%26y%3D2',
      { redirect_uri: 'https://app/cb?x=1&y=2' },
    ],
  ])('%j', (input, expected) => {
    expect(parseUrlEncoded(input)).toEqual(expected);
  });

  it('keeps malformed escapes literally and decodes the rest', () => {
    expect(parseUrlEncoded('a=100%&b=%zz%41&c=%E2%82')).toEqual({
      a: '100%',
      b: '%zzA',
      c: '\ufffd',
    });
  });

  it('treats __proto__ as a plain parameter name', () => {
    const p = parseUrlEncoded('__proto__=x&constructor=y&toString=z');
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.hasOwn(p, '__proto__')).toBe(true);
    expect(p['__proto__' as keyof typeof p]).toBe('x');
    expect(p['constructor']).toBe('y');
    expect(Object.keys(p)).toEqual(['__proto__', 'constructor', 'toString']);
  });
});

describe('splitUrl', () => {
  it.each([
    ['/common/oauth2/v2.0/token', '/common/oauth2/v2.0/token', '', ''],
    ['/t/oauth2/v2.0/authorize?a=1&b=2', '/t/oauth2/v2.0/authorize', 'a=1&b=2', ''],
    ['/cb?code=1#state=2', '/cb', 'code=1', 'state=2'],
    ['/cb#id_token=x?y', '/cb', '', 'id_token=x?y'],
    ['https://login.microsoftonline.com/t/saml2?SAMLRequest=x', '/t/saml2', 'SAMLRequest=x', ''],
    ['https://host', '/', '', ''],
    ['https://host?x=1', '', 'x=1', ''],
    ['msal00000000-0000-0000-0000-000000000000://auth?code=c', '', 'code=c', ''],
    ['msauth.com.contoso.app://auth/cb?code=c', '/cb', 'code=c', ''],
    ['urn:ietf:wg:oauth:2.0:oob?code=c', 'urn:ietf:wg:oauth:2.0:oob', 'code=c', ''],
    ['', '', '', ''],
  ])('%j', (url, pathname, search, fragment) => {
    expect(splitUrl(url)).toEqual({ pathname, search, fragment });
  });
});

describe('parseJsonObject / jsonScalars', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['  \n{"a":"b"}', { a: 'b' }],
    ['\ufeff{"a":true}', { a: true }],
    ['[1,2]', null],
    ['"str"', null],
    ['{"a":', null],
    ['', null],
    ['null', null],
  ])('%j', (text, expected) => {
    expect(parseJsonObject(text)).toEqual(expected);
  });

  it('keeps only top-level scalars, as strings', () => {
    expect(jsonScalars({ s: 'x', n: 3, b: false, o: { a: 1 }, l: [1], z: null })).toEqual({
      s: 'x',
      n: '3',
      b: 'false',
    });
  });
});

describe('findParam', () => {
  it('matches names case-insensitively, exact spelling first', () => {
    expect(findParam({ 'x-client-SKU': 'A' }, 'x-client-sku')).toBe('A');
    expect(findParam({ 'X-CLIENT-SKU': 'B', 'x-client-sku': 'C' }, 'x-client-sku')).toBe('C');
    expect(findParam({ other: 'x' }, 'x-client-sku')).toBeUndefined();
    expect(findParam({}, 'constructor')).toBeUndefined();
  });
});
