/**
 * classify(parsed) -> ExchangeRecord: derive the contract fields of an exchange (entra-wire §3, §4,
 * §5, §6, §8), apply the coverage tables of rules.ts, and build redacted evidence (redact.ts).
 * Pure and allocation-light: it runs on every intercepted exchange.
 */
import { hostFacts, type HostFacts } from '../core/hosts.js';
import type {
  AppType,
  ClientCredential,
  ClientType,
  Endpoint,
  Evidence,
  ExchangeRecord,
  GrantType,
  Protocol,
  Reason,
  SamlInitiation,
} from '../core/types.js';
import { worseVerdict } from '../core/verdict.js';
import type { JwtResult, ParsedExchange, SamlMessage } from './parsed.js';
import { redactHeaders, redactJwts, redactParams } from './redact.js';
import {
  MODIFIERS,
  applies,
  firstRule,
  hostAdvice,
  type FlowVariant,
  type MiSource,
  type Modifier,
  type Rule,
  type RuleFacts,
  type SamlMessageFact,
} from './rules.js';

// ---------------------------------------------------------------------------------------------
// Wire vocabulary (entra-wire §4, §5, §8)
// ---------------------------------------------------------------------------------------------

const GRANTS: ReadonlyMap<string, GrantType> = new Map<string, GrantType>([
  ['authorization_code', 'authorization_code'],
  ['refresh_token', 'refresh_token'],
  ['client_credentials', 'client_credentials'],
  ['password', 'password'],
  ['device_code', 'device_code'],
  ['urn:ietf:params:oauth:grant-type:device_code', 'device_code'],
  ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'jwt_bearer'],
  ['urn:ietf:params:oauth:grant-type:saml1_1-bearer', 'saml_bearer'],
  ['urn:ietf:params:oauth:grant-type:saml2-bearer', 'saml_bearer'],
]);

/** User-assigned managed-identity selectors, in the order they are looked for. */
const MI_SELECTORS = [
  'client_id',
  'object_id',
  'principal_id',
  'msi_res_id',
  'mi_res_id',
  'clientid',
];
const MI_PORTS: ReadonlyMap<number, MiSource> = new Map<number, MiSource>([
  [40342, 'azure-arc'],
  [2377, 'service-fabric'],
  [50342, 'cloud-shell'],
]);

/** First path segments that are not a tenant. */
const NOT_TENANT = new Set([
  'oauth2',
  'discovery',
  '.well-known',
  'metadata',
  'msi',
  'oidc',
  'winauth',
]);
/** Last path segments of the interactive sign-in UI (ESTS and MSA). */
const SIGN_IN_UI = new Set([
  'login',
  'kmsi',
  'reprocess',
  'getcredentialtype',
  'beginauth',
  'endauth',
  'processauth',
  'appverify',
  'resume',
  'nativeclient',
  'getonetimecode',
  'confirmsso',
]);
const SIGN_IN_UI_DIRS = new Set(['sas', 'instrumentation', 'fido', 'ppsecure', 'mfa']);
const ASSET = /\.(?:ico|png|svg|gif|jpe?g|css|js|woff2?|txt)$/;
const B2C_POLICY = /^b2c_1a?_/i;
const BROWSER_SKU = /^(?:msal\.js\.browser|msal\.js|js)$/i;
const DESKTOP_SKU =
  /^msal\.(?:desktop|netcore|coreclr|xamarin|python|java|go|android|ios|osx|xplat|maui|winui|uwp)/i;
const NATIVE_REDIRECT =
  /^(?:http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/?#]|$)|urn:ietf:wg:oauth:2\.0:oob|https:\/\/login\.microsoftonline\.(?:com|us)\/common\/oauth2\/nativeclient|(?!https?:|brk-)[a-z][a-z0-9+.-]*:)/i;

interface Shape {
  endpoint: Endpoint;
  protocol: Protocol;
  variant: FlowVariant;
  miSource: MiSource | null;
}

function lastSegment(segs: readonly string[]): string {
  return segs[segs.length - 1] ?? '';
}

/** Endpoint, protocol family, MI source and special shape, from host, path, method and headers. */
function shapeOf(px: ParsedExchange, hf: HostFacts, lpath: string, segs: readonly string[]): Shape {
  const raw = px.raw;
  const shape: Shape = { endpoint: 'other', protocol: 'unknown', variant: 'none', miSource: null };
  const method = raw.method.toUpperCase();
  const last = lastSegment(segs);
  // The parser gave up (its fallback): nothing below can be trusted.
  if (px.problems.some((p) => p.startsWith('internal parser error'))) return shape;

  // Managed identity (§8): IMDS, loopback ports, App Service (path or header).
  const miPath = lpath.startsWith('/metadata/identity/');
  const portSource = hf.role === 'managed-identity' ? MI_PORTS.get(raw.port) : undefined;
  const appServicePath = lpath.includes('/msi/token');
  // Legacy App Service / Azure ML (MSI_ENDPOINT + MSI_SECRET): `secret` header, api-version 2017-09-01.
  const legacySecret =
    px.header('secret') !== undefined && px.query['api-version'] === '2017-09-01';
  if (
    hf.role === 'managed-identity' ||
    appServicePath ||
    legacySecret ||
    px.header('x-identity-header') !== undefined ||
    (miPath && px.header('metadata') !== undefined)
  ) {
    shape.endpoint = 'imds';
    shape.protocol = 'managed-identity';
    if (portSource === 'cloud-shell') shape.miSource = 'cloud-shell';
    else if (portSource !== undefined) shape.miSource = portSource;
    else if (px.header('x-identity-header') !== undefined) shape.miSource = 'app-service';
    else if (legacySecret || appServicePath) {
      shape.miSource = px.header('secret') !== undefined ? 'app-service-legacy' : 'app-service';
    } else shape.miSource = 'imds';
    if (shape.miSource === 'imds') {
      if (lpath.includes('/getplatformmetadata') || lpath.includes('/issuecredential')) {
        shape.variant = 'imds-v2';
      } else if (!lpath.startsWith('/metadata/identity/oauth2/token')) {
        shape.variant = 'imds-instance';
        shape.protocol = 'metadata';
      } else if (px.header('metadata') === undefined) {
        shape.variant = 'imds-probe';
      }
    }
    return shape;
  }

  if (method === 'OPTIONS') {
    return { ...shape, protocol: 'metadata', variant: 'cors-preflight' };
  }

  if (hf.role === 'userinfo') {
    if (lpath === '/oidc/userinfo' || lpath.endsWith('/openid/userinfo')) {
      return { ...shape, endpoint: 'userinfo', protocol: 'oidc' };
    }
    return { ...shape, variant: 'api-call' };
  }

  const oauthIdx = segs.lastIndexOf('oauth2');
  if (oauthIdx !== -1) {
    const op = segs[oauthIdx + 1] === 'v2.0' ? segs[oauthIdx + 2] : segs[oauthIdx + 1];
    switch (op) {
      case 'authorize':
        return { ...shape, endpoint: 'authorize', protocol: 'oauth2' };
      case 'token':
        return { ...shape, endpoint: 'token', protocol: 'oauth2' };
      case 'devicecode':
        return { ...shape, endpoint: 'devicecode', protocol: 'oauth2' };
      case 'logout':
        return { ...shape, endpoint: 'logout', protocol: 'oidc' };
      case 'checksession':
        return { ...shape, endpoint: 'discovery', protocol: 'metadata' };
      case 'deviceauth':
        return { ...shape, protocol: 'oauth2', variant: 'device-login-page' };
      case 'nativeclient':
        return { ...shape, variant: 'sign-in-ui' };
      default:
        break;
    }
  }
  if (last === 'userinfo' && segs.includes('openid')) {
    return { ...shape, endpoint: 'userinfo', protocol: 'oidc' };
  }
  if (
    segs.includes('.well-known') ||
    segs.includes('discovery') ||
    segs.includes('federationmetadata') ||
    segs.includes('userrealm') ||
    last === 'getuserrealm.srf'
  ) {
    return { ...shape, endpoint: 'discovery', protocol: 'metadata' };
  }
  if (last === 'saml2') return { ...shape, endpoint: 'saml2', protocol: 'saml2' };
  if (last === 'wsfed' || last === 'wsfederation') {
    const wa = (px.query['wa'] ?? px.form['wa'] ?? '').toLowerCase();
    const endpoint: Endpoint = wa.startsWith('wsignout') ? 'logout' : 'wsfed';
    return { ...shape, endpoint, protocol: 'wsfed' };
  }
  if (last === 'adminconsent') return { ...shape, protocol: 'oauth2', variant: 'admin-consent' };
  if (segs.includes('kerberos')) return { ...shape, variant: 'kerberos' };
  if (segs.includes('winauth')) {
    const variant: FlowVariant = last === 'usernamemixed' ? 'wstrust-password' : 'iwa';
    return { ...shape, variant };
  }
  if (ASSET.test(last)) return { ...shape, protocol: 'metadata', variant: 'asset' };
  if (
    segs.length === 0 ||
    SIGN_IN_UI.has(last) ||
    last.endsWith('.srf') ||
    segs.some((s) => SIGN_IN_UI_DIRS.has(s))
  ) {
    return { ...shape, variant: 'sign-in-ui' };
  }
  return shape;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function claim(r: JwtResult | undefined, name: string): string | null {
  if (r === undefined || !r.ok) return null;
  const v = r.jwt.claims[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** The user part of `Authorization: Basic base64(client_id:secret)` (RFC 6749 §2.3.1), else null. */
function basicUser(authorization: string | undefined): string | null {
  if (authorization === undefined || !/^basic\s/i.test(authorization)) return null;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    // Not form-encoded: keep the user part as sent.
    return decoded.slice(0, colon);
  }
}

function assertionCredential(
  r: JwtResult | undefined,
  clientId: string | undefined,
): ClientCredential {
  if (r === undefined || !r.ok) return 'unknown';
  const h = r.jwt.header;
  if (h['x5t'] !== undefined || h['x5t#S256'] !== undefined || h['x5c'] !== undefined) {
    return 'certificate';
  }
  const iss = claim(r, 'iss');
  const sub = claim(r, 'sub');
  if (iss !== null && iss === sub && (clientId === undefined || iss === clientId))
    return 'certificate';
  if (iss !== null && clientId !== undefined && iss !== clientId) return 'federated';
  return 'unknown';
}

function samlFacts(px: ParsedExchange): {
  message: SamlMessage | null;
  fact: SamlMessageFact | null;
  initiation: SamlInitiation | null;
} {
  if (px.saml.length === 0) return { message: null, fact: null, initiation: null };
  let response: SamlMessage | null = null;
  let request: SamlMessage | null = null;
  let logout: SamlMessage | null = null;
  let other: SamlMessage | null = null;
  for (const r of px.saml) {
    if (!r.ok) continue;
    const m = r.message;
    if (m.kind === 'Response') response ??= m;
    else if (m.kind === 'AuthnRequest') request ??= m;
    else if (m.kind === 'LogoutRequest' || m.kind === 'LogoutResponse') logout ??= m;
    else other ??= m;
  }
  // Decide on the Response when there is one (entra-wire §6.2: InResponseTo is decisive).
  if (response !== null) {
    return {
      message: response,
      fact: 'response',
      initiation: response.hasInResponseTo ? 'sp' : 'idp',
    };
  }
  if (request !== null) return { message: request, fact: 'authn-request', initiation: 'sp' };
  if (logout !== null) return { message: logout, fact: 'logout', initiation: null };
  if (other !== null) return { message: other, fact: 'other', initiation: null };
  return { message: null, fact: 'unparseable', initiation: null };
}

function splitScopes(s: string | undefined): string[] | null {
  if (s === undefined) return null;
  const out = s.split(/[\s+]+/).filter((x) => x.length > 0);
  return out.length > 0 ? out : null;
}

function responseError(px: ParsedExchange): string | null {
  const j = px.responseJson;
  if (j !== null) {
    const codes = j['error_codes'];
    if (Array.isArray(codes) && typeof codes[0] === 'number') return `AADSTS${codes[0]}`;
    const e = j['error'];
    if (typeof e === 'string') return e;
    if (e !== null && typeof e === 'object') {
      const c = (e as Record<string, unknown>)['code'];
      if (typeof c === 'string') return c;
    }
  }
  const re = px.redirectParams?.['error'] ?? px.responseForm?.fields['error'];
  return re ?? null;
}

function fill(message: string, host: string, alternative: string): string {
  if (!message.includes('{')) return message;
  return message.replace('{host}', host).replace('{alternative}', alternative);
}

function toReason(row: Rule | Modifier, host: string, alternative: string): Reason {
  const remediation = fill(row.remediation, host, alternative);
  return {
    code: row.reason,
    message: fill(row.message, host, alternative),
    ...(remediation.length > 0 ? { remediation } : {}),
    docUrl: row.docUrl,
    ruleId: row.id,
  };
}

// ---------------------------------------------------------------------------------------------
// classify
// ---------------------------------------------------------------------------------------------

/** Classify one parsed exchange. */
export function classify(px: ParsedExchange): ExchangeRecord {
  const raw = px.raw;
  const host = raw.host.toLowerCase();
  const hf = hostFacts(host, raw.port);
  const lpath = px.pathname.toLowerCase();
  const rawSegs = px.pathname.split('/').filter((s) => s.length > 0);
  const segs = rawSegs.map((s) => s.toLowerCase());
  const shape = shapeOf(px, hf, lpath, segs);
  const form = px.form;
  const query = px.query;
  const param = (name: string): string | undefined => form[name] ?? query[name];
  const saml = samlFacts(px);

  let { endpoint, protocol, variant } = shape;
  const miSource = shape.miSource;
  if (saml.fact !== null) {
    protocol = 'saml2';
    if (saml.fact === 'logout') endpoint = 'logout';
  } else if (px.responseForm?.fields['wresult'] !== undefined || param('wa') === 'wsignin1.0') {
    protocol = 'wsfed';
  }

  // Grant type, PKCE, response type.
  let grantType: GrantType | null = null;
  let pkce: boolean | null = null;
  let implicit: RuleFacts['implicit'] = null;
  let asksIdToken = false;
  const responseMode = param('response_mode')?.toLowerCase();
  if (protocol === 'managed-identity') {
    if (variant === 'none' || variant === 'imds-v2') grantType = 'managed_identity';
  } else if (endpoint === 'token') {
    const gt = param('grant_type') ?? '';
    grantType = GRANTS.get(gt) ?? null;
    if (grantType === 'jwt_bearer' && param('requested_token_use') === 'on_behalf_of') {
      grantType = 'on_behalf_of';
    }
    if (grantType === null) variant = gt === 'srv_challenge' ? 'srv-challenge' : 'unknown-grant';
    else if (grantType === 'jwt_bearer' && param('request') !== undefined)
      variant = 'broker-request';
    else if (grantType === 'saml_bearer' && px.telemetry?.kind === 'iwa') variant = 'iwa';
    else if (
      grantType === 'client_credentials' &&
      (param('token_type')?.toLowerCase() === 'mtls_pop' || host.includes('mtlsauth.'))
    ) {
      variant = 'mtls-pop';
    }
    if (grantType === 'authorization_code') pkce = param('code_verifier') !== undefined;
  } else if (endpoint === 'devicecode') {
    grantType = 'device_code';
  } else if (endpoint === 'authorize') {
    const rt = (param('response_type') ?? '').toLowerCase().split(/[\s+]+/);
    const code = rt.includes('code');
    const idt = rt.includes('id_token');
    asksIdToken = idt;
    const tok = rt.includes('token');
    if (code) {
      grantType = idt || tok ? 'hybrid' : 'authorization_code';
      pkce = param('code_challenge') !== undefined;
    } else if (idt || tok) {
      grantType = 'implicit';
      implicit = tok ? 'access-token' : 'id-token-only';
    }
  }

  const scopes = splitScopes(param('scope')) ?? splitScopes(param('resource'));
  if (
    (protocol === 'oauth2' && scopes?.includes('openid') === true) ||
    (endpoint === 'authorize' && asksIdToken)
  ) {
    protocol = 'oidc';
  }

  // Client identity and credential.
  const formClientId = param('client_id');
  const authorization = px.header('authorization');
  const basic = protocol === 'managed-identity' ? null : basicUser(authorization);
  let clientCredential: ClientCredential = 'unknown';
  let clientType: ClientType = 'unknown';
  let appType: AppType = 'unknown';
  const sku = px.library?.sku ?? null;
  const origin = px.header('origin');
  const msal = (sku !== null && /^msal/i.test(sku)) || param('client_info') === '1';

  if (protocol === 'managed-identity') {
    clientCredential = 'none';
    appType = 'managed-identity';
  } else if (endpoint === 'token' || endpoint === 'devicecode') {
    if (form['client_secret'] !== undefined || query['client_secret'] !== undefined) {
      clientCredential = 'secret';
    } else if (basic !== null) clientCredential = 'secret';
    else if (param('client_assertion') !== undefined) {
      clientCredential = assertionCredential(px.jwts['client_assertion'], formClientId);
    } else if (variant === 'mtls-pop') clientCredential = 'certificate';
    else clientCredential = 'none';
    clientType = clientCredential === 'none' && variant !== 'mtls-pop' ? 'public' : 'confidential';
    if (grantType === 'client_credentials') appType = 'service';
    else if (grantType === 'on_behalf_of') appType = 'web';
    else if (origin !== undefined || (sku !== null && BROWSER_SKU.test(sku))) appType = 'spa';
    else if (clientType === 'confidential') appType = 'web';
    else appType = 'native';
  } else if (endpoint === 'authorize') {
    const redirect = param('redirect_uri') ?? '';
    // Browser signals first: SPAs in development also redirect to http://localhost.
    if (/^brk-/i.test(redirect)) appType = 'spa';
    else if (grantType === 'implicit') appType = responseMode === 'form_post' ? 'web' : 'spa';
    else if (sku !== null && BROWSER_SKU.test(sku)) appType = 'spa';
    else if (NATIVE_REDIRECT.test(redirect)) appType = 'native';
    else if (grantType === 'hybrid' || responseMode === 'form_post') appType = 'web';
    else if (grantType === 'authorization_code' && responseMode === 'fragment') appType = 'spa';
    else if (/^https?:\/\//i.test(redirect)) appType = 'web';
    else if (sku !== null && DESKTOP_SKU.test(sku)) appType = 'native';
    if (appType === 'native' || appType === 'spa') {
      clientType = 'public';
      clientCredential = 'none';
    } else if (appType === 'web' && grantType !== 'implicit') clientType = 'confidential';
  } else if (protocol === 'saml2' || protocol === 'wsfed') {
    appType = 'web';
  }
  if (clientType === 'unknown') {
    const acr =
      claim(px.jwts['access_token'], 'azpacr') ?? claim(px.jwts['access_token'], 'appidacr');
    if (acr === '0') clientType = 'public';
    else if (acr === '1' || acr === '2') clientType = 'confidential';
  }

  const access = px.jwts['access_token'];
  let clientId: string | null = null;
  let managedIdentity: string | null = null;
  if (protocol === 'managed-identity') {
    for (const sel of MI_SELECTORS) {
      const v = param(sel);
      if (v !== undefined && v.length > 0) {
        managedIdentity = v;
        break;
      }
    }
    if (miSource !== 'cloud-shell' && grantType !== null) managedIdentity ??= 'system-assigned';
    clientId =
      param('client_id') ?? param('clientid') ?? claim(access, 'appid') ?? claim(access, 'azp');
  } else if (protocol === 'saml2') {
    // A SAML app is named by its entity ID: the AuthnRequest's Issuer, or the Audience of the
    // response's assertion (the reply URL only when the assertion is encrypted).
    clientId =
      saml.fact === 'response'
        ? (saml.message?.audience ?? saml.message?.destination ?? null)
        : (saml.message?.issuer ?? null);
  } else if (protocol === 'wsfed') {
    clientId = param('wtrealm') ?? null;
  } else {
    clientId =
      formClientId ??
      basic ??
      (clientCredential === 'certificate' ? claim(px.jwts['client_assertion'], 'sub') : null) ??
      claim(access, 'azp') ??
      claim(access, 'appid') ??
      claim(px.jwts['id_token'], 'aud');
  }

  // Tenant: path segment, else the tid claim.
  let tenant: string | null = null;
  if (hf.role === 'sts' || hf.role === 'other') {
    const i = segs[0] === 'tfp' ? 1 : 0;
    const seg = rawSegs[i];
    if (seg !== undefined && rawSegs.length > i + 1 && !NOT_TENANT.has(segs[i] ?? '')) tenant = seg;
  }
  tenant ??= claim(access, 'tid') ?? claim(px.jwts['id_token'], 'tid');

  const b2cPolicy =
    segs[0] === 'tfp' || B2C_POLICY.test(rawSegs[1] ?? '') || B2C_POLICY.test(param('p') ?? '');

  // Interaction.
  let interaction: 'silent' | 'interactive' | null = null;
  const tk = px.telemetry?.kind ?? null;
  if (tk === 'silent' || tk === 'by-refresh-token') interaction = 'silent';
  else if (tk === 'interactive' || tk === 'auth-code') interaction = 'interactive';
  else if (grantType === 'refresh_token') interaction = 'silent';
  else if (endpoint === 'authorize') {
    interaction = param('prompt') === 'none' ? 'silent' : 'interactive';
  } else if (grantType === 'authorization_code') interaction = 'interactive';

  const facts: RuleFacts = {
    hostRole: hf.role,
    hostSupported: hf.supported,
    cloud: hf.cloud,
    b2cPolicy,
    protocol,
    endpoint,
    grantType,
    pkce,
    clientType,
    clientCredential,
    appType,
    samlInitiation: saml.initiation,
    samlMessage: saml.fact,
    implicit,
    interaction,
    miSource,
    variant,
    msal,
  };

  // Verdict and reasons.
  const alternative = hostAdvice(hf.cloud, hf.supportedAlternative);
  const rule = firstRule(facts);
  let verdict = rule.verdict;
  const first = toReason(rule, host, alternative);
  const flowReasons: Reason[] = [
    rule.id === 'unrecognised' && px.problems.length > 0
      ? { ...first, message: `${first.message} (${px.problems[0] ?? ''})` }
      : first,
  ];
  for (const x of rule.extra ?? []) flowReasons.push({ ...x, ruleId: rule.id });
  const before: Reason[] = [];
  const after: Reason[] = [];
  for (const m of MODIFIERS as readonly Modifier[]) {
    if (!m.appliesTo.includes(rule.verdict) || !applies(m, facts)) continue;
    if (before.some((r) => r.code === m.reason)) continue;
    if (m.verdict === null) after.push(toReason(m, host, alternative));
    else {
      verdict = worseVerdict(verdict, m.verdict);
      before.push(toReason(m, host, alternative));
    }
  }

  const reqBody = raw.requestBody;
  const resBody = raw.responseBody;
  const tel = px.telemetry;
  const evidence: Evidence = {
    query: redactParams(query),
    form: redactParams(form),
    requestHeaders: redactHeaders(raw.requestHeaders),
    responseHeaders: redactHeaders(raw.responseHeaders),
    claims: redactJwts(px.jwts),
    saml:
      saml.message === null
        ? null
        : {
            kind: saml.message.kind,
            binding: saml.message.binding,
            foundIn: saml.message.foundIn,
            hasInResponseTo: saml.message.hasInResponseTo,
            ...(saml.message.issuer !== null ? { issuer: saml.message.issuer } : {}),
            ...(saml.message.destination !== null ? { destination: saml.message.destination } : {}),
            ...(saml.message.audience !== null ? { audience: saml.message.audience } : {}),
            ...(saml.message.statusCode !== null ? { statusCode: saml.message.statusCode } : {}),
            fingerprint: `sha256:${saml.message.fingerprint}`,
          },
    telemetry:
      tel === null
        ? null
        : {
            schema: tel.schema,
            ...(tel.apiId !== null ? { apiId: tel.apiId } : {}),
            ...(tel.cacheInfo !== null ? { cacheInfo: tel.cacheInfo } : {}),
            ...(tel.kind !== null ? { kind: tel.kind } : {}),
          },
    bodies: {
      requestSize: reqBody?.size ?? null,
      responseSize: resBody?.size ?? null,
      truncated: (reqBody?.truncated ?? false) || (resBody?.truncated ?? false),
    },
    responseError: responseError(px),
  };

  return {
    id: raw.id,
    startedAt: raw.startedAt,
    durationMs: raw.durationMs,
    method: raw.method,
    host,
    path: px.pathname,
    status: raw.status,
    cloud: hf.cloud,
    hostSupported: hf.supported,
    protocol,
    endpoint,
    grantType,
    pkce,
    clientType,
    clientCredential,
    appType,
    samlInitiation: saml.initiation,
    clientId,
    tenant,
    scopes,
    library: sku,
    libraryVersion: px.library?.version ?? null,
    clientRequestId:
      px.header('client-request-id') ??
      px.header('x-ms-client-request-id') ??
      param('client-request-id') ??
      null,
    serverRequestId: px.responseHeader('x-ms-request-id') ?? null,
    managedIdentity,
    interaction,
    verdict,
    reasons: [...before, ...flowReasons, ...after],
    error: raw.error,
    source: raw.source,
    evidence,
  };
}
