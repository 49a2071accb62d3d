/**
 * classify(parsed) -> ExchangeRecord: derive the contract fields of an exchange (entra-wire §3, §4,
 * §5, §6, §8), apply the coverage tables of rules.ts, and build redacted evidence (redact.ts).
 * Pure and allocation-light: it runs on every intercepted exchange. The facts come from shape.ts
 * (endpoint, protocol, variant), grant.ts, client.ts, saml-facts.ts, mi-facts.ts and token-facts.ts
 * (guests, managed-identity tokens, issuer cloud); the verdict
 * from reasons.ts and the evidence from evidence.ts.
 */
import { hostFacts } from '../core/hosts.js';
import type { ExchangeRecord } from '../core/types.js';
import { appNameOf } from './app-name.js';
import { clientOf } from './client.js';
import { buildEvidence } from './evidence.js';
import { grantOf } from './grant.js';
import { claim } from './jwt-claim.js';
import { miFacts } from './mi-facts.js';
import type { ParamLookup, ParsedExchange } from './parsed.js';
import { judge } from './reasons.js';
import type { RuleFacts } from './rules.js';
import { samlAppId, samlFacts } from './saml-facts.js';
import { scrubText } from './secret-text.js';
import { shapeOf } from './shape.js';
import { tokenFacts } from './token-facts.js';

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
const B2C_POLICY = /^b2c_1a?_/i;

/** The response carries an ID token (token JSON, redirect fragment/query or auto-post form). */
function responseHasIdToken(px: ParsedExchange): boolean {
  const isToken = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
  return (
    isToken(px.responseJson?.['id_token']) ||
    isToken(px.redirectParams?.['id_token']) ||
    isToken(px.responseForm?.fields['id_token'])
  );
}

function splitScopes(s: string | undefined): string[] | null {
  if (s === undefined) return null;
  const out = s.split(/[\s+]+/).filter((x) => x.length > 0);
  return out.length > 0 ? out : null;
}

/**
 * A field kept "as seen" (CONTRACT.md): it came from the wire under a name the classifier trusts,
 * so it passes the redactor's text check too (a token-looking value becomes a fingerprint).
 */
function seen(v: string | null): string | null {
  return v === null ? null : scrubText(v);
}

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
  const param: ParamLookup = (name) => form[name] ?? query[name];
  const saml = samlFacts(px);

  let { endpoint, protocol, variant } = shape;
  const miSource = shape.miSource;
  if (saml.fact !== null) {
    protocol = 'saml2';
    if (saml.fact === 'logout') endpoint = 'logout';
  } else if (px.responseForm?.fields['wresult'] !== undefined || param('wa') === 'wsignin1.0') {
    protocol = 'wsfed';
  }

  const grant = grantOf(px, param, { endpoint, protocol, variant, host });
  const { grantType, pkce, implicit } = grant;
  variant = grant.variant;

  const scopes = splitScopes(param('scope')) ?? splitScopes(param('resource'));
  // OIDC: asked for (scope openid, response_type id_token) or shown (the response carries an ID
  // token even without scope=openid: a device-code final poll, a code redemption, a v1 refresh).
  if (
    (protocol === 'oauth2' && scopes?.includes('openid') === true) ||
    (endpoint === 'authorize' && grant.asksIdToken) ||
    (protocol === 'oauth2' && responseHasIdToken(px))
  ) {
    protocol = 'oidc';
  }

  // Client identity and credential.
  const { clientCredential, clientType, appType, basic } = clientOf(px, param, {
    endpoint,
    protocol,
    variant,
    grantType,
  });
  const sku = px.library?.sku ?? null;
  // MSAL-family evidence: an MSAL SKU, client_info=1, or MSAL's CCS routing hint (X-AnchorMailbox).
  // None of them says anything about coverage.
  const msal =
    (sku !== null && /^msal/i.test(sku)) || param('client_info') === '1' || px.routingHint !== null;

  const access = px.jwts['access_token'];
  let clientId: string | null = null;
  let managedIdentity: string | null = null;
  if (protocol === 'managed-identity') {
    ({ managedIdentity, clientId } = miFacts(px, param, miSource, grantType));
  } else if (protocol === 'saml2') {
    clientId = samlAppId(saml);
  } else if (protocol === 'wsfed') {
    clientId = param('wtrealm') ?? null;
  } else {
    clientId =
      param('client_id') ??
      basic ??
      (clientCredential === 'certificate' ? claim(px.jwts['client_assertion'], 'sub') : null) ??
      claim(access, 'azp') ??
      claim(access, 'appid') ??
      claim(px.jwts['id_token'], 'aud') ??
      // UserInfo and other API calls: the app that holds the bearer token.
      claim(px.jwts['bearer'], 'azp') ??
      claim(px.jwts['bearer'], 'appid');
  }

  // Tenant: path segment, else the tid claim.
  let tenant: string | null = null;
  if (hf.role === 'sts' || hf.role === 'other') {
    const i = segs[0] === 'tfp' ? 1 : 0;
    const seg = rawSegs[i];
    if (seg !== undefined && rawSegs.length > i + 1 && !NOT_TENANT.has(segs[i] ?? '')) tenant = seg;
  }
  tenant ??=
    claim(access, 'tid') ?? claim(px.jwts['id_token'], 'tid') ?? claim(px.jwts['bearer'], 'tid');

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

  const tokens = tokenFacts(px);
  const facts: RuleFacts = {
    hostRole: hf.role,
    hostSupported: hf.supported,
    cloud: hf.cloud,
    basListing: hf.basListing,
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
    guest: tokens.guest,
    miToken: tokens.miToken,
    issuerCloud: tokens.issuerCloud,
    evidence: 'wire',
    signInFrequency: false,
  };

  const { verdict, reasons } = judge(facts, hf, host, px.problems);
  const appName = appNameOf(px, clientId);

  return {
    id: raw.id,
    startedAt: raw.startedAt,
    durationMs: raw.durationMs,
    method: raw.method,
    host,
    path: seen(px.pathname) ?? '',
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
    clientId: seen(clientId),
    // Only when the exchange carries one (CONTRACT: optional), so records without a name keep their shape.
    ...(appName !== null ? { appName: seen(appName) ?? '' } : {}),
    tenant: seen(tenant),
    scopes: scopes === null ? null : scopes.map((x) => seen(x) ?? ''),
    library: seen(sku),
    libraryVersion: seen(px.library?.version ?? null),
    clientRequestId: seen(
      px.header('client-request-id') ??
        px.header('x-ms-client-request-id') ??
        param('client-request-id') ??
        null,
    ),
    serverRequestId: seen(px.responseHeader('x-ms-request-id') ?? null),
    managedIdentity: seen(managedIdentity),
    interaction,
    verdict,
    reasons,
    error: raw.error,
    source: raw.source,
    evidence: buildEvidence(px, saml.message),
  };
}
