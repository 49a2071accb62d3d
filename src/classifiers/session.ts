/**
 * The session reducer: folds classified exchange records into per-application aggregates and the
 * report summary, in bounded memory. Records are not kept: only counts, small capped sets and id
 * lists. `summary()` and `applications()` are cached and rebuilt only for what changed since the
 * last call, so the dashboard can poll them on a session of 100k+ exchanges.
 *
 * Grouping: a managed identity by `record.managedIdentity` (its selector, or "system-assigned"),
 * else by `record.clientId`, else "unknown". Records without any id whose verdict is
 * not-applicable (metadata, discovery, probes) count in the summary but join no application, so
 * metadata-only traffic never shows up as an application.
 */
import { REASON_CODES, VERDICTS } from '../core/types.js';
import type {
  AppType,
  ApplicationRecord,
  ClientType,
  ExchangeRecord,
  Finding,
  Reason,
  ReasonCode,
  ReportSummary,
  Verdict,
} from '../core/types.js';
import { verdictRank, worseVerdict } from '../core/verdict.js';
import {
  FINDING_DEFAULTS,
  SEVERITY_RANK,
  countSuffix,
  dynamicConsentText,
  hostUnsupportedText,
  nativeInteractiveText,
  nonMsalText,
  severityOfVerdict,
  supportedHostFor,
  userinfoText,
  type FindingText,
} from './findings.js';
import {
  foldSignIns,
  newSignInAgg,
  signInCounts,
  signInFindings,
  type SignInAgg,
} from './signin-findings.js';

/**
 * The members of a record the fold never reads: its evidence and what differs from one exchange to
 * the next. A live batch leaves them out of the records it hands the fold (session/record-step.ts).
 */
export const NOT_FOLDED = [
  'evidence',
  'startedAt',
  'durationMs',
  'clientRequestId',
  'serverRequestId',
] as const;

/** A record as the fold reads it. */
export type FoldFacts = Omit<ExchangeRecord, (typeof NOT_FOLDED)[number]>;

export interface Session {
  /** Fold one record in. O(1)-ish; keeps aggregates (and its reasons), never the record. */
  add(record: FoldFacts): void;
  summary(): ReportSummary;
  /** Applications, worst verdict first (then first seen), with session-level findings. */
  applications(): ApplicationRecord[];
}

/** The application id used when a record names no client and no managed identity. */
export const UNKNOWN_APP = 'unknown';

const MAX_HOSTS = 64;
/** Hosts listed in the summary (report filters); far above what a sign-in session touches. */
const MAX_SESSION_HOSTS = 500;
const MAX_LIBRARIES = 16;
const MAX_SCOPE_RESOURCES = 16;
const MAX_SCOPE_SETS = 16;
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const GRAPH_PREFIXES = ['https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000/'];

interface ReasonAgg {
  readonly first: Reason;
  readonly ids: string[];
  /** Worst verdict of the records where this code came first (the deciding rule), if any. */
  primary: Verdict | null;
}

interface AppAgg {
  readonly key: string;
  readonly order: number;
  readonly hosts: Set<string>;
  readonly appTypes: Map<AppType, number>;
  readonly clientTypes: Set<ClientType>;
  readonly libraries: Map<string, number>;
  readonly exchangeIds: string[];
  readonly byVerdict: Record<Verdict, number>;
  readonly flows: Map<string, number>;
  verdict: Verdict;
  readonly reasons: Map<ReasonCode, ReasonAgg>;
  readonly interactiveIds: string[];
  silent: number;
  /** resource -> scope-set key -> id of the first exchange asking for it. */
  readonly scopeSets: Map<string, Map<string, string>>;
  readonly userinfoIds: string[];
  readonly aliasIds: Map<string, string[]>;
  oauthCalls: number;
  msalSeen: boolean;
  readonly otherLibraries: Set<string>;
  /** The display name sign-in logs give, and the one the app's tokens carry (app_displayname). */
  logName: string | null;
  tokenName: string | null;
  /** Sign-in log counts, when any record came from the logs. */
  signIns: SignInAgg | null;
  cached: ApplicationRecord | null;
}

/** Hours in which BAS issued tokens, and to which application ('*': more than one). */
type BasHours = Map<string, string>;

function newApp(key: string, order: number): AppAgg {
  return {
    key,
    order,
    hosts: new Set(),
    appTypes: new Map(),
    clientTypes: new Set(),
    libraries: new Map(),
    exchangeIds: [],
    byVerdict: Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>,
    flows: new Map(),
    verdict: 'not-applicable',
    reasons: new Map(),
    interactiveIds: [],
    silent: 0,
    scopeSets: new Map(),
    userinfoIds: [],
    aliasIds: new Map(),
    oauthCalls: 0,
    msalSeen: false,
    otherLibraries: new Set(),
    logName: null,
    tokenName: null,
    signIns: null,
    cached: null,
  };
}

/** The application key of a record, or null when it joins no application. */
export function applicationKey(r: FoldFacts): string | null {
  if (r.managedIdentity !== null) return r.managedIdentity;
  if (r.protocol === 'managed-identity' && r.verdict !== 'not-applicable') return 'system-assigned';
  if (r.clientId !== null && r.clientId !== '') return r.clientId;
  return r.verdict === 'not-applicable' ? null : UNKNOWN_APP;
}

function inc<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function isInteractive(r: FoldFacts): boolean {
  if (r.interaction !== null) return r.interaction === 'interactive';
  return r.grantType === 'authorization_code' || r.endpoint === 'authorize';
}

function isSilent(r: FoldFacts): boolean {
  if (r.interaction !== null) return r.interaction === 'silent';
  return r.grantType === 'refresh_token';
}

function normalizeScope(s: string): string {
  let v = s.toLowerCase();
  for (const p of GRAPH_PREFIXES) if (v.startsWith(p)) v = v.slice(p.length);
  return v;
}

/** Individual (dynamic) permissions of a request, grouped by resource; OIDC and `.default` left out. */
function individualScopes(scopes: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of scopes) {
    if (typeof raw !== 'string') continue;
    const s = normalizeScope(raw.trim());
    if (s === '' || OIDC_SCOPES.has(s) || s.endsWith('/.default') || s === '.default') continue;
    // A bare resource (v1 `resource=`, managed identity) is static too: https://vault.azure.net[/]
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?$/.test(s)) continue;
    const slash = s.lastIndexOf('/');
    const resource = slash > 0 ? s.slice(0, slash) : 'graph';
    const list = out.get(resource);
    if (list) list.push(s);
    else out.set(resource, [s]);
  }
  return out;
}

function addReasons(app: AppAgg, r: FoldFacts): void {
  // Records may come from a session log or a report written by another version: be defensive.
  if (!Array.isArray(r.reasons)) return;
  r.reasons.forEach((reason, i) => {
    let agg = app.reasons.get(reason.code);
    if (!agg) {
      agg = { first: reason, ids: [], primary: null };
      app.reasons.set(reason.code, agg);
    }
    // A code repeated within one record counts once.
    if (agg.ids[agg.ids.length - 1] !== r.id) agg.ids.push(r.id);
    if (i === 0)
      agg.primary = agg.primary === null ? r.verdict : worseVerdict(agg.primary, r.verdict);
  });
}

function addScopes(app: AppAgg, r: FoldFacts): void {
  if (!Array.isArray(r.scopes) || r.scopes.length === 0) return;
  // Consent is about delegated permissions: app-only grants always use static permissions.
  if (r.protocol === 'managed-identity' || r.grantType === 'client_credentials') return;
  if (r.grantType === 'managed_identity') return;
  for (const [resource, perms] of individualScopes(r.scopes)) {
    let sets = app.scopeSets.get(resource);
    if (!sets) {
      if (app.scopeSets.size >= MAX_SCOPE_RESOURCES) continue;
      sets = new Map();
      app.scopeSets.set(resource, sets);
    }
    const key = [...new Set(perms)].sort().join(' ');
    if (!sets.has(key) && sets.size < MAX_SCOPE_SETS) sets.set(key, r.id);
  }
}

/** Sign-in log facts of a record: counts, BAS hours, and the app's name. True when BAS hours changed. */
function foldLogs(app: AppAgg, r: FoldFacts, basHours: BasHours): boolean {
  if (typeof r.appName === 'string' && r.appName !== '') {
    if (r.source === 'signin-log') app.logName = r.appName;
    else app.tokenName ??= r.appName;
  }
  if (r.signIn?.appName) app.logName ??= r.signIn.appName;
  const s = r.signIns;
  if (s === undefined || s === null || typeof s.total !== 'number') return false;
  app.signIns ??= newSignInAgg();
  foldSignIns(app.signIns, r, s);
  let changed = false;
  for (const h of s.basHours ?? []) {
    const prev = basHours.get(h);
    if (prev === undefined) {
      basHours.set(h, app.key);
      changed = true;
    } else if (prev !== app.key && prev !== '*') {
      basHours.set(h, '*');
      changed = true;
    }
  }
  return changed;
}

function fold(app: AppAgg, r: FoldFacts): void {
  app.cached = null;
  if (app.hosts.size < MAX_HOSTS && r.host !== '') app.hosts.add(r.host);
  if (r.appType !== 'unknown') inc(app.appTypes, r.appType);
  app.clientTypes.add(r.clientType);
  if (r.library !== null && (app.libraries.has(r.library) || app.libraries.size < MAX_LIBRARIES)) {
    inc(app.libraries, r.library);
  }
  app.exchangeIds.push(r.id);
  app.byVerdict[Object.hasOwn(app.byVerdict, r.verdict) ? r.verdict : 'unknown']++;
  if (r.grantType !== null) inc(app.flows, r.grantType);
  if (r.samlInitiation !== null) inc(app.flows, `saml:${r.samlInitiation}`);
  if (r.verdict !== 'not-applicable') app.verdict = worseVerdict(app.verdict, r.verdict);
  addReasons(app, r);
  if (isSilent(r)) app.silent++;
  else if (isInteractive(r)) app.interactiveIds.push(r.id);
  addScopes(app, r);
  if (r.endpoint === 'userinfo') app.userinfoIds.push(r.id);
  const supported = supportedHostFor(r.host);
  if (supported !== null) {
    const ids = app.aliasIds.get(r.host);
    if (ids) ids.push(r.id);
    else if (app.aliasIds.size < MAX_HOSTS) app.aliasIds.set(r.host, [r.id]);
  }
  // A sign-in log row rarely names the library: only captured requests tell an MSAL client.
  if (
    r.source !== 'signin-log' &&
    (r.protocol === 'oauth2' || r.protocol === 'oidc') &&
    (r.endpoint === 'authorize' || r.endpoint === 'token' || r.endpoint === 'devicecode')
  ) {
    app.oauthCalls++;
    if (r.library !== null) {
      if (/msal/i.test(r.library)) app.msalSeen = true;
      else if (app.otherLibraries.size < 8) app.otherLibraries.add(r.library);
    }
  }
}

function mostFrequent<K>(m: Map<K, number>): K | null {
  let best: K | null = null;
  let n = 0;
  for (const [k, c] of m) {
    if (c > n) {
      best = k;
      n = c;
    }
  }
  return best;
}

function defaultsFor(code: string): FindingText | undefined {
  return (FINDING_DEFAULTS as Partial<Record<string, FindingText>>)[code];
}

function buildFindings(app: AppAgg, appType: AppType, basHours: BasHours): Finding[] {
  const out = new Map<ReasonCode, Finding>();
  for (const [code, agg] of app.reasons) {
    const d = defaultsFor(code);
    const severity =
      agg.primary !== null ? severityOfVerdict(agg.primary) : (d?.severity ?? 'warning');
    out.set(code, {
      code,
      severity,
      message: agg.first.message + countSuffix(agg.ids.length),
      remediation: agg.first.remediation ?? d?.remediation ?? '',
      docUrl: agg.first.docUrl ?? d?.docUrl ?? '',
      exchangeIds: agg.ids.slice(),
    });
  }
  // Session-level findings: their text replaces the per-exchange one, ids and severity merge.
  const put = (code: ReasonCode, text: FindingText, ids: readonly string[]): void => {
    const prev = out.get(code);
    let merged: readonly string[] = ids.slice();
    if (prev && prev.exchangeIds.length > 0) {
      const set = new Set(prev.exchangeIds);
      for (const id of ids) set.add(id);
      merged = [...set];
    }
    const severity =
      prev && SEVERITY_RANK[prev.severity] > SEVERITY_RANK[text.severity]
        ? prev.severity
        : text.severity;
    out.set(code, { code, severity, ...pick(text), exchangeIds: merged });
  };

  if (appType === 'native' && app.silent === 0 && app.interactiveIds.length > 0) {
    put('native-interactive', nativeInteractiveText(app.interactiveIds.length), app.interactiveIds);
  }
  const changed: { sets: string[]; ids: string[] } = { sets: [], ids: [] };
  for (const [resource, sets] of app.scopeSets) {
    if (sets.size < 2) continue;
    for (const [key, id] of sets) {
      changed.sets.push(resource === 'graph' ? key : `${resource}: ${key}`);
      changed.ids.push(id);
    }
  }
  if (changed.sets.length > 0) {
    put('dynamic-consent', dynamicConsentText(changed.sets, changed.sets.length), changed.ids);
  }
  if (app.userinfoIds.length > 0) {
    put('userinfo', userinfoText(app.userinfoIds.length), app.userinfoIds);
  }
  if (app.oauthCalls > 0 && !app.msalSeen) {
    const prev = out.get('non-msal-client');
    put('non-msal-client', nonMsalText([...app.otherLibraries]), prev ? prev.exchangeIds : []);
  } else if (app.msalSeen) {
    // An app seen using MSAL is an MSAL client, even if one of its requests carried no hint.
    out.delete('non-msal-client');
  }
  if (app.aliasIds.size > 0) {
    const pairs: [string, string][] = [];
    const ids: string[] = [];
    for (const [host, hostIds] of app.aliasIds) {
      pairs.push([host, supportedHostFor(host) ?? 'login.microsoftonline.com']);
      for (const id of hostIds) ids.push(id);
    }
    put('host-unsupported', hostUnsupportedText(pairs), ids);
  }

  if (app.signIns !== null) {
    const elsewhere = (h: string): boolean => {
      const who = basHours.get(h);
      return who !== undefined && who !== app.key;
    };
    for (const f of signInFindings(app.signIns, app.verdict, elsewhere)) out.set(f.code, f);
  }

  const codeRank = (c: ReasonCode): number => REASON_CODES.indexOf(c);
  return [...out.values()].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || codeRank(a.code) - codeRank(b.code),
  );
}

function pick(t: FindingText): { message: string; remediation: string; docUrl: string } {
  return { message: t.message, remediation: t.remediation, docUrl: t.docUrl };
}

function buildApp(app: AppAgg, basHours: BasHours): ApplicationRecord {
  const appType = mostFrequent(app.appTypes) ?? 'unknown';
  const clientType: ClientType = app.clientTypes.has('confidential')
    ? 'confidential'
    : app.clientTypes.has('public')
      ? 'public'
      : 'unknown';
  return {
    clientId: app.key,
    // The logs' name wins: it is what the tenant calls the app (CONTRACT `name`).
    name: app.logName ?? app.tokenName,
    hosts: [...app.hosts],
    appType,
    clientType,
    library: mostFrequent(app.libraries),
    exchangeIds: app.exchangeIds.slice(),
    flows: Object.fromEntries(app.flows),
    verdict: app.verdict,
    findings: buildFindings(app, appType, basHours),
    exchangesByVerdict: { ...app.byVerdict },
    signIns: app.signIns === null ? null : signInCounts(app.signIns),
  };
}

export function createSession(): Session {
  const apps = new Map<string, AppAgg>();
  const byVerdict = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  const hosts = new Set<string>();
  const basHours: BasHours = new Map();
  let total = 0;
  let summaryCache: ReportSummary | null = null;
  let appsCache: ApplicationRecord[] | null = null;

  return {
    add(record) {
      total++;
      // Records read back from an older/newer log may carry a verdict we do not know: count as unknown.
      const v: Verdict = Object.hasOwn(byVerdict, record.verdict) ? record.verdict : 'unknown';
      byVerdict[v]++;
      if (hosts.size < MAX_SESSION_HOSTS && record.host !== '') hosts.add(record.host);
      summaryCache = null;
      const key = applicationKey(record);
      if (key === null) return;
      let app = apps.get(key);
      if (!app) {
        app = newApp(key, apps.size);
        apps.set(key, app);
      }
      fold(app, record);
      // A new BAS hour can contradict another app's prediction: rebuild them all.
      if (foldLogs(app, record, basHours)) for (const a of apps.values()) a.cached = null;
      appsCache = null;
    },
    summary() {
      if (summaryCache) return summaryCache;
      let verdict: Verdict = 'not-applicable';
      for (const app of apps.values()) verdict = worseVerdict(verdict, app.verdict);
      summaryCache = {
        exchanges: total,
        byVerdict: { ...byVerdict },
        applications: apps.size,
        verdict,
        hosts: [...hosts].sort(),
      };
      return summaryCache;
    },
    applications() {
      if (!appsCache) {
        const list: { app: AppAgg; rec: ApplicationRecord }[] = [];
        for (const app of apps.values()) {
          app.cached ??= buildApp(app, basHours);
          list.push({ app, rec: app.cached });
        }
        list.sort(
          (a, b) =>
            verdictRank(b.app.verdict) - verdictRank(a.app.verdict) || a.app.order - b.app.order,
        );
        appsCache = list.map((x) => x.rec);
      }
      return appsCache.slice();
    },
  };
}
