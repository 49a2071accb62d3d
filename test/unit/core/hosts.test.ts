import { describe, expect, it } from 'vitest';
import { hostFacts, isInterceptedByDefault, issuerCloud } from '../../../src/core/hosts.js';

/** The 2025 BAS page's clouds table (every other host: 'none'). */
const BAS_LISTING: Readonly<Record<string, string>> = {
  'login.microsoftonline.com': 'users-and-mi',
  'login.microsoftonline.us': 'users-and-mi',
  'login.partner.microsoftonline.cn': 'mi-conflicting',
};

describe('hostFacts', () => {
  it.each([
    ['login.microsoftonline.com', 'public', true, 'sts', null],
    ['LOGIN.MicrosoftOnline.com', 'public', true, 'sts', null],
    ['login.microsoftonline.us', 'usgov', true, 'sts', null],
    ['login.windows.net', 'public', false, 'sts', 'login.microsoftonline.com'],
    ['login.microsoft.com', 'public', false, 'sts', 'login.microsoftonline.com'],
    ['sts.windows.net', 'public', false, 'sts', 'login.microsoftonline.com'],
    ['westus2.login.microsoft.com', 'public', false, 'sts', 'login.microsoftonline.com'],
    ['login.usgovcloudapi.net', 'usgov', false, 'sts', 'login.microsoftonline.us'],
    ['login-us.microsoftonline.com', 'usgov', false, 'sts', 'login.microsoftonline.us'],
    ['login.partner.microsoftonline.cn', 'china', false, 'sts', null],
    ['login.chinacloudapi.cn', 'china', false, 'sts', null],
    ['contoso.b2clogin.com', 'b2c', false, 'sts', null],
    ['contoso.b2clogin.cn', 'b2c', false, 'sts', null],
    ['contoso.b2clogin.us', 'b2c', false, 'sts', null],
    ['contoso.b2clogin.de', 'b2c', false, 'sts', null],
    ['contoso.ciamlogin.com', 'ciam', false, 'sts', null],
    ['mtlsauth.microsoft.com', 'public', false, 'sts', null],
    ['eastus.mtlsauth.microsoft.com', 'public', false, 'sts', null],
    ['autologon.microsoftazuread-sso.com', 'public', false, 'sts', null],
    ['login.live.com', 'public', false, 'sts', null],
    ['graph.microsoft.com', 'public', false, 'userinfo', null],
    ['myapps.microsoft.com', 'public', false, 'launcher', null],
    ['launcher.myapps.microsoft.com', 'public', false, 'launcher', null],
    ['account.activedirectory.windowsazure.com', 'public', false, 'launcher', null],
    ['device.login.microsoftonline.com', 'public', false, 'client-cert', null],
    ['enterpriseregistration.windows.net', 'public', false, 'client-cert', null],
    ['169.254.169.254', 'unknown', false, 'managed-identity', null],
    ['example.com', 'unknown', false, 'other', null],
    ['b2clogin.com', 'unknown', false, 'other', null],
    ['evil-login.microsoftonline.com.example.com', 'unknown', false, 'other', null],
  ] as const)('%s', (host, cloud, supported, role, alt) => {
    const f = hostFacts(host);
    expect(f).toEqual({
      host: host.toLowerCase(),
      cloud,
      supported,
      role,
      supportedAlternative: alt,
      basListing: BAS_LISTING[host.toLowerCase()] ?? 'none',
    });
  });

  it('loopback managed-identity endpoints by port', () => {
    expect(hostFacts('localhost', 40342).role).toBe('managed-identity');
    expect(hostFacts('127.0.0.1', 2377).role).toBe('managed-identity');
    expect(hostFacts('localhost', 50342).role).toBe('managed-identity');
    expect(hostFacts('localhost', 8080).role).toBe('other');
    expect(hostFacts('localhost').role).toBe('other');
  });
});

describe('isInterceptedByDefault', () => {
  it.each([
    ['login.microsoftonline.com', 443, true],
    ['login.windows.net', 443, true],
    ['contoso.b2clogin.com', 443, true],
    ['graph.microsoft.com', 443, true],
    ['myapps.microsoft.com', 443, true],
    ['169.254.169.254', 80, true],
    ['localhost', 40342, true],
    ['device.login.microsoftonline.com', 443, false],
    ['enterpriseregistration.windows.net', 443, false],
    ['www.example.com', 443, false],
    ['localhost', 3000, false],
  ] as const)('%s:%i -> %s', (host, port, expected) => {
    expect(isInterceptedByDefault(host, port)).toBe(expected);
  });
});

describe('issuerCloud', () => {
  it.each([
    ['https://sts.windows.net/11111111-2222-4333-8444-555555555555/', 'public'],
    ['https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/v2.0', 'public'],
    ['https://login.microsoftonline.us/11111111-2222-4333-8444-555555555555/', 'usgov'],
    ['https://sts.chinacloudapi.cn/11111111-2222-4333-8444-555555555555/', 'china'],
    ['https://login.partner.microsoftonline.cn/11111111-2222-4333-8444-555555555555/v2.0', 'china'],
    ['https://example.com/issuer', null],
    ['live.com', null],
  ] as const)('%s', (iss, cloud) => {
    expect(issuerCloud(iss)).toBe(cloud);
  });
});
