import { describe, expect, it } from 'vitest';
import { isRedirectStatus, locationParams } from '../../../../src/classifiers/parse/redirect.js';

describe('locationParams', () => {
  it.each([
    [
      'https://app.example.com/#id_token=eyJ.a.b&state=s&session_state=x',
      { id_token: 'eyJ.a.b', state: 's', session_state: 'x' },
    ],
    ['https://app.example.com/cb?code=0.AAA&state=s', { code: '0.AAA', state: 's' }],
    [
      'https://app/cb?code=c&state=q#state=f&access_token=t',
      { code: 'c', state: 'q', access_token: 't' },
    ],
    [
      'msal11111111-1111-1111-1111-111111111111://auth?code=c&client_info=e30',
      { code: 'c', client_info: 'e30' },
    ],
    ['/common/oauth2/v2.0/authorize?client_id=x', { client_id: 'x' }],
    [
      'https://app/cb?error=access_denied&error_description=AADSTS65004%3A+User+declined',
      { error: 'access_denied', error_description: 'AADSTS65004: User declined' },
    ],
    ['  https://app/cb?x=1  ', { x: '1' }],
    ['https://app/', {}],
    ['', {}],
  ])('%j', (location, expected) => {
    expect(locationParams(location)).toEqual(expected);
  });

  it.each([
    [301, true],
    [302, true],
    [303, true],
    [307, true],
    [200, false],
    [400, false],
    [null, false],
  ])('isRedirectStatus(%j) = %j', (status, expected) => {
    expect(isRedirectStatus(status)).toBe(expected);
  });
});
