/**
 * The reports' "What the wire cannot show" notes, as data (rendered by render-md.ts and
 * render-html.ts): the conditions of the 2025 BAS page that a proxy cannot see in one exchange, and
 * for each whether a tenant's sign-in logs show it (signin-logs.md §2 and §4; Graph beta `signIn`).
 * Plain text with `code` spans in backticks; renderers escape it.
 */
export interface WireLimit {
  readonly title: string;
  /** What BAS requires and what the proxy sees of it. */
  readonly text: string;
  /** Whether, and where, the sign-in logs show it. */
  readonly logs: string;
}

export const WIRE_LIMITS: readonly WireLimit[] = [
  {
    title: 'The 3-day window',
    text: 'BAS serves a user only if they signed in with the same app on the same device within the last 3 days; a first sign-in during an outage is not served, whatever the flow.',
    logs: 'yes: `appId`, `deviceDetail.deviceId` (registered or joined devices only) and `createdDateTime` show when an app last signed in on a device.',
  },
  {
    title: 'Guests (B2B and B2C users)',
    text: 'Only members of their home tenant are served. A guest is marked `guest-user` when the token response shows it (`idp` of another tenant, `acct` = 1, or `client_info` naming another home tenant); a response without readable tokens shows nothing, and the exchange stays as classified.',
    logs: 'yes: `crossTenantAccessType` other than `none`, or `homeTenantId` different from `resourceTenantId`.',
  },
  {
    title: 'Conditional Access sign-in frequency',
    text: 'A sign-in frequency control reduces BAS coverage; policies are evaluated by Entra, not sent on the wire.',
    logs: 'yes: `sessionLifetimePolicies` and the session controls of `appliedConditionalAccessPolicies` (Graph beta).',
  },
  {
    title: 'Authentication strength',
    text: 'A Conditional Access authentication strength (authentication methods policy) reduces BAS coverage.',
    logs: 'yes: `appliedConditionalAccessPolicies[].authenticationStrength` (Graph beta).',
  },
  {
    title: 'Classic Conditional Access policies',
    text: 'Classic policies reduce BAS coverage.',
    logs: 'no: applied policies are listed by name with no documented classic marker; the admin center lists classic policies under Conditional Access.',
  },
  {
    title: 'Revocation since the last sign-in',
    text: 'A revocation event (such as a password change) since the last sign-in stops BAS for that user.',
    logs: 'no: only the failed sign-ins that follow it; the directory audit logs record the password change or session revocation.',
  },
  {
    title: 'Resilience defaults and other user-level preconditions',
    text: 'Disabling resilience defaults in a Conditional Access policy, device state, risk policies and interaction requirements decide the outcome too; a proxy sees only the requests.',
    logs: 'partly: the applied policies and the sign-in outcome, not the policy settings themselves.',
  },
  {
    title: 'Confirm after a real outage',
    text: 'Sign-in logs show `tokenIssuerType = AzureADBackupAuth` for tokens BAS issued; an exchange\u2019s client request id joins it to its sign-in log entry.',
    logs: 'yes: that is where it shows.',
  },
];
