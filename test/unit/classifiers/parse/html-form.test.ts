import { describe, expect, it } from 'vitest';
import {
  decodeHtmlEntities,
  findAutoPostForm,
  mayHoldForm,
  parseAttributes,
} from '../../../../src/classifiers/parse/html-form.js';
import { autoPostHtml } from '../../../helpers/raw-exchange.js';

describe('decodeHtmlEntities', () => {
  it.each([
    ['plain', 'plain'],
    ['a&amp;b', 'a&b'],
    ['&quot;q&quot; &apos;a&apos; &lt;t&gt;', `"q" 'a' <t>`],
    ['&#x2F;&#47;&#X3D;', '//='],
    ['&#43;&#x2b;', '++'],
    ['&nbsp;', '\u00a0'],
    ['&amp;amp;', '&amp;'],
    ['&unknown; &', '&unknown; &'],
    ['&#0; &#x110000; &#xD800;', '&#0; &#x110000; &#xD800;'],
    ['&ampx', '&ampx'],
    ['a&amp b', 'a& b'],
  ])('%j', (input, expected) => {
    expect(decodeHtmlEntities(input)).toBe(expected);
  });
});

describe('parseAttributes', () => {
  it('reads double, single, unquoted and bare attributes; names lowercased; first wins', () => {
    expect(
      parseAttributes(` NAME="SAMLResponse" value='a"b' type=hidden disabled name="x"`),
    ).toEqual({
      name: 'SAMLResponse',
      value: 'a"b',
      type: 'hidden',
      disabled: '',
    });
  });
});

describe('findAutoPostForm', () => {
  it('reads the auto-post form of the test factory, entity-decoding values', () => {
    const html = autoPostHtml('https://sp.example.com/acs?a=1&b=2', {
      SAMLResponse: 'PHNhbWw+PC9zYW1sPg==',
      RelayState: `r&s"<t>'`,
    });
    expect(findAutoPostForm(html)).toEqual({
      action: 'https://sp.example.com/acs?a=1&b=2',
      fields: { SAMLResponse: 'PHNhbWw+PC9zYW1sPg==', RelayState: `r&s"<t>'` },
    });
  });

  it('handles the ESTS shape, uppercase tags, single quotes, unquoted values and > in values', () => {
    const html = `<HTML><BODY><FORM method=POST name='hiddenform' ACTION='https://rp/cb'>
      <INPUT type=hidden name=code value=abc>
      <input type="hidden" name="state" value="a>b">
      <input type="submit" name="go" value="Submit">
    </FORM></BODY></HTML>`;
    expect(findAutoPostForm(html)).toEqual({
      action: 'https://rp/cb',
      fields: { code: 'abc', state: 'a>b' },
    });
  });

  it('prefers the form holding a protocol field over an earlier unrelated one', () => {
    const html = `<form action="/search"><input type="hidden" name="q" value="x"></form>
      <form action="https://rp/wsfed"><input type="hidden" name="wa" value="wsignin1.0"><input type="hidden" name="wresult" value="&lt;t:RequestSecurityTokenResponse&gt;"></form>`;
    expect(findAutoPostForm(html)).toEqual({
      action: 'https://rp/wsfed',
      fields: { wa: 'wsignin1.0', wresult: '<t:RequestSecurityTokenResponse>' },
    });
  });

  it('falls back to the first all-hidden form, and null when there is none', () => {
    expect(
      findAutoPostForm(
        `<form action="/login"><input name="login" type="email"><input type="hidden" name="flowToken" value="f"></form>` +
          `<form action="https://adfs/ls"><input type="hidden" name="wctx" value="1"></form>`,
      ),
    ).toEqual({ action: 'https://adfs/ls', fields: { wctx: '1' } });
    expect(findAutoPostForm(`<form><input name="q" value="1"></form>`)).toBeNull();
    expect(findAutoPostForm(`<form action="/x"></form><p>no inputs</p>`)).toBeNull();
    expect(findAutoPostForm('<html><body>hello</body></html>')).toBeNull();
  });

  it('copes with an unclosed form and unbalanced quotes', () => {
    expect(findAutoPostForm(`<form action="/cb"><input name="id_token" value="eyJ.x.y">`)).toEqual({
      action: '/cb',
      fields: { id_token: 'eyJ.x.y' },
    });
    expect(findAutoPostForm(`<form action="/cb><input name="code" value="c">`)).toBeNull();
  });

  it('mayHoldForm is a cheap marker check', () => {
    expect(mayHoldForm('<html><FORM>')).toBe(true);
    expect(mayHoldForm('<html><formula>')).toBe(false);
    expect(mayHoldForm('{"a":1}')).toBe(false);
  });
});
