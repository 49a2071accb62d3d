/**
 * A sign-in log row -> the facts the BAS rules read (rules.ts RuleFacts) and the contract fields of
 * its record, judged by the same rules table as captured traffic (reasons.ts `judge`). Pure.
 *
 * What the logs cannot show stays open: a public client signing in through a browser may be an SPA
 * on implicit id_token-only (covered) or on auth code + PKCE (not covered), and a SAML sign-in may
 * be IdP- or SP-initiated; both give `unknown` with a reason that says which capture settles it.
 * The logs do not show the host name either: the record's host is empty and rules read the
 * supported host (the report's limits say so).
 *
 * Sources: signin-logs.md §2 (fields and enumerations) and §4 (what the 2025 BAS page says about
 * them).
 */
import { hostFacts } from '../../core/hosts.js';
import type {
  AppType,
  ClientCredential,
  ClientType,
  Endpoint,
  GrantType,
  Protocol,
  Reason,
  Verdict,
} from '../../core/types.js';
import { judge } from '../../classifiers/reasons.js';
import type { FlowVariant, RuleFacts } from '../../classifiers/rules.js';
import type { SignInRow } from './row.js';

/** The contract fields a sign-in row tells, and its verdict. */
export interface SignInJudgement {
  readonly protocol: Protocol;
  readonly endpoint: RuleFacts['endpoint'];
  readonly grantType: GrantType | null;
  readonly clientType: ClientType;
  readonly clientCredential: ClientCredential;
  readonly appType: AppType;
  readonly interaction: 'silent' | 'interactive' | null;
  readonly managedIdentity: string | null;
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
}

/**
 * `clientAppUsed` values of legacy authentication (they send a password: IMAP, POP, SMTP, Exchange
 * ActiveSync, the "Other clients" group), folded by row.ts `token`.
 */
const LEGACY_CLIENT_APPS = new Set([
  'imap',
  'imap4',
  'pop',
  'pop3',
  'smtp',
  'authenticatedsmtp',
  'exchangeactivesync',
  'otherclients',
  'mapi',
  'mapioverhttp',
  'offlineaddressbook',
  'outlookanywhererpcoverhttp',
  'exchangeonlinepowershell',
  'exchangewebservices',
  'reportingwebservices',
  'autodiscover',
  'universaloutlook',
]);

const CONFIDENTIAL_CREDENTIALS: Readonly<Record<string, ClientCredential>> = {
  clientsecret: 'secret',
  certificate: 'certificate',
  clientassertion: 'certificate',
  federatedidentitycredential: 'federated',
};

/** The wire-only facts, neutral for a sign-in row (no host, no request shape to read). */
const NEUTRAL = {
  hostRole: 'sts',
  hostSupported: true,
  cloud: 'public',
  basListing: 'users-and-mi',
  b2cPolicy: false,
  pkce: null,
  samlInitiation: null,
  samlMessage: null,
  implicit: null,
  miSource: null,
  msal: true,
  miToken: false,
  issuerCloud: null,
  evidence: 'signin-log',
} as const;

/** A guest: a cross-tenant access type other than none, a guest user type, or another home tenant. */
export function isGuest(row: SignInRow): boolean {
  // A fact tuple (kql.ts) carries the answer the query engine computed by the same test.
  if (row.guest !== undefined) return row.guest;
  if (
    row.crossTenant !== null &&
    row.crossTenant !== 'none' &&
    row.crossTenant !== 'unknownfuturevalue'
  )
    return true;
  if (row.userType === 'guest') return true;
  return (
    row.homeTenant !== null && row.resourceTenant !== null && row.homeTenant !== row.resourceTenant
  );
}

type Flow = Pick<
  SignInJudgement,
  'protocol' | 'endpoint' | 'grantType' | 'clientType' | 'clientCredential' | 'appType'
>;

/** The contract fields of a flow, in SignInJudgement's order. */
function flow(
  protocol: Protocol,
  endpoint: Endpoint,
  grantType: GrantType | null,
  clientType: ClientType,
  clientCredential: ClientCredential,
  appType: AppType,
): Flow {
  return { protocol, endpoint, grantType, clientType, clientCredential, appType };
}

type Shape = Omit<SignInJudgement, 'verdict' | 'reasons'> & { readonly variant: FlowVariant };

function shapeOf(row: SignInRow): Shape {
  const base = { interaction: null, managedIdentity: null, variant: 'none' as FlowVariant };
  if (
    row.eventType === 'managedIdentity' ||
    row.credential === 'managedidentity' ||
    row.msiType === 'systemassigned' ||
    row.msiType === 'userassigned'
  ) {
    const managedIdentity = row.msiType === 'userassigned' ? 'user-assigned' : 'system-assigned';
    const mi = 'managed-identity';
    return {
      ...base,
      ...flow(mi, 'imds', 'managed_identity', 'confidential', 'none', mi),
      managedIdentity,
    };
  }
  if (row.eventType === 'servicePrincipal') {
    const credential = CONFIDENTIAL_CREDENTIALS[row.credential ?? ''] ?? 'unknown';
    const f = flow('oauth2', 'token', 'client_credentials', 'confidential', credential, 'service');
    return { ...base, ...f };
  }
  const interactive =
    row.eventType === 'interactiveUser'
      ? true
      : row.eventType === 'nonInteractiveUser'
        ? false
        : null;
  const interaction = interactive === null ? null : interactive ? 'interactive' : 'silent';
  const user = { ...base, interaction } as const;
  // A confidential or native client's silent sign-in redeems a refresh token.
  const code = interactive === false ? 'refresh_token' : 'authorization_code';
  if (row.clientApp !== null && LEGACY_CLIENT_APPS.has(row.clientApp)) {
    const f = flow('unknown', 'other', 'password', 'unknown', 'unknown', 'unknown');
    return { ...user, ...f, variant: 'legacy-auth' };
  }
  if (row.protocol === 'ropc') {
    return { ...user, ...flow('oauth2', 'token', 'password', 'unknown', 'unknown', 'unknown') };
  }
  if (row.protocol === 'devicecode' || row.transferMethod === 'devicecode') {
    return { ...user, ...flow('oauth2', 'token', 'device_code', 'public', 'none', 'native') };
  }
  if (row.protocol === 'saml20') {
    return { ...user, ...flow('saml2', 'saml2', null, 'unknown', 'unknown', 'web') };
  }
  if (row.protocol === 'wsfederation') {
    return { ...user, ...flow('wsfed', 'wsfed', null, 'unknown', 'unknown', 'web') };
  }
  const credential = CONFIDENTIAL_CREDENTIALS[row.credential ?? ''];
  if (credential !== undefined) {
    return { ...user, ...flow('oauth2', 'token', code, 'confidential', credential, 'web') };
  }
  if (row.clientApp === 'mobileappsanddesktopclients') {
    return { ...user, ...flow('oauth2', 'token', code, 'public', 'none', 'native') };
  }
  // A public client in a browser, or one the row does not describe: the logs cannot tell implicit
  // id_token-only from auth code + PKCE.
  const type = row.credential === 'none' ? 'public' : 'unknown';
  const cred = row.credential === 'none' ? 'none' : 'unknown';
  const app = row.clientApp === 'browser' ? 'spa' : 'unknown';
  const f = flow('oauth2', 'token', null, type, cred, app);
  return { ...user, ...f, variant: 'signin-ambiguous' };
}

const SUPPORTED = hostFacts('login.microsoftonline.com', 443);

/** Judge one sign-in row with the rules table. */
export function judgeSignIn(row: SignInRow): SignInJudgement {
  const { variant, ...s } = shapeOf(row);
  const facts: RuleFacts = {
    ...NEUTRAL,
    ...s,
    variant,
    msal: row.library === null || /msal/i.test(row.library),
    guest:
      isGuest(row) && s.protocol !== 'managed-identity' && s.appType !== 'service'
        ? 'signin-log'
        : null,
    signInFrequency: row.signInFrequency,
  };
  return { ...s, ...judge(facts, SUPPORTED, '', []) };
}
