import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../../src/proxy/policy.js';

describe('interception policy', () => {
  const p = createPolicy({
    intercept: ['login.contoso.com', '*.idp.example'],
    managedIdentityHosts: ['10.0.0.5'],
  });

  it.each([
    ['login.microsoftonline.com', 443, 'intercept'],
    ['LOGIN.MICROSOFTONLINE.US', 443, 'intercept'],
    ['login.windows.net', 443, 'intercept'],
    ['sts.windows.net', 443, 'intercept'],
    ['login.partner.microsoftonline.cn', 443, 'intercept'],
    ['contoso.b2clogin.com', 443, 'intercept'],
    ['contoso.ciamlogin.com', 443, 'intercept'],
    ['graph.microsoft.com', 443, 'intercept'],
    ['launcher.myapps.microsoft.com', 443, 'intercept'],
    ['login.contoso.com', 443, 'intercept'],
    ['a.idp.example', 443, 'intercept'],
    // client-certificate hosts are never decrypted
    ['device.login.microsoftonline.com', 443, 'tunnel'],
    ['enterpriseregistration.windows.net', 443, 'tunnel'],
    ['mtlsauth.microsoft.com', 443, 'tunnel'],
    ['westus.mtlsauth.microsoft.com', 443, 'tunnel'],
    // everything else is a raw tunnel
    ['www.example.com', 443, 'tunnel'],
    ['management.azure.com', 443, 'tunnel'],
    ['microsoftonline.com.evil.example', 443, 'tunnel'],
    // loopback (App Service, Arc, Service Fabric MI endpoints): plain HTTP is read, TLS tunneled
    ['localhost', 41234, 'peek'],
    ['127.0.0.1', 2377, 'peek'],
    ['10.0.0.5', 8081, 'peek'],
  ] as const)('CONNECT %s:%i -> %s', (host, port, want) => {
    expect(p.connect(host, port)).toBe(want);
  });

  it.each([
    ['login.microsoftonline.com', 443, '/common/oauth2/v2.0/token', true],
    ['graph.microsoft.com', 443, '/oidc/userinfo', true],
    ['graph.microsoft.com', 443, '/v1.0/me', false],
    ['launcher.myapps.microsoft.com', 443, '/api/signin/0000', true],
    ['myapps.microsoft.com', 443, '/static/app.js', false],
    ['169.254.169.254', 80, '/metadata/identity/oauth2/token', true],
    ['127.0.0.1', 41234, '/MSI/token', true],
    ['localhost', 40342, '/metadata/identity/oauth2/token', true],
    ['10.0.0.5', 8081, '/msi/token', true],
    ['127.0.0.1', 3000, '/api/orders', false],
    ['www.example.com', 80, '/metadata/identity/oauth2/token', false],
  ] as const)('record %s:%i%s -> %s', (host, port, path, want) => {
    expect(p.record(host, port, path)).toBe(want);
  });
});
