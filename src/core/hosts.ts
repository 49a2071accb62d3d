/**
 * Host facts as data: which cloud a host belongs to, whether the backup authentication system (BAS)
 * serves it, what role it plays for sign-in traffic, and which supported host to switch to.
 *
 * Sources: entra-wire.md §2.1 (hosts), §2.2 (MSAL alias groups), §8 (managed-identity endpoints);
 * BAS-APPS "Hostnames supported by the backup authentication system" (only login.microsoftonline.com
 * and login.microsoftonline.us). Pure and allocation-free for exact hosts (used on the hot path).
 */
import type { Cloud } from './types.js';

export type HostRole =
  'sts' | 'userinfo' | 'launcher' | 'managed-identity' | 'client-cert' | 'other';

/**
 * What the 2025 BAS page's clouds table lists a sign-in host for (BAS "Cloud environments that
 * support the backup authentication system"): `users-and-mi` (Azure Commercial, Azure Government),
 * `mi-conflicting` (21Vianet: the table lists managed identities at this host while the text above
 * it says 21Vianet is not supported), `none` (every other host).
 */
export type BasListing = 'users-and-mi' | 'mi-conflicting' | 'none';

export interface HostFacts {
  readonly host: string;
  readonly cloud: Cloud;
  readonly supported: boolean;
  readonly basListing: BasListing;
  readonly role: HostRole;
  /** the BAS-supported host of the same cloud to switch to, for alias findings */
  readonly supportedAlternative: string | null;
}

type HostRow = Omit<HostFacts, 'host' | 'supported' | 'basListing'>;

const PUBLIC = 'login.microsoftonline.com';
const USGOV = 'login.microsoftonline.us';

/** The only hosts BAS serves (BAS-APPS). */
export const BAS_SUPPORTED_HOSTS = [PUBLIC, USGOV] as const;

/** The 2025 BAS page's clouds table, by authentication endpoint (see BasListing). */
export const BAS_CLOUD_TABLE = {
  [PUBLIC]: 'users-and-mi',
  [USGOV]: 'users-and-mi',
  'login.partner.microsoftonline.cn': 'mi-conflicting',
} as const satisfies Readonly<Record<string, BasListing>>;

/**
 * Token issuer hosts (the `iss` claim) that are not sign-in hosts, and their cloud: v1 tokens of
 * Azure operated by 21Vianet are issued as `https://sts.chinacloudapi.cn/{tid}/` (NATCLOUD).
 */
const ISSUER_HOSTS: Readonly<Record<string, Cloud>> = { 'sts.chinacloudapi.cn': 'china' };

/** Exact host names. Keys are lowercase. */
export const EXACT_HOSTS = {
  // Public cloud alias group (MSAL KnownMetadataProvider / AuthorityMetadata).
  'login.microsoftonline.com': { cloud: 'public', role: 'sts', supportedAlternative: null },
  'login.windows.net': { cloud: 'public', role: 'sts', supportedAlternative: PUBLIC },
  'login.microsoft.com': { cloud: 'public', role: 'sts', supportedAlternative: PUBLIC },
  'sts.windows.net': { cloud: 'public', role: 'sts', supportedAlternative: PUBLIC },
  // mTLS PoP token endpoint (IMDSv2 MI, SNI/mTLS confidential clients): no plain-TLS equivalent.
  'mtlsauth.microsoft.com': { cloud: 'public', role: 'sts', supportedAlternative: null },
  // Seamless SSO / IWA (Kerberos, WS-Trust) and Microsoft account STS.
  'autologon.microsoftazuread-sso.com': {
    cloud: 'public',
    role: 'sts',
    supportedAlternative: null,
  },
  'login.live.com': { cloud: 'public', role: 'sts', supportedAlternative: null },
  // US Government alias group, plus the legacy US authority (its own MSAL group).
  'login.microsoftonline.us': { cloud: 'usgov', role: 'sts', supportedAlternative: null },
  'login.usgovcloudapi.net': { cloud: 'usgov', role: 'sts', supportedAlternative: USGOV },
  'login-us.microsoftonline.com': { cloud: 'usgov', role: 'sts', supportedAlternative: USGOV },
  'mtlsauth.microsoftonline.us': { cloud: 'usgov', role: 'sts', supportedAlternative: null },
  // China (21Vianet): no BAS-supported host for user sign-ins.
  'login.partner.microsoftonline.cn': { cloud: 'china', role: 'sts', supportedAlternative: null },
  'login.chinacloudapi.cn': { cloud: 'china', role: 'sts', supportedAlternative: null },
  'mtlsauth.partner.microsoftonline.cn': {
    cloud: 'china',
    role: 'sts',
    supportedAlternative: null,
  },
  // Germany (closed 2021), sovereign clouds and PPE: Entra STS hosts outside the contract's clouds.
  'login.microsoftonline.de': { cloud: 'unknown', role: 'sts', supportedAlternative: null },
  'login.sovcloud-identity.fr': { cloud: 'unknown', role: 'sts', supportedAlternative: null },
  'login.sovcloud-identity.de': { cloud: 'unknown', role: 'sts', supportedAlternative: null },
  'login.sovcloud-identity.sg': { cloud: 'unknown', role: 'sts', supportedAlternative: null },
  'login.windows-ppe.net': { cloud: 'unknown', role: 'sts', supportedAlternative: null },
  'sts.windows-ppe.net': { cloud: 'unknown', role: 'sts', supportedAlternative: null },
  'login.microsoft-ppe.com': { cloud: 'unknown', role: 'sts', supportedAlternative: null },
  // UserInfo is served by Microsoft Graph (v2 /oidc/userinfo).
  'graph.microsoft.com': { cloud: 'public', role: 'userinfo', supportedAlternative: null },
  'graph.microsoft.us': { cloud: 'usgov', role: 'userinfo', supportedAlternative: null },
  'dod-graph.microsoft.us': { cloud: 'usgov', role: 'userinfo', supportedAlternative: null },
  'microsoftgraph.chinacloudapi.cn': {
    cloud: 'china',
    role: 'userinfo',
    supportedAlternative: null,
  },
  // My Apps / app launcher: entry points of IdP-initiated SAML sign-ins.
  'myapps.microsoft.com': { cloud: 'public', role: 'launcher', supportedAlternative: null },
  'launcher.myapps.microsoft.com': {
    cloud: 'public',
    role: 'launcher',
    supportedAlternative: null,
  },
  'account.activedirectory.windowsazure.com': {
    cloud: 'public',
    role: 'launcher',
    supportedAlternative: null,
  },
  // Client-certificate (device) authentication: must never be TLS-intercepted (tenant-restrictions
  // guidance). The .us twins are assumed by analogy with the public cloud; listing them only
  // keeps the proxy from breaking them.
  'device.login.microsoftonline.com': {
    cloud: 'public',
    role: 'client-cert',
    supportedAlternative: null,
  },
  'enterpriseregistration.windows.net': {
    cloud: 'public',
    role: 'client-cert',
    supportedAlternative: null,
  },
  'device.login.microsoftonline.us': {
    cloud: 'usgov',
    role: 'client-cert',
    supportedAlternative: null,
  },
  'enterpriseregistration.microsoftonline.us': {
    cloud: 'usgov',
    role: 'client-cert',
    supportedAlternative: null,
  },
  // Azure Instance Metadata Service (VM / VMSS managed identity), any port (80 in practice).
  '169.254.169.254': { cloud: 'unknown', role: 'managed-identity', supportedAlternative: null },
} as const satisfies Readonly<Record<string, HostRow>>;

/** Host-name suffixes (matched on a label boundary). First match wins. */
export const SUFFIX_HOSTS = [
  // Azure AD B2C and Entra External ID: not covered (BAS R15 excludes B2C users).
  { suffix: '.b2clogin.com', cloud: 'b2c', role: 'sts', supportedAlternative: null },
  { suffix: '.b2clogin.cn', cloud: 'b2c', role: 'sts', supportedAlternative: null },
  { suffix: '.b2clogin.us', cloud: 'b2c', role: 'sts', supportedAlternative: null },
  { suffix: '.b2clogin.de', cloud: 'b2c', role: 'sts', supportedAlternative: null },
  { suffix: '.ciamlogin.com', cloud: 'ciam', role: 'sts', supportedAlternative: null },
  // Regional mTLS endpoints: {region}.mtlsauth.microsoft.com.
  { suffix: '.mtlsauth.microsoft.com', cloud: 'public', role: 'sts', supportedAlternative: null },
  // ESTS-R regional endpoints: {region}.login.microsoft.com (opt-in, confidential clients).
  { suffix: '.login.microsoft.com', cloud: 'public', role: 'sts', supportedAlternative: PUBLIC },
] as const satisfies readonly (HostRow & { readonly suffix: string })[];

/** Loopback managed-identity endpoints, by port (§8). App Service's IDENTITY_ENDPOINT port varies and
 * is recognised by path/header in the classifier instead. */
export const LOCAL_MI_PORTS = {
  40342: 'azure-arc',
  2377: 'service-fabric',
  50342: 'cloud-shell',
} as const satisfies Readonly<Record<number, string>>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

const INTERCEPTED_ROLES: ReadonlySet<HostRole> = new Set<HostRole>([
  'sts',
  'userinfo',
  'launcher',
  'managed-identity',
]);

const EXACT = new Map<string, HostFacts>(
  Object.entries(EXACT_HOSTS).map(([host, row]): [string, HostFacts] => [
    host,
    Object.freeze({ host, ...row, supported: isSupportedName(host), basListing: listingOf(host) }),
  ]),
);

function isSupportedName(host: string): boolean {
  return host === PUBLIC || host === USGOV;
}

function listingOf(host: string): BasListing {
  return Object.hasOwn(BAS_CLOUD_TABLE, host)
    ? BAS_CLOUD_TABLE[host as keyof typeof BAS_CLOUD_TABLE]
    : 'none';
}

function normalize(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** Facts about `host` (lowercase, no port). `port` only matters for loopback managed-identity endpoints. */
export function hostFacts(host: string, port?: number): HostFacts {
  const h = normalize(host);
  const exact = EXACT.get(h);
  if (exact !== undefined) return exact;
  if (LOOPBACK.has(h) && port !== undefined && port in LOCAL_MI_PORTS) {
    return {
      host: h,
      cloud: 'unknown',
      supported: false,
      basListing: 'none',
      role: 'managed-identity',
      supportedAlternative: null,
    };
  }
  for (const row of SUFFIX_HOSTS) {
    // Require at least one label before the suffix ("x.b2clogin.com", not "b2clogin.com").
    if (h.length > row.suffix.length && h.endsWith(row.suffix)) {
      return {
        host: h,
        cloud: row.cloud,
        supported: false,
        basListing: 'none',
        role: row.role,
        supportedAlternative: row.supportedAlternative,
      };
    }
  }
  return {
    host: h,
    cloud: 'unknown',
    supported: false,
    basListing: 'none',
    role: 'other',
    supportedAlternative: null,
  };
}

/**
 * The cloud of a token's issuer (`iss`, e.g. `https://sts.windows.net/{tid}/`,
 * `https://login.partner.microsoftonline.cn/{tid}/v2.0`), or null when it names no known Entra
 * sign-in or issuer host.
 */
export function issuerCloud(iss: string): Cloud | null {
  const m = /^https:\/\/([^/:?#]+)/i.exec(iss);
  if (m === null) return null;
  const h = normalize(m[1] ?? '');
  const known = ISSUER_HOSTS[h];
  if (known !== undefined && Object.hasOwn(ISSUER_HOSTS, h)) return known;
  const f = hostFacts(h);
  return f.role === 'sts' ? f.cloud : null;
}

/** true for hosts whose TLS the proxy should decrypt by default: role sts|userinfo|launcher|managed-identity (not client-cert) */
export function isInterceptedByDefault(host: string, port: number): boolean {
  return INTERCEPTED_ROLES.has(hostFacts(host, port).role);
}
