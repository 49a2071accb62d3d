import { describe, expect, it } from 'vitest';
import { hostMatcher, isRecorded } from '../../../src/core/recorded.js';

describe('isRecorded: what the proxy and the HAR reader both record', () => {
  it.each([
    ['login.microsoftonline.com', 443, '/common/oauth2/v2.0/token', true],
    ['LOGIN.MICROSOFTONLINE.US', 443, '/common/oauth2/v2.0/token', true],
    ['graph.microsoft.com', 443, '/oidc/userinfo', true],
    ['graph.microsoft.com', 443, '/v1.0/me', false],
    ['launcher.myapps.microsoft.com', 443, '/api/signin/0000', true],
    ['myapps.microsoft.com', 443, '/static/app.js', false],
    ['device.login.microsoftonline.com', 443, '/common/oauth2/token', false],
    ['169.254.169.254', 80, '/metadata/identity/oauth2/token', true],
    ['127.0.0.1', 41234, '/MSI/token', true],
    ['127.0.0.1', 3000, '/api/orders', false],
    // Without a scope, neither --intercept hosts nor managed-identity endpoints are known.
    ['login.contoso.com', 443, '/token', false],
    ['10.0.0.5', 8081, '/msi/token', false],
  ] as const)('%s:%i%s -> %s', (host, port, path, want) => {
    expect(isRecorded(host, port, path)).toBe(want);
  });

  it('a scope adds --intercept hosts (any path) and managed-identity endpoints (token paths)', () => {
    const scope = {
      isExtra: hostMatcher(['login.contoso.com', '*.idp.example']),
      isManagedIdentityHost: hostMatcher(['10.0.0.5']),
    };
    expect(isRecorded('login.contoso.com', 443, '/anything', scope)).toBe(true);
    expect(isRecorded('a.IDP.example', 443, '/x', scope)).toBe(true);
    expect(isRecorded('idp.example', 443, '/x', scope)).toBe(false);
    expect(isRecorded('10.0.0.5', 8081, '/msi/token', scope)).toBe(true);
    expect(isRecorded('10.0.0.5', 8081, '/api/orders', scope)).toBe(false);
  });
});
