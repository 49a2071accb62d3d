/**
 * Client type, client credential and application type (entra-wire §5): what the request says about
 * the client that made it (secret, assertion, certificate, none; web, spa, native, service). Pure.
 */
import type {
  AppType,
  ClientCredential,
  ClientType,
  Endpoint,
  GrantType,
  Protocol,
} from '../core/types.js';
import { claim } from './jwt-claim.js';
import type { JwtResult, ParamLookup, ParsedExchange } from './parsed.js';
import type { FlowVariant } from './rules.js';

const BROWSER_SKU = /^(?:msal\.js\.browser|msal\.js|js)$/i;
const DESKTOP_SKU =
  /^msal\.(?:desktop|netcore|coreclr|xamarin|python|java|go|android|ios|osx|xplat|maui|winui|uwp)/i;
const NATIVE_REDIRECT =
  /^(?:http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/?#]|$)|urn:ietf:wg:oauth:2\.0:oob|https:\/\/login\.microsoftonline\.(?:com|us)\/common\/oauth2\/nativeclient|(?!https?:|brk-)[a-z][a-z0-9+.-]*:)/i;

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

export interface ClientFacts {
  clientCredential: ClientCredential;
  clientType: ClientType;
  appType: AppType;
  /** The client id of an `Authorization: Basic` header (not on managed identity), else null. */
  basic: string | null;
}

/** What the request says about its client, given the exchange's shape and grant. */
export function clientOf(
  px: ParsedExchange,
  param: ParamLookup,
  at: { endpoint: Endpoint; protocol: Protocol; variant: FlowVariant; grantType: GrantType | null },
): ClientFacts {
  const { endpoint, protocol, variant, grantType } = at;
  const form = px.form;
  const query = px.query;
  const responseMode = param('response_mode')?.toLowerCase();
  const formClientId = param('client_id');
  const authorization = px.header('authorization');
  const basic = protocol === 'managed-identity' ? null : basicUser(authorization);
  let clientCredential: ClientCredential = 'unknown';
  let clientType: ClientType = 'unknown';
  let appType: AppType = 'unknown';
  const sku = px.library?.sku ?? null;
  const origin = px.header('origin');

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
  return { clientCredential, clientType, appType, basic };
}
