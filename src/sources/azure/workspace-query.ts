/**
 * The query `classify --workspace` sends. A stand-in until the `kql` generator (issue 13) lands:
 * the rows of the four sign-in tables cut to the columns the rules read (so no personal data leaves
 * the workspace), which the `la-api` reader classifies like any Log Analytics export. The swap is
 * this one function.
 */
export function workspaceQuery(days: number): string {
  const opt = (c: string, t = 'string'): string => `${c} = column_ifexists("${c}", ${t}(null))`;
  return [
    'union withsource=SourceTable SigninLogs, AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs',
    `| where TimeGenerated > ago(${days}d)`,
    `| extend ${[
      'AuthenticationProtocol',
      'OriginalTransferMethod',
      'ClientAppUsed',
      'ClientCredentialType',
      'IncomingTokenType',
      'CrossTenantAccessType',
      'UserType',
      'HomeTenantId',
      'ResourceTenantId',
      'TokenIssuerType',
      'ServicePrincipalId',
    ]
      .map((c) => opt(c))
      .join(
        ', ',
      )}, ${opt('IsInteractive', 'bool')}, ${opt('AuthenticationProcessingDetails', 'dynamic')}, ${opt('SessionLifetimePolicies', 'dynamic')}, ${opt('ManagedIdentityType')}`,
    '| project TimeGenerated, AppId, AppDisplayName, CorrelationId, Category = SourceTable, ResultType, AuthenticationProtocol, OriginalTransferMethod, ClientAppUsed, ClientCredentialType, IncomingTokenType, CrossTenantAccessType, UserType, HomeTenantId, ResourceTenantId, TokenIssuerType, ServicePrincipalId, IsInteractive, AuthenticationProcessingDetails, SessionLifetimePolicies, ManagedIdentityType',
  ].join('\n');
}
