/**
 * One sign-in log row, whatever shape it came in (Graph beta / admin-center JSON, diagnostic-settings
 * records, Log Analytics columns, admin-center CSV), reduced to the facts the BAS rules read.
 *
 * Privacy by construction: only the fields below are ever read from a row. User names, UPNs, user
 * and device ids, IP addresses, locations and session ids are never looked at, so they cannot reach
 * a record, the session log or a report.
 *
 * Enumerations arrive as Graph tokens ("azureADBackupAuth"), Log Analytics strings ("AzureADBackupAuth")
 * or admin-center display text ("Azure AD Backup Auth"): `token()` folds them all to one lower-case
 * token without spaces or punctuation, and the aliases below map the remaining display texts.
 */

export type SignInEventType =
  'interactiveUser' | 'nonInteractiveUser' | 'servicePrincipal' | 'managedIdentity' | 'unknown';

export interface SignInRow {
  /** ISO time of the sign-in, or null when missing or unreadable. */
  readonly time: string | null;
  readonly appId: string | null;
  readonly appName: string | null;
  /** The id the client sent as client-request-id (MSAL); joins a captured exchange. */
  readonly correlationId: string | null;
  readonly eventType: SignInEventType;
  /** Folded enum tokens (see `token`), null when absent. */
  readonly protocol: string | null;
  readonly transferMethod: string | null;
  readonly clientApp: string | null;
  readonly credential: string | null;
  readonly incomingToken: string | null;
  readonly crossTenant: string | null;
  readonly userType: string | null;
  /** Tenant ids (organisations, not people): a guest is one whose home tenant is not the resource tenant. */
  readonly homeTenant: string | null;
  readonly resourceTenant: string | null;
  readonly issuer: string | null;
  /** 0 for a successful sign-in, the AADSTS number otherwise; null when the row does not say. */
  readonly errorCode: number | null;
  readonly msiType: string | null;
  /** A Conditional Access sign-in frequency control applied (sessionLifetimePolicies). */
  readonly signInFrequency: boolean;
  /** "MSAL.NET 4.61.3" and the like, from authenticationProcessingDetails. */
  readonly library: string | null;
  /** Sign-ins this row stands for (1 for a raw row; more for a pre-aggregated table). */
  readonly count: number;
  /**
   * A pre-aggregated row (a fact tuple of the `kql` query, tuples.ts) decided the guest test in the
   * query engine: it stands for the four tenant fields above, which it does not carry.
   */
  readonly guest?: boolean;
  /** A pre-aggregated row's own tally of its `count` sign-ins (absent on a raw row). */
  readonly tally?: SignInTally;
}

/** What the `count` sign-ins of a pre-aggregated row did (the fold adds it as it is). */
export interface SignInTally {
  readonly basIssued: number;
  readonly failed: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  /** Hours (`YYYY-MM-DDTHH`) with a BAS-issued sign-in, and with a failed one. */
  readonly basHours: readonly string[];
  readonly failedHours: readonly string[];
}

export type Obj = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A folded enumeration value: lower case, letters and digits only. */
export function token(v: unknown): string | null {
  if (typeof v !== 'string') {
    if (typeof v !== 'number' && typeof v !== 'boolean') return null;
    v = String(v);
  }
  const s = v as string;
  const hit = TOKENS.get(s);
  if (hit !== undefined) return hit;
  const t = s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const out = t.length === 0 ? null : (ALIASES[t] ?? t);
  // Enumerations repeat: remember them (free-text values are rarer and the memo is capped).
  if (s.length <= 64 && TOKENS.size < 4096) TOKENS.set(s, out);
  return out;
}

const TOKENS = new Map<string, string | null>();

/** Display texts (admin-center CSV) and spellings that fold to another token than Graph's. */
const ALIASES: Readonly<Record<string, string>> = {
  oauth20: 'oauth2',
  oauth: 'oauth2',
  openidconnect: 'oauth2',
  resourceownerpasswordcredentials: 'ropc',
  resourceownerpasswordcredential: 'ropc',
  wsfed: 'wsfederation',
  saml: 'saml20',
  saml2: 'saml20',
  devicecodeflow: 'devicecode',
  azureactivedirectory: 'azuread',
  microsoftentraid: 'azuread',
  entraid: 'azuread',
  azureadbackupauthentication: 'azureadbackupauth',
  backupauth: 'azureadbackupauth',
  systemassignedmanagedidentity: 'systemassigned',
  userassignedmanagedidentity: 'userassigned',
  b2b: 'b2bcollaboration',
};

const EVENT_TYPES: Readonly<Record<string, SignInEventType>> = {
  interactiveuser: 'interactiveUser',
  noninteractiveuser: 'nonInteractiveUser',
  serviceprincipal: 'servicePrincipal',
  managedidentity: 'managedIdentity',
  // diagnostic-settings categories and Log Analytics table names
  signinlogs: 'interactiveUser',
  noninteractiveusersigninlogs: 'nonInteractiveUser',
  serviceprincipalsigninlogs: 'servicePrincipal',
  microsoftserviceprincipalsigninlogs: 'servicePrincipal',
  managedidentitysigninlogs: 'managedIdentity',
  aadnoninteractiveusersigninlogs: 'nonInteractiveUser',
  aadserviceprincipalsigninlogs: 'servicePrincipal',
  aadmanagedidentitysigninlogs: 'managedIdentity',
};

/** An event type from a signInEventTypes value, a diagnostic category or a Log Analytics table. */
export function eventTypeOf(v: unknown): SignInEventType | null {
  const t = token(v);
  return t === null ? null : (EVENT_TYPES[t] ?? null);
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    return t.length > 0 ? t : null;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** A display name as reports may show it: no control characters, at most 120 characters. */
export function displayName(v: unknown): string | null {
  const s = str(v)
    // eslint-disable-next-line no-control-regex
    ?.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .slice(0, 120);
  return s === undefined || s === '' ? null : s;
}

export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  const t = token(v);
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  return null;
}

export function int(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d{1,12}\s*$/.test(v)) return Number(v);
  return null;
}

const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function isoTime(v: unknown): string | null {
  const s = str(v);
  if (s === null) return null;
  if (ISO_Z.test(s)) return s;
  const d = new Date(/^\d{4}-\d\d-\d\d \d/.test(s) ? `${s.replace(' ', 'T')}Z` : s);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Log Analytics and CSV exports carry dynamic columns as JSON text. */
function dynamic(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

function obj(v: unknown): Obj | null {
  const d = dynamic(v);
  return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Obj) : null;
}

export function list(v: unknown): unknown[] {
  const d = dynamic(v);
  if (Array.isArray(d)) return d;
  if (typeof d === 'string') return d.split(/[,;]/);
  return [];
}

/**
 * The library in an authenticationProcessingDetails value ("Family: MSAL Library: MSAL.NET 4.61.3
 * Platform: .NET"). The `kql` query (kql.ts) extracts it with the same pattern (RE2 reads it alike).
 */
export const LIBRARY_PATTERN = String.raw`Library:\s*([A-Za-z][\w.+-]*(?:\s+[A-Za-z][\w.+-]*)?\s+\d[\w.+-]*)`;
/** Characters of a library name kept. */
export const LIBRARY_MAX = 80;
const LIBRARY = new RegExp(LIBRARY_PATTERN);

function libraryOf(details: unknown): string | null {
  for (const d of list(details)) {
    const o = obj(d);
    const value = str(o?.['value'] ?? o?.['Value'] ?? d);
    const m = value === null ? null : LIBRARY.exec(value);
    if (m?.[1]) return m[1].slice(0, LIBRARY_MAX);
  }
  return null;
}

/** expirationRequirement values (folded by `token`) of a sign-in frequency control; kql.ts reads it too. */
export const SIGN_IN_FREQUENCY_PATTERN = 'signinfrequency|reauthentication';
const SIGN_IN_FREQUENCY = new RegExp(SIGN_IN_FREQUENCY_PATTERN);

/** A sign-in frequency control: sessionLifetimePolicies[].expirationRequirement. */
function frequencyOf(policies: unknown): boolean {
  for (const p of list(policies)) {
    const o = obj(p);
    const req = token(o?.['expirationRequirement'] ?? o?.['ExpirationRequirement'] ?? p);
    if (req !== null && SIGN_IN_FREQUENCY.test(req)) return true;
  }
  return false;
}

/** A camelCase name's PascalCase spelling (the names are the few rowFromObject reads: memoized). */
function pascalOf(name: string): string {
  let p = PASCAL.get(name);
  if (p === undefined) {
    p = name.charAt(0).toUpperCase() + name.slice(1);
    PASCAL.set(name, p);
  }
  return p;
}

const PASCAL = new Map<string, string>();

/**
 * A case-insensitive view of an object's keys (Log Analytics PascalCase, Graph camelCase): `name`
 * is the camelCase spelling; its PascalCase form is tried next, and only then (odd spellings) every
 * key, lower-cased once per object.
 */
function getter(o: Obj): (name: string) => unknown {
  let lower: Map<string, unknown> | null = null;
  // Rows spelled the Graph or the Log Analytics way (nearly all) never pay for the lower-case map.
  const canonical = 'appId' in o || 'AppId' in o || 'properties' in o || 'errorCode' in o;
  return (name) => {
    const v = o[name];
    if (v !== undefined) return v;
    const pascal = o[pascalOf(name)];
    if (pascal !== undefined || canonical) return pascal;
    if (lower === null) {
      lower = new Map();
      for (const k of Object.keys(o)) {
        const key = k.toLowerCase();
        if (!lower.has(key)) lower.set(key, o[k]);
      }
    }
    return lower.get(name.toLowerCase());
  };
}

function eventTypeFromFields(
  listed: unknown,
  category: unknown,
  interactive: boolean | null,
  hint: SignInEventType | null,
  msiType: string | null,
  spId: unknown,
  userType: string | null,
): SignInEventType {
  for (const t of list(listed)) {
    const e = eventTypeOf(t);
    if (e) return e;
  }
  const fromCategory = eventTypeOf(category);
  if (fromCategory) return fromCategory;
  if (hint && hint !== 'unknown') return hint;
  if (msiType !== null && msiType !== 'none') return 'managedIdentity';
  if (userType === null && str(spId) !== null) return 'servicePrincipal';
  if (interactive === true) return 'interactiveUser';
  if (interactive === false) return 'nonInteractiveUser';
  return 'unknown';
}

/**
 * A row from a JSON object: Graph beta / admin-center JSON (camelCase), a diagnostic-settings record
 * (envelope + `properties`), or a Log Analytics row (PascalCase, dynamic columns as JSON text).
 * `hint`: the event type the file's kind or name tells, when the row does not.
 */
export function rowFromObject(o: Obj, hint: SignInEventType | null = null): SignInRow {
  const env = getter(o);
  const props = obj(env('properties'));
  const g = props ? getter(props) : env;
  const src = props ?? o;
  // at(src['x'], 'x'): read by name first, one place per field (fast: a file's rows share a
  // shape), then by every spelling (getter).
  const at = (v: unknown, name: string): unknown =>
    v !== undefined ? v : (g(name) ?? (props ? env(name) : undefined));
  const status = obj(at(src['status'], 'status'));
  const statusGet = status ? getter(status) : null;
  const errorCode =
    int(statusGet?.('errorCode')) ??
    int(at(src['resultType'], 'resultType')) ??
    int(at(src['signInErrorCode'], 'signInErrorCode'));
  const msi = obj(at(src['managedServiceIdentity'], 'managedServiceIdentity'));
  const msiType = token(
    msi
      ? getter(msi)('msiType')
      : (at(src['msiType'], 'msiType') ?? at(src['managedIdentityType'], 'managedIdentityType')),
  );
  const userType = token(at(src['userType'], 'userType'));
  return {
    time: isoTime(
      at(src['createdDateTime'], 'createdDateTime') ??
        at(src['timeGenerated'], 'timeGenerated') ??
        env('time'),
    ),
    appId: str(at(src['appId'], 'appId'))?.toLowerCase() ?? null,
    // Log Analytics' service-principal and managed-identity tables name the app only here.
    appName: displayName(
      at(src['appDisplayName'], 'appDisplayName') ??
        at(src['servicePrincipalName'], 'servicePrincipalName'),
    ),
    correlationId:
      str(at(src['correlationId'], 'correlationId') ?? env('correlationId'))?.toLowerCase() ?? null,
    eventType: eventTypeFromFields(
      at(src['signInEventTypes'], 'signInEventTypes'),
      env('category') ?? env('type'),
      bool(at(src['isInteractive'], 'isInteractive')),
      hint,
      msiType,
      at(src['servicePrincipalId'], 'servicePrincipalId'),
      userType,
    ),
    protocol: token(at(src['authenticationProtocol'], 'authenticationProtocol')),
    transferMethod: token(at(src['originalTransferMethod'], 'originalTransferMethod')),
    clientApp: token(at(src['clientAppUsed'], 'clientAppUsed')),
    credential: token(at(src['clientCredentialType'], 'clientCredentialType')),
    incomingToken: token(at(src['incomingTokenType'], 'incomingTokenType')),
    crossTenant: token(at(src['crossTenantAccessType'], 'crossTenantAccessType')),
    userType,
    homeTenant: str(at(src['homeTenantId'], 'homeTenantId'))?.toLowerCase() ?? null,
    // The envelope's tenantId is the tenant in a diagnostic-settings record; in a Log Analytics
    // row TenantId is the workspace's id, and the tenant is AADTenantId.
    resourceTenant:
      str(
        at(src['resourceTenantId'], 'resourceTenantId') ??
          (props ? env('tenantId') : env('AADTenantId')),
      )?.toLowerCase() ?? null,
    issuer: token(at(src['tokenIssuerType'], 'tokenIssuerType')),
    errorCode,
    msiType,
    signInFrequency: frequencyOf(at(src['sessionLifetimePolicies'], 'sessionLifetimePolicies')),
    library: libraryOf(
      at(src['authenticationProcessingDetails'], 'authenticationProcessingDetails'),
    ),
    count: 1,
  };
}

/** The admin-center CSV's display headers (folded by headerKey) -> the facts they carry. */
const CSV_COLUMNS = {
  time: ['date (utc)', 'date'],
  appId: ['application id', 'app id'],
  appName: ['application', 'application name'],
  correlationId: ['correlation id'],
  protocol: ['authentication protocol'],
  transferMethod: ['original transfer method'],
  clientApp: ['client app'],
  credential: ['client credential type'],
  incomingToken: ['incoming token type'],
  crossTenant: ['cross tenant access type'],
  userType: ['user type'],
  homeTenant: ['home tenant id'],
  resourceTenant: ['resource tenant id'],
  issuer: ['token issuer type'],
  errorCode: ['sign-in error code'],
  status: ['status'],
  msiType: ['managed identity type'],
  servicePrincipal: ['service principal id'],
} as const;

export type CsvColumn = keyof typeof CSV_COLUMNS;

/** Column positions of an admin-center CSV header: the first of duplicate names wins. */
export function adminCsvColumns(header: readonly string[]): Partial<Record<CsvColumn, number>> {
  const at = new Map<string, number>();
  header.forEach((h, i) => {
    const k = h.trim().replace(/\s+/g, ' ').toLowerCase();
    if (!at.has(k)) at.set(k, i);
  });
  const out: Partial<Record<CsvColumn, number>> = {};
  for (const [col, names] of Object.entries(CSV_COLUMNS) as [CsvColumn, readonly string[]][]) {
    for (const n of names) {
      const i = at.get(n);
      if (i !== undefined) {
        out[col] = i;
        break;
      }
    }
  }
  return out;
}

/** A row of the admin-center CSV download. `hint`: the event type the file's name or columns tell. */
export function rowFromAdminCsv(
  cols: Partial<Record<CsvColumn, number>>,
  fields: readonly string[],
  hint: SignInEventType | null,
): SignInRow {
  const f = (c: CsvColumn): string | null => {
    const i = cols[c];
    return i === undefined ? null : str(fields[i]);
  };
  const status = token(f('status'));
  const code = int(f('errorCode'));
  const msiType = token(f('msiType'));
  const userType = token(f('userType'));
  return {
    time: isoTime(f('time')),
    appId: f('appId')?.toLowerCase() ?? null,
    appName: displayName(f('appName')),
    correlationId: f('correlationId')?.toLowerCase() ?? null,
    eventType: eventTypeFromFields(
      null,
      null,
      null,
      hint,
      msiType,
      f('servicePrincipal'),
      userType,
    ),
    protocol: token(f('protocol')),
    transferMethod: token(f('transferMethod')),
    clientApp: token(f('clientApp')),
    credential: token(f('credential')),
    incomingToken: token(f('incomingToken')),
    crossTenant: token(f('crossTenant')),
    userType,
    homeTenant: f('homeTenant')?.toLowerCase() ?? null,
    resourceTenant: f('resourceTenant')?.toLowerCase() ?? null,
    issuer: token(f('issuer')),
    errorCode: code ?? (status === 'success' ? 0 : null),
    msiType,
    signInFrequency: false,
    library: null,
    count: 1,
  };
}

/** The event type an admin-center download's file name tells (InteractiveSignIns_..., MSISignIns_...). */
export function eventTypeFromFileName(name: string): SignInEventType | null {
  const base = name.replace(/^.*[\\/]/, '').toLowerCase();
  if (base.startsWith('noninteractivesignins')) return 'nonInteractiveUser';
  if (base.startsWith('interactivesignins')) return 'interactiveUser';
  if (base.startsWith('applicationsignins') || base.startsWith('serviceprincipalsignins'))
    return 'servicePrincipal';
  if (base.startsWith('msisignins') || base.startsWith('managedidentitysignins'))
    return 'managedIdentity';
  return null;
}
