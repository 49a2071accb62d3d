/** The sign-in row -> facts mapping, row by row, judged by the same rules table as traffic. */
import { describe, expect, it } from 'vitest';
import { judgeSignIn } from '../../../../src/sources/signins/facts.js';
import { rowFromObject, type SignInRow } from '../../../../src/sources/signins/row.js';

const TENANT = '11111111-1111-4111-8111-111111111111';

function row(over: Record<string, unknown>): SignInRow {
  return rowFromObject({
    appId: 'aaaaaaaa-0000-4000-8000-000000000001',
    createdDateTime: '2026-11-01T10:00:00Z',
    homeTenantId: TENANT,
    resourceTenantId: TENANT,
    crossTenantAccessType: 'none',
    clientCredentialType: 'none',
    authenticationProtocol: 'oAuth2',
    clientAppUsed: 'Mobile Apps and Desktop clients',
    signInEventTypes: ['nonInteractiveUser'],
    status: { errorCode: 0 },
    ...over,
  });
}

const codes = (r: SignInRow): string[] => judgeSignIn(r).reasons.map((x) => x.code);

describe('judgeSignIn', () => {
  it.each([
    ['native silent refresh', {}, 'conditional', 'native-silent', 'refresh_token'],
    [
      'native interactive',
      { signInEventTypes: ['interactiveUser'] },
      'conditional',
      'native-interactive',
      'authorization_code',
    ],
    ['ROPC', { authenticationProtocol: 'ropc' }, 'not-covered', 'ropc', 'password'],
    [
      'device code by protocol',
      { authenticationProtocol: 'deviceCode' },
      'not-covered',
      'device-code',
      'device_code',
    ],
    [
      'device code by transfer method',
      { originalTransferMethod: 'deviceCodeFlow' },
      'not-covered',
      'device-code',
      'device_code',
    ],
    [
      'IMAP',
      { clientAppUsed: 'IMAP4', authenticationProtocol: 'none' },
      'not-covered',
      'legacy-auth',
      'password',
    ],
    [
      'Exchange ActiveSync',
      { clientAppUsed: 'Exchange ActiveSync' },
      'not-covered',
      'legacy-auth',
      'password',
    ],
    ['Other clients', { clientAppUsed: 'Other clients' }, 'not-covered', 'legacy-auth', 'password'],
    [
      'SAML',
      { authenticationProtocol: 'saml20', clientAppUsed: 'Browser' },
      'unknown',
      'saml-initiation-unknown',
      null,
    ],
    ['WS-Fed', { authenticationProtocol: 'wsFederation' }, 'unknown', 'wsfed', null],
    [
      'browser public client',
      { clientAppUsed: 'Browser', signInEventTypes: ['interactiveUser'] },
      'unknown',
      'signin-log-ambiguous',
      null,
    ],
    [
      'web app with a secret',
      { clientCredentialType: 'clientSecret', clientAppUsed: 'Browser' },
      'not-covered',
      'confidential-client',
      'refresh_token',
    ],
    [
      'web app with a certificate',
      { clientCredentialType: 'certificate', signInEventTypes: ['interactiveUser'] },
      'not-covered',
      'confidential-client',
      'authorization_code',
    ],
    [
      'service principal, secret',
      { signInEventTypes: ['servicePrincipal'], clientCredentialType: 'clientSecret' },
      'not-covered',
      'client-credentials',
      'client_credentials',
    ],
    [
      'service principal, federated',
      {
        signInEventTypes: ['servicePrincipal'],
        clientCredentialType: 'federatedIdentityCredential',
      },
      'not-covered',
      'client-credentials',
      'client_credentials',
    ],
    [
      'system-assigned managed identity',
      {
        signInEventTypes: ['managedIdentity'],
        managedServiceIdentity: { msiType: 'systemAssigned' },
      },
      'covered',
      'managed-identity',
      'managed_identity',
    ],
    [
      'user-assigned managed identity (Log Analytics table)',
      { signInEventTypes: undefined, Type: 'AADManagedIdentitySignInLogs' },
      'covered',
      'managed-identity',
      'managed_identity',
    ],
    [
      'B2B guest by cross-tenant access type',
      { crossTenantAccessType: 'b2bCollaboration' },
      'not-covered',
      'guest-user',
      'refresh_token',
    ],
    [
      'guest by home tenant',
      { homeTenantId: '22222222-2222-4222-8222-222222222222' },
      'not-covered',
      'guest-user',
      'refresh_token',
    ],
  ] as const)('%s', (_name, over, verdict, code, grant) => {
    const r = row(over);
    const j = judgeSignIn(r);
    expect(j.verdict).toBe(verdict);
    expect(codes(r)).toContain(code);
    expect(j.grantType).toBe(grant);
  });

  it('a sign-in frequency policy makes a covered flow conditional at best', () => {
    const mi = row({
      signInEventTypes: ['interactiveUser'],
      sessionLifetimePolicies: [
        { expirationRequirement: 'signInFrequencyPeriodicReauthentication' },
      ],
    });
    expect(codes(mi)).toContain('sign-in-frequency');
    expect(judgeSignIn(mi).verdict).toBe('conditional');
  });

  it('a managed identity is never a guest, whatever the tenant fields say', () => {
    const mi = row({
      signInEventTypes: ['managedIdentity'],
      homeTenantId: '22222222-2222-4222-8222-222222222222',
    });
    expect(judgeSignIn(mi).verdict).toBe('covered');
  });

  it('names no host: the logs do not show it, and the host rule does not fire', () => {
    expect(codes(row({}))).not.toContain('host-unsupported');
  });

  it('unknownFutureValue is read as what it is, not as a flow', () => {
    const r = row({
      authenticationProtocol: 'unknownFutureValue',
      clientAppUsed: null,
      clientCredentialType: 'unknownFutureValue',
    });
    expect(judgeSignIn(r).verdict).toBe('unknown');
  });
});

describe('rowFromObject: Log Analytics columns', () => {
  const WORKSPACE = '99999999-9999-9999-9999-999999999999';
  const TENANT = '11111111-1111-1111-1111-111111111111';

  it('takes the tenant from AADTenantId, never the workspace id in TenantId', () => {
    const row = rowFromObject({
      TimeGenerated: '2026-12-01T10:00:00.000Z',
      AppId: '22222222-2222-2222-2222-222222222222',
      ServicePrincipalName: 'nightly-export',
      TenantId: WORKSPACE,
      AADTenantId: TENANT,
      ResultType: '0',
      Type: 'AADServicePrincipalSignInLogs',
    });
    expect(row.resourceTenant).toBe(TENANT);
  });

  it("names a service principal's app from ServicePrincipalName when there is no AppDisplayName", () => {
    const row = rowFromObject({
      TimeGenerated: '2026-12-01T10:00:00.000Z',
      AppId: '22222222-2222-2222-2222-222222222222',
      ServicePrincipalName: 'nightly-export',
      ResultType: '0',
    });
    expect(row.appName).toBe('nightly-export');
  });

  it('keeps the envelope tenantId of a diagnostic-settings record', () => {
    const row = rowFromObject({
      time: '2026-12-01T10:00:00.000Z',
      tenantId: TENANT,
      properties: { appId: '22222222-2222-2222-2222-222222222222', status: { errorCode: 0 } },
    });
    expect(row.resourceTenant).toBe(TENANT);
  });
});
