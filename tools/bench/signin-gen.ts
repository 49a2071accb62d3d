/**
 * A synthetic tenant's sign-in logs, with the ground truth of every application: which flow it
 * uses, the verdict and reason the BAS rules should give it, and what BAS really did during a
 * monthly BAS exercise hour. Written in every export shape a user can get (Graph beta pages, the
 * admin-center JSON and CSV downloads with their header traps, diagnostic-settings NDJSON and
 * records blobs, Log Analytics CSV/JSON), streamed (bounded memory for any row count).
 *
 * Every row carries planted personal data (user names, UPNs, user/device/session ids, IPs,
 * locations) marked with PII_MARK, so tests can search every output for it. Deterministic for a
 * given seed. No real tenant's data: every id is made up here.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';

export type AppKind =
  | 'native-silent'
  | 'native-interactive'
  | 'browser-public'
  | 'web-confidential'
  | 'sp-secret'
  | 'sp-certificate'
  | 'sp-federated'
  | 'mi-system'
  | 'mi-user'
  | 'ropc'
  | 'device-code'
  | 'legacy-imap'
  | 'legacy-smtp'
  | 'saml'
  | 'wsfed'
  | 'guest-native'
  | 'sif-native';

/** What BAS did for the app during the exercise hour: issued its tokens, nothing seen, or its sign-ins failed while BAS served others. */
export type BasOutcome = 'issued' | 'none' | 'failed-during-bas';

export interface TenantApp {
  readonly appId: string;
  readonly name: string;
  readonly kind: AppKind;
  readonly bas: BasOutcome;
  /** The verdict and flow reason the rules should give it from its logs alone. */
  readonly expected: { readonly verdict: string; readonly reason: string };
}

export const PII_MARK = 'pii-planted';
/** The planted IP prefix (TEST-NET-3, never a real host) and location. */
export const PII_IP = '203.0.113.';
export const PII_CITY = 'Piiville';

export const TENANT_ID = '72f988bf-0000-4000-8000-00000000aaaa';
const OTHER_TENANT = '4b5c6d7e-0000-4000-8000-00000000bbbb';

const EXPECTED: Readonly<Record<AppKind, { verdict: string; reason: string }>> = {
  'native-silent': { verdict: 'conditional', reason: 'native-silent' },
  'native-interactive': { verdict: 'conditional', reason: 'native-interactive' },
  'browser-public': { verdict: 'unknown', reason: 'signin-log-ambiguous' },
  'web-confidential': { verdict: 'not-covered', reason: 'confidential-client' },
  'sp-secret': { verdict: 'not-covered', reason: 'client-credentials' },
  'sp-certificate': { verdict: 'not-covered', reason: 'client-credentials' },
  'sp-federated': { verdict: 'not-covered', reason: 'client-credentials' },
  'mi-system': { verdict: 'covered', reason: 'managed-identity' },
  'mi-user': { verdict: 'covered', reason: 'managed-identity' },
  ropc: { verdict: 'not-covered', reason: 'ropc' },
  'device-code': { verdict: 'not-covered', reason: 'device-code' },
  'legacy-imap': { verdict: 'not-covered', reason: 'legacy-auth' },
  'legacy-smtp': { verdict: 'not-covered', reason: 'legacy-auth' },
  saml: { verdict: 'unknown', reason: 'saml-initiation-unknown' },
  wsfed: { verdict: 'unknown', reason: 'wsfed' },
  'guest-native': { verdict: 'not-covered', reason: 'guest-user' },
  'sif-native': { verdict: 'conditional', reason: 'native-silent' },
};

const KINDS = Object.keys(EXPECTED) as AppKind[];

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuid(rand: () => number): string {
  const h = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${h(8)}-${h(4)}-4${h(3)}-8${h(3)}-${h(12)}`;
}

/**
 * The tenant's applications: every kind at least once (in order), then kinds at random. The first
 * apps of some kinds get a BAS outcome: covered ones issued by BAS, a ROPC app that BAS served
 * anyway (a prediction contradicted), a managed identity whose sign-ins failed while BAS served the
 * others (the reverse).
 */
export function makeTenant(apps: number, seed = 1): TenantApp[] {
  const rand = prng(seed);
  const out: TenantApp[] = [];
  for (let i = 0; i < apps; i++) {
    const kind =
      i < KINDS.length
        ? (KINDS[i] as AppKind)
        : (KINDS[Math.floor(rand() * KINDS.length)] as AppKind);
    let bas: BasOutcome = 'none';
    if (i < KINDS.length) {
      if (kind === 'mi-system' || kind === 'native-silent') bas = 'issued';
      if (kind === 'ropc') bas = 'issued';
      if (kind === 'mi-user') bas = 'failed-during-bas';
    }
    out.push({
      appId: uuid(rand),
      name: `Contoso ${kind} app ${i + 1}`,
      kind,
      bas,
      expected: EXPECTED[kind],
    });
  }
  return out;
}

/** The exercise hour: BAS served the tenant then. */
export const BAS_HOUR = Date.UTC(2026, 10, 12, 14);
const START = Date.UTC(2026, 10, 1);
const SPAN = 28 * 24 * 3600 * 1000;

type Row = Record<string, unknown>;

function eventTypeOf(kind: AppKind, interactive: boolean): string {
  if (kind.startsWith('sp-')) return 'servicePrincipal';
  if (kind.startsWith('mi-')) return 'managedIdentity';
  return interactive ? 'interactiveUser' : 'nonInteractiveUser';
}

/** One Graph beta signIn resource (camelCase), personal fields planted. */
export function signInRow(app: TenantApp, n: number, rand: () => number): Row {
  const k = app.kind;
  // Every app signs in once during the BAS hour (its first row), then spread over the month.
  const t = n === 0 ? BAS_HOUR + Math.floor(rand() * 3_000_000) : START + Math.floor(rand() * SPAN);
  const inBasHour = t >= BAS_HOUR && t < BAS_HOUR + 3_600_000;
  const interactive =
    k === 'native-interactive' ||
    k === 'browser-public' ||
    k === 'saml' ||
    k === 'wsfed' ||
    k === 'device-code' ||
    (k === 'web-confidential' && n % 2 === 0) ||
    (!k.startsWith('sp-') &&
      !k.startsWith('mi-') &&
      n % 5 === 0 &&
      k !== 'native-silent' &&
      k !== 'sif-native' &&
      k !== 'guest-native');
  const user = !k.startsWith('sp-') && !k.startsWith('mi-');
  const protocol =
    k === 'ropc'
      ? 'ropc'
      : k === 'device-code'
        ? 'deviceCode'
        : k === 'saml'
          ? 'saml20'
          : k === 'wsfed'
            ? 'wsFederation'
            : k.startsWith('legacy')
              ? 'none'
              : 'oAuth2';
  const credential =
    k === 'sp-secret' || k === 'web-confidential'
      ? 'clientSecret'
      : k === 'sp-certificate'
        ? 'certificate'
        : k === 'sp-federated'
          ? 'federatedIdentityCredential'
          : k.startsWith('mi-')
            ? 'managedIdentity'
            : 'none';
  const clientApp =
    k === 'legacy-imap'
      ? 'IMAP4'
      : k === 'legacy-smtp'
        ? 'Authenticated SMTP'
        : k === 'browser-public' || k === 'saml' || k === 'wsfed' || k === 'web-confidential'
          ? 'Browser'
          : user
            ? 'Mobile Apps and Desktop clients'
            : '';
  const failed = app.bas === 'failed-during-bas' && inBasHour;
  const issuedByBas = app.bas === 'issued' && inBasHour;
  const guest = k === 'guest-native';
  const id = uuid(rand);
  return {
    id,
    createdDateTime: new Date(t).toISOString(),
    userDisplayName: user ? `${PII_MARK} Name ${n}` : null,
    userPrincipalName: user ? `${PII_MARK}.user${n}@contoso.example` : null,
    userId: user ? `${PII_MARK}-user-${uuid(rand)}` : '',
    userType: guest ? 'guest' : user ? 'member' : null,
    appId: app.appId,
    appDisplayName: app.name,
    ipAddress: `${PII_IP}${(n % 250) + 1}`,
    ipAddressFromResourceProvider: `${PII_IP}${(n % 250) + 2}`,
    clientAppUsed: clientApp,
    userAgent: `Mozilla/5.0 ${PII_MARK}-agent`,
    correlationId: uuid(rand),
    conditionalAccessStatus: 'notApplied',
    originalRequestId: id,
    isInteractive: interactive,
    tokenIssuerName: '',
    tokenIssuerType: issuedByBas ? 'AzureADBackupAuth' : 'AzureAD',
    clientCredentialType: credential,
    authenticationProtocol: protocol,
    originalTransferMethod: k === 'device-code' ? 'deviceCodeFlow' : 'none',
    incomingTokenType: !interactive && user ? 'refreshToken' : 'none',
    signInEventTypes: [eventTypeOf(k, interactive)],
    crossTenantAccessType: guest ? 'b2bCollaboration' : 'none',
    homeTenantId: guest ? OTHER_TENANT : TENANT_ID,
    resourceTenantId: TENANT_ID,
    uniqueTokenIdentifier: Buffer.from(id).toString('base64url'),
    sessionId: `${PII_MARK}-session-${uuid(rand)}`,
    servicePrincipalId: user ? '' : uuid(rand),
    servicePrincipalName: user ? null : app.name,
    managedServiceIdentity: {
      msiType: k === 'mi-system' ? 'systemAssigned' : k === 'mi-user' ? 'userAssigned' : 'none',
      associatedResourceId: k.startsWith('mi-') ? `/subscriptions/${PII_MARK}/vm1` : null,
      federatedTokenId: null,
      federatedTokenIssuer: null,
    },
    status: failed
      ? { errorCode: 500011, failureReason: 'Service unavailable', additionalDetails: null }
      : { errorCode: 0, failureReason: 'Other.', additionalDetails: null },
    deviceDetail: {
      deviceId: user ? `${PII_MARK}-device-${uuid(rand)}` : '',
      displayName: user ? `${PII_MARK}-laptop` : '',
      operatingSystem: 'Windows10',
      browser: 'Edge 140.0',
    },
    location: {
      city: PII_CITY,
      state: `${PII_MARK} State`,
      countryOrRegion: 'ZZ',
      geoCoordinates: { latitude: 47.6, longitude: -122.1 },
    },
    authenticationProcessingDetails:
      user && !k.startsWith('legacy')
        ? [
            {
              key: 'Azure AD App Authentication Library',
              value: 'Family: MSAL Library: MSAL.NET 4.61.3 Platform: .NET',
            },
          ]
        : [],
    sessionLifetimePolicies:
      k === 'sif-native'
        ? [
            {
              expirationRequirement: 'signInFrequencyPeriodicReauthentication',
              detail: 'Sign-in frequency: 1 hour',
            },
          ]
        : [],
    appliedConditionalAccessPolicies: [],
    resourceDisplayName: 'Microsoft Graph',
    resourceId: '00000003-0000-0000-c000-000000000000',
    agent: { agentType: 'notAgentic' },
    someFutureKey: { nested: [1, 2, 3] },
  };
}

/** Rows of the tenant, round-robin over its apps, `n` in all (each app's first row falls in the BAS hour). */
export function* tenantRows(
  tenant: readonly TenantApp[],
  n: number,
  seed = 2,
): Generator<{ app: TenantApp; row: Row }> {
  const rand = prng(seed);
  for (let i = 0; i < n; i++) {
    const app = tenant[i % tenant.length] as TenantApp;
    yield { app, row: signInRow(app, Math.floor(i / tenant.length), rand) };
  }
}

async function write(out: WriteStream, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain');
}

async function finish(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

/** Graph beta pages: `{"@odata.context", "value": [...], "@odata.nextLink"}`, one per line (JSON lines of pages) or one document. */
export async function writeGraph(
  path: string,
  rows: Iterable<Row>,
  opts: { pageSize?: number; pretty?: boolean } = {},
): Promise<void> {
  const out = createWriteStream(path);
  const size = opts.pageSize ?? 1000;
  let page: Row[] = [];
  let pageNo = 0;
  const flush = async (last: boolean): Promise<void> => {
    const doc = {
      '@odata.context': 'https://graph.microsoft.com/beta/$metadata#auditLogs/signIns',
      value: page,
      ...(last
        ? {}
        : {
            '@odata.nextLink': `https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=${pageNo + 1}`,
          }),
    };
    await write(out, `${opts.pretty ? JSON.stringify(doc, null, 2) : JSON.stringify(doc)}\n`);
    page = [];
    pageNo++;
  };
  for (const r of rows) {
    page.push(r);
    if (page.length >= size) await flush(false);
  }
  await flush(true);
  await finish(out);
}

/** The admin-center JSON download: one top-level array. */
export async function writeAdminJson(path: string, rows: Iterable<Row>): Promise<void> {
  const out = createWriteStream(path);
  await write(out, '[');
  let first = true;
  for (const r of rows) {
    await write(out, `${first ? '\n' : ',\n'}${JSON.stringify(r)}`);
    first = false;
  }
  await write(out, '\n]\n');
  await finish(out);
}

/** The 56-column interactive/non-interactive header of the admin-center CSV, traps included. */
export const ADMIN_CSV_HEADER =
  'Date (UTC),Request ID,User agent,Correlation ID,User ID,User,Username,User type,Cross tenant access type,Incoming token type,Authentication Protocol,Unique token identifier,Original transfer method,Client credential type,Token Protection - Sign In Session,Token Protection - Sign In Session StatusCode,Application,Application ID ,App owner tenant ID,Resource,Resource ID ,Resource tenant ID,Resource owner tenant ID,Home tenant ID,Home tenant name,IP address,Location,Status,Sign-in error code,Failure reason,Client app,Device ID,Browser,Operating System,Compliant,Managed,Join Type,Multifactor authentication result,Multifactor authentication auth method,Multifactor authentication auth detail,Authentication requirement,Sign-in identifier,Session ID,IP address (seen by resource),Through Global Secure Access,Global Secure Access IP address,Autonomous system  number,Flagged for review,Token issuer type,Incoming token type,Token issuer name,Latency,Conditional Access,Managed Identity type,Associated Resource Id,Federated Token Id,Federated Token Issuer';

export const ADMIN_SP_CSV_HEADER =
  'Date (UTC),Request ID,Correlation ID,Service principal ID,Service principal name,Credential key ID,Credential thumbprint,Application,Application ID ,App owner tenant ID,Resource,Resource ID ,Resource tenant ID,Resource owner tenant ID,Home tenant ID,Home tenant name,IP address,Location,Status,Sign-in error code,Failure reason,Conditional Access';

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Display text as the admin center writes enum values ("Azure AD Backup Auth", "OAuth 2.0"...). */
const DISPLAY: Readonly<Record<string, string>> = {
  AzureADBackupAuth: 'Azure AD Backup Auth',
  AzureAD: 'Azure AD',
  oAuth2: 'OAuth 2.0',
  ropc: 'ROPC',
  deviceCode: 'Device code',
  saml20: 'SAML 2.0',
  wsFederation: 'WS-Federation',
  none: 'None',
  clientSecret: 'Client secret',
  certificate: 'Certificate',
  federatedIdentityCredential: 'Federated identity credential',
  managedIdentity: 'Managed identity',
  b2bCollaboration: 'B2B collaboration',
  refreshToken: 'Refresh token',
  deviceCodeFlow: 'Device code flow',
  systemAssigned: 'System Assigned',
  userAssigned: 'User Assigned',
  member: 'Member',
  guest: 'Guest',
};

const display = (v: unknown): unknown => (typeof v === 'string' ? (DISPLAY[v] ?? v) : v);

/** One admin-center CSV line for a Graph row, in the 56-column (user) or 22-column (service principal) header's order. */
function adminCsvLine(r: Row, sp: boolean): string {
  const status = r['status'] as { errorCode: number; failureReason: string };
  const loc = r['location'] as { city: string; state: string; countryOrRegion: string };
  const dev = r['deviceDetail'] as { deviceId: string; browser: string; operatingSystem: string };
  const msi = r['managedServiceIdentity'] as {
    msiType: string;
    associatedResourceId: string | null;
  };
  const location = `${loc.city}, ${loc.state}, ${loc.countryOrRegion}`;
  const ok = status.errorCode === 0 ? 'Success' : 'Failure';
  const fields = sp
    ? [
        r['createdDateTime'],
        r['id'],
        r['correlationId'],
        r['servicePrincipalId'],
        r['servicePrincipalName'],
        '',
        '',
        r['appDisplayName'],
        r['appId'],
        TENANT_ID,
        r['resourceDisplayName'],
        r['resourceId'],
        TENANT_ID,
        TENANT_ID,
        r['homeTenantId'],
        'Contoso',
        r['ipAddress'],
        location,
        ok,
        status.errorCode,
        status.failureReason,
        'Not Applied',
      ]
    : [
        r['createdDateTime'],
        r['id'],
        r['userAgent'],
        r['correlationId'],
        r['userId'],
        r['userDisplayName'],
        r['userPrincipalName'],
        display(r['userType']),
        display(r['crossTenantAccessType']),
        display(r['incomingTokenType']),
        display(r['authenticationProtocol']),
        r['uniqueTokenIdentifier'],
        display(r['originalTransferMethod']),
        display(r['clientCredentialType']),
        '',
        '',
        r['appDisplayName'],
        r['appId'],
        TENANT_ID,
        r['resourceDisplayName'],
        r['resourceId'],
        TENANT_ID,
        TENANT_ID,
        r['homeTenantId'],
        'Contoso',
        r['ipAddress'],
        location,
        ok,
        status.errorCode,
        status.failureReason,
        r['clientAppUsed'],
        dev.deviceId,
        dev.browser,
        dev.operatingSystem,
        'No',
        'No',
        '',
        '',
        '',
        '',
        'Single-factor authentication',
        r['userPrincipalName'],
        r['sessionId'],
        r['ipAddressFromResourceProvider'],
        'No',
        '',
        '8075',
        'No',
        display(r['tokenIssuerType']),
        'Refresh token',
        '',
        '120',
        'Not Applied',
        display(msi.msiType === 'none' ? '' : msi.msiType),
        msi.associatedResourceId ?? '',
        '',
        '',
      ];
  return fields.map(csvField).join(',');
}

/** The admin-center CSV download of one event type (the file name tells the type, as the portal names it). */
export async function writeAdminCsv(
  path: string,
  rows: Iterable<Row>,
  servicePrincipal = false,
): Promise<void> {
  const out = createWriteStream(path);
  await write(out, `\ufeff${servicePrincipal ? ADMIN_SP_CSV_HEADER : ADMIN_CSV_HEADER}\r\n`);
  for (const r of rows) await write(out, `${adminCsvLine(r, servicePrincipal)}\r\n`);
  await finish(out);
}

const CATEGORY: Readonly<Record<string, string>> = {
  interactiveUser: 'SignInLogs',
  nonInteractiveUser: 'NonInteractiveUserSignInLogs',
  servicePrincipal: 'ServicePrincipalSignInLogs',
  managedIdentity: 'ManagedIdentitySignInLogs',
};

function diagRecord(r: Row): Row {
  const types = r['signInEventTypes'] as string[];
  const status = r['status'] as { errorCode: number };
  return {
    time: r['createdDateTime'],
    resourceId: `/tenants/${TENANT_ID}/providers/Microsoft.aadiam`,
    operationName: 'Sign-in activity',
    operationVersion: '1.0',
    category: CATEGORY[types[0] ?? ''] ?? 'SignInLogs',
    tenantId: TENANT_ID,
    resultType: String(status.errorCode),
    resultSignature: 'None',
    durationMs: 0,
    callerIpAddress: r['ipAddress'],
    correlationId: r['correlationId'],
    identity: r['userDisplayName'],
    Level: 4,
    location: 'ZZ',
    properties: r,
  };
}

/** Diagnostic settings: NDJSON records, or `{"records": [...]}` blobs (storage account), one per line. */
export async function writeDiag(
  path: string,
  rows: Iterable<Row>,
  opts: { blobs?: number } = {},
): Promise<void> {
  const out = createWriteStream(path);
  if (!opts.blobs) {
    for (const r of rows) await write(out, `${JSON.stringify(diagRecord(r))}\n`);
  } else {
    let blob: Row[] = [];
    for (const r of rows) {
      blob.push(diagRecord(r));
      if (blob.length >= opts.blobs) {
        await write(out, `${JSON.stringify({ records: blob })}\n`);
        blob = [];
      }
    }
    if (blob.length > 0) await write(out, `${JSON.stringify({ records: blob })}\n`);
  }
  await finish(out);
}

const LA_TABLE: Readonly<Record<string, string>> = {
  interactiveUser: 'SigninLogs',
  nonInteractiveUser: 'AADNonInteractiveUserSignInLogs',
  servicePrincipal: 'AADServicePrincipalSignInLogs',
  managedIdentity: 'AADManagedIdentitySignInLogs',
};

/** A Log Analytics row (PascalCase columns; dynamic columns as JSON text in CSV). */
export function laRow(r: Row): Row {
  const types = r['signInEventTypes'] as string[];
  const status = r['status'] as { errorCode: number };
  const msi = r['managedServiceIdentity'] as { msiType: string };
  return {
    TenantId: TENANT_ID,
    SourceSystem: 'Azure AD',
    TimeGenerated: r['createdDateTime'],
    ResultType: String(status.errorCode),
    CorrelationId: r['correlationId'],
    Identity: r['userDisplayName'],
    UserPrincipalName: r['userPrincipalName'],
    UserId: r['userId'],
    UserType: r['userType'],
    AppDisplayName: r['appDisplayName'],
    AppId: r['appId'],
    AuthenticationProtocol: r['authenticationProtocol'],
    AuthenticationProcessingDetails: JSON.stringify(r['authenticationProcessingDetails']),
    ClientAppUsed: r['clientAppUsed'],
    ClientCredentialType: r['clientCredentialType'],
    CrossTenantAccessType: r['crossTenantAccessType'],
    HomeTenantId: r['homeTenantId'],
    ResourceTenantId: r['resourceTenantId'],
    IPAddress: r['ipAddress'],
    IsInteractive: r['isInteractive'],
    IncomingTokenType: r['incomingTokenType'],
    LocationDetails: JSON.stringify(r['location']),
    DeviceDetail: JSON.stringify(r['deviceDetail']),
    OriginalTransferMethod: r['originalTransferMethod'],
    SessionId: r['sessionId'],
    SessionLifetimePolicies: JSON.stringify(r['sessionLifetimePolicies']),
    SignInEventTypes: JSON.stringify(r['signInEventTypes']),
    Status: JSON.stringify(r['status']),
    TokenIssuerType: r['tokenIssuerType'],
    UniqueTokenIdentifier: r['uniqueTokenIdentifier'],
    UserAgent: r['userAgent'],
    ServicePrincipalId: r['servicePrincipalId'],
    MsiType: msi.msiType,
    Type: LA_TABLE[types[0] ?? ''] ?? 'SigninLogs',
    _status: status.errorCode,
  };
}

/** A Log Analytics query result exported as CSV ("TimeGenerated [UTC]" header) or JSON (an array of rows). */
export async function writeLa(
  path: string,
  rows: Iterable<Row>,
  format: 'csv' | 'json',
): Promise<void> {
  const out = createWriteStream(path);
  let header: string[] | null = null;
  if (format === 'json') await write(out, '[');
  let first = true;
  for (const r of rows) {
    const la = laRow(r);
    delete la['_status'];
    if (format === 'json') {
      await write(out, `${first ? '\n' : ',\n'}${JSON.stringify(la)}`);
    } else {
      if (header === null) {
        header = Object.keys(la);
        await write(
          out,
          `${header.map((h) => (h === 'TimeGenerated' ? 'TimeGenerated [UTC]' : h)).join(',')}\n`,
        );
      }
      await write(out, `${header.map((h) => csvField(la[h])).join(',')}\n`);
    }
    first = false;
  }
  if (format === 'json') await write(out, '\n]\n');
  await finish(out);
}
