/**
 * Finding texts for application records: the default severity, message, remediation and doc link
 * of every reason code (used when a record's reason carries none), and the texts of the
 * session-level findings that no single exchange can show (native-interactive, dynamic-consent,
 * userinfo, non-msal-client, host-unsupported). Pure data and string helpers.
 */
import { plural } from '../core/plural.js';
import type { ReasonCode, Severity, Verdict } from '../core/types.js';
import { DOC } from './rules.js';

export interface FindingText {
  readonly severity: Severity;
  readonly message: string;
  readonly remediation: string;
  readonly docUrl: string;
}

/**
 * Defaults per reason code. The severity is what the code means for BAS coverage: codes of
 * not-covered flows are errors, conditional/unknown ones warnings, covered/not-applicable ones info.
 */
export const FINDING_DEFAULTS: Readonly<Record<ReasonCode, FindingText>> = {
  'host-unsupported': {
    severity: 'error',
    message: 'Signs in through a host the backup authentication system does not serve.',
    remediation:
      'Use the supported authority host: login.microsoftonline.com (Azure commercial) or login.microsoftonline.us (Azure Government).',
    docUrl: DOC.basApps,
  },
  ropc: {
    severity: 'error',
    message: 'Uses the resource owner password credentials (ROPC) grant, which BAS never supports.',
    remediation:
      'Switch to an interactive or silent MSAL flow (or a managed identity for services).',
    docUrl: DOC.basApps,
  },
  'device-code': {
    severity: 'error',
    message: 'Uses the device authorization (device code) grant, which BAS does not support.',
    remediation: 'Prefer interactive sign-in with a persisted token cache and AcquireTokenSilent.',
    docUrl: DOC.basApps,
  },
  'client-credentials': {
    severity: 'error',
    message:
      'Uses the client credentials grant: service principals "aren\u2019t protected" by BAS (2025 BAS page).',
    remediation: 'Use a managed identity where the workload runs in Azure.',
    docUrl: DOC.basWorkloads,
  },
  'confidential-client': {
    severity: 'error',
    message:
      'A confidential client (secret or certificate); BAS does not support confidential clients.',
    remediation: 'No client-side fix today; keep MSAL current so protection applies when it ships.',
    docUrl: DOC.basApps,
  },
  'on-behalf-of': {
    severity: 'error',
    message: 'Uses the on-behalf-of flow, which BAS does not support.',
    remediation: 'No client-side fix today; keep MSAL current so protection applies when it ships.',
    docUrl: DOC.basApps,
  },
  'spa-auth-code-pkce': {
    severity: 'error',
    message: 'A single-page app using authorization code + PKCE, which BAS does not support.',
    remediation:
      'No client-side fix today; BAS protects only SPAs requesting ID tokens via implicit grant.',
    docUrl: DOC.basApps,
  },
  'spa-implicit-id-token': {
    severity: 'info',
    message:
      'A single-page app requesting only ID tokens via the implicit grant (protected by BAS).',
    remediation: 'Nothing to change.',
    docUrl: DOC.basApps,
  },
  'implicit-access-token': {
    severity: 'error',
    message: 'Requests access tokens through the implicit grant, which BAS does not protect.',
    remediation:
      'Request only ID tokens through the implicit grant, or accept that this flow is not covered.',
    docUrl: DOC.basApps,
  },
  'native-silent': {
    severity: 'info',
    message: 'A native public client refreshing tokens silently (protected by BAS).',
    remediation: 'Keep the token cache persisted for at least three days.',
    docUrl: DOC.silent,
  },
  'native-interactive': {
    severity: 'warning',
    message:
      'A native app signing in interactively; BAS protects only AcquireTokenSilent from a persisted cache.',
    remediation:
      'Call AcquireTokenSilent first and fall back to interactive sign-in only when it fails; persist the cache.',
    docUrl: DOC.silent,
  },
  'token-cache-3-days': {
    severity: 'warning',
    message:
      'Coverage requires the token cache to persist for at least three days, which the wire cannot show.',
    remediation: 'Persist the MSAL token cache (platform cache or the cache serialization API).',
    docUrl: DOC.tokenCache,
  },
  userinfo: {
    severity: 'error',
    message: 'Calls the UserInfo endpoint, which BAS does not serve.',
    remediation: 'Read the user claims from the ID token instead of calling UserInfo.',
    docUrl: DOC.userinfo,
  },
  'dynamic-consent': {
    severity: 'warning',
    message: 'Asks for different scope sets over the session (dynamic or incremental consent).',
    remediation:
      'Request a fixed set of scopes, e.g. {resource}/.default, configured on the app registration.',
    docUrl: DOC.scopes,
  },
  'saml-idp-initiated': {
    severity: 'info',
    message: 'SAML IdP-initiated sign-in (protected by BAS).',
    remediation: 'Nothing to change.',
    docUrl: DOC.saml,
  },
  'saml-sp-initiated': {
    severity: 'error',
    message: 'SAML SP-initiated sign-in, which BAS does not protect.',
    remediation: 'Where the application allows it, start sign-in from the IdP (My Apps) instead.',
    docUrl: DOC.saml,
  },
  wsfed: {
    severity: 'warning',
    message: 'WS-Federation sign-in; BAS coverage of WS-Federation is not documented.',
    remediation: 'Consider moving the application to OpenID Connect with MSAL.',
    docUrl: DOC.basApps,
  },
  'managed-identity': {
    severity: 'info',
    message: 'A managed identity token request (protected by BAS).',
    remediation: 'Nothing to change.',
    docUrl: DOC.mi,
  },
  'non-msal-client': {
    severity: 'warning',
    message: 'No Microsoft Authentication Library (MSAL) was identified for this client.',
    remediation: 'Use MSAL (or strictly follow the OAuth 2.0 / OpenID Connect specifications).',
    docUrl: DOC.msal,
  },
  metadata: {
    severity: 'info',
    message: 'Metadata or discovery requests (not a sign-in).',
    remediation: 'Nothing to change.',
    docUrl: DOC.bas,
  },
  'undocumented-flow': {
    severity: 'warning',
    message:
      'Flows whose BAS coverage Microsoft does not document (IWA, broker/PRT, mTLS PoP, Cloud Shell, plain jwt-bearer).',
    remediation:
      'Prefer a documented flow (MSAL silent refresh, managed identity); otherwise confirm after an incident in the sign-in logs (token issuer type "Microsoft Entra Backup Auth").',
    docUrl: DOC.bas,
  },
  'guest-user': {
    severity: 'error',
    message: 'Signs in guests (B2B or B2C users): BAS serves only members of their home tenant.',
    remediation: 'Nothing in the app changes this; guests are not served during an outage.',
    docUrl: DOC.basUsers,
  },
  unparseable: {
    severity: 'warning',
    message: 'Some exchanges could not be parsed; their coverage is unknown.',
    remediation: 'Check the captured exchanges (truncated bodies, unusual encodings).',
    docUrl: DOC.basApps,
  },
  'legacy-auth': {
    severity: 'error',
    message:
      'Legacy authentication (IMAP, POP, SMTP, Exchange ActiveSync): a password, never served by BAS.',
    remediation: 'Move to modern authentication and block legacy authentication.',
    docUrl: DOC.basApps,
  },
  'saml-initiation-unknown': {
    severity: 'warning',
    message: 'SAML sign-ins seen only in the sign-in logs: IdP- or SP-initiated is unknown.',
    remediation: 'Capture one sign-in through the proxy or in a HAR to settle it.',
    docUrl: DOC.saml,
  },
  'sign-in-frequency': {
    severity: 'warning',
    message: 'A Conditional Access sign-in frequency policy applies: coverage is reduced.',
    remediation: 'Review the sign-in frequency control for this app.',
    docUrl: DOC.bas,
  },
  'bas-issued': {
    severity: 'info',
    message:
      'The backup authentication system issued tokens to this app (token issuer type AzureADBackupAuth).',
    remediation: '',
    docUrl: DOC.bas,
  },
  'prediction-contradicted': {
    severity: 'warning',
    message: 'What BAS really did contradicts the prediction for this app.',
    remediation: 'Review the sign-ins of the hours named.',
    docUrl: DOC.bas,
  },
  'signin-log-ambiguous': {
    severity: 'warning',
    message:
      'The sign-in logs cannot tell this app\u2019s flow apart (implicit or auth code + PKCE).',
    remediation: 'Capture one sign-in through the proxy or in a HAR to settle it.',
    docUrl: DOC.basApps,
  },
};

/** The severity a verdict stands for. */
export function severityOfVerdict(v: Verdict): Severity {
  switch (v) {
    case 'not-covered':
      return 'error';
    case 'unknown':
    case 'conditional':
      return 'warning';
    default:
      return 'info';
  }
}

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, error: 2 };

/** Alias hosts that MSAL treats as equivalent, mapped to the supported host to switch to. */
export const ALIAS_HOSTS: Readonly<Record<string, string>> = {
  'login.windows.net': 'login.microsoftonline.com',
  'login.microsoft.com': 'login.microsoftonline.com',
  'sts.windows.net': 'login.microsoftonline.com',
  'login.usgovcloudapi.net': 'login.microsoftonline.us',
};

/** The supported host for an alias host (also `{region}.login.microsoft.com`), else null. */
export function supportedHostFor(host: string): string | null {
  const direct = ALIAS_HOSTS[host];
  if (direct !== undefined) return direct;
  if (host.endsWith('.login.microsoft.com')) return 'login.microsoftonline.com';
  return null;
}

export function nativeInteractiveText(interactive: number): FindingText {
  return {
    ...FINDING_DEFAULTS['native-interactive'],
    message: `Native app seen signing in interactively (${plural(interactive, 'exchange')}) but no silent refresh observed; BAS protects only AcquireTokenSilent from a persisted cache.`,
  };
}

export function dynamicConsentText(sets: readonly string[], total: number): FindingText {
  const shown = sets
    .slice(0, 3)
    .map((s) => `"${s}"`)
    .join(', ');
  const more = total > 3 ? ` and ${total - 3} more` : '';
  return {
    ...FINDING_DEFAULTS['dynamic-consent'],
    message: `Asked for ${plural(total, 'different scope set')} over the session (${shown}${more}): dynamic or incremental consent, which BAS may not serve.`,
  };
}

export function userinfoText(calls: number): FindingText {
  return {
    ...FINDING_DEFAULTS.userinfo,
    message: `Depends on the UserInfo endpoint (${plural(calls, 'call')}); BAS does not serve it.`,
  };
}

export function nonMsalText(libraries: readonly string[]): FindingText {
  const none = libraries.length === 0;
  return {
    ...FINDING_DEFAULTS['non-msal-client'],
    severity: none ? 'info' : 'warning',
    message: none
      ? 'No MSAL library identified (no x-client-SKU seen); BAS coverage assumes MSAL or strict OAuth 2.0 / OIDC.'
      : `Uses a non-MSAL library (${libraries.slice(0, 3).join(', ')}); BAS coverage assumes MSAL or strict OAuth 2.0 / OIDC.`,
  };
}

export function hostUnsupportedText(pairs: readonly (readonly [string, string])[]): FindingText {
  const list = pairs.map(([alias, to]) => `${alias} (use ${to})`).join(', ');
  const targets = [...new Set(pairs.map(([, to]) => to))].join(' / ');
  return {
    ...FINDING_DEFAULTS['host-unsupported'],
    message: `Signs in through alias host ${list}; BAS serves only login.microsoftonline.com and login.microsoftonline.us.`,
    remediation: `Set the authority host to ${targets} (e.g. https://${targets.split(' / ')[0] ?? 'login.microsoftonline.com'}/{tenant}).`,
  };
}

/** Appended to per-reason finding messages. */
export function countSuffix(n: number): string {
  return ` (${plural(n, 'exchange')})`;
}
