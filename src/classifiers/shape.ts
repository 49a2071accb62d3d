/**
 * The shape of an exchange (entra-wire §4, §8): endpoint, protocol family, managed-identity source
 * and special flow variant, read from host, path, method and headers only. Pure.
 */
import type { HostFacts } from '../core/hosts.js';
import type { Endpoint, Protocol } from '../core/types.js';
import type { ParsedExchange } from './parsed.js';
import type { FlowVariant, MiSource } from './rules.js';

const MI_PORTS: ReadonlyMap<number, MiSource> = new Map<number, MiSource>([
  [40342, 'azure-arc'],
  [2377, 'service-fabric'],
  [50342, 'cloud-shell'],
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

/** What the operation after `/oauth2/` (or `/oauth2/v2.0/`) makes an exchange. */
const OAUTH2_OPS: ReadonlyMap<string, Partial<Shape>> = new Map<string, Partial<Shape>>([
  ['authorize', { endpoint: 'authorize', protocol: 'oauth2' }],
  ['token', { endpoint: 'token', protocol: 'oauth2' }],
  ['devicecode', { endpoint: 'devicecode', protocol: 'oauth2' }],
  ['logout', { endpoint: 'logout', protocol: 'oidc' }],
  ['checksession', { endpoint: 'discovery', protocol: 'metadata' }],
  ['deviceauth', { protocol: 'oauth2', variant: 'device-login-page' }],
  ['nativeclient', { variant: 'sign-in-ui' }],
]);

export interface Shape {
  endpoint: Endpoint;
  protocol: Protocol;
  variant: FlowVariant;
  miSource: MiSource | null;
}

function lastSegment(segs: readonly string[]): string {
  return segs[segs.length - 1] ?? '';
}

/** Endpoint, protocol family, MI source and special shape, from host, path, method and headers. */
export function shapeOf(
  px: ParsedExchange,
  hf: HostFacts,
  lpath: string,
  segs: readonly string[],
): Shape {
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
    const known = OAUTH2_OPS.get(op ?? '');
    if (known !== undefined) return { ...shape, ...known };
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
