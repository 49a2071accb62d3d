/**
 * Routes a buffered request of the simulated Entra ID to its endpoint, per Host header and path
 * (any tenant segment; B2C policy segments are skipped), the way Entra's front door would.
 */
import type { SimContext } from './sim-context.js';
import { authorize, logout } from './sim-authorize.js';
import { aadError, json, type SimRequest, type SimResponse } from './sim-http.js';
import {
  instanceDiscovery,
  jwks,
  openIdConfigV1,
  openIdConfigV2,
  userInfo,
} from './sim-metadata.js';
import { appServiceToken, imdsToken } from './sim-mi.js';
import { myAppsLauncher, saml2, wsfed } from './sim-saml.js';
import { deviceCode } from './sim-devicecode.js';
import { token } from './sim-token.js';

function notFound(req: SimRequest): SimResponse {
  return aadError(
    req,
    404,
    'invalid_request',
    900561,
    `The endpoint '${req.path.slice(0, 100)}' does not exist.`,
  );
}

/** Requests to the HTTPS listener: login hosts, Graph's userinfo and the My Apps launcher. */
export async function routeHttps(ctx: SimContext, req: SimRequest): Promise<SimResponse> {
  const host = req.host.replace(/:\d+$/, '');
  const lowerPath = req.path.toLowerCase();
  if (host.startsWith('graph.microsoft.')) {
    if (lowerPath === '/oidc/userinfo') return userInfo(ctx, req);
    return json(404, {
      error: {
        code: 'BadRequest',
        message: 'Resource not found for the segment.',
        innerError: { 'request-id': req.requestId },
      },
    });
  }
  if (host === 'launcher.myapps.microsoft.com' || host === 'myapps.microsoft.com') {
    if (lowerPath.startsWith('/api/signin/')) return myAppsLauncher(ctx, req);
    return notFound(req);
  }
  let seg = req.path.split('/').filter((s) => s.length > 0);
  // B2C: /{tenant}/{policy}/... and /tfp/{tenant}/{policy}/...
  if (seg[0]?.toLowerCase() === 'tfp') seg = seg.slice(1);
  if (seg[1] !== undefined && /^b2c_1a?_/i.test(seg[1]))
    seg = [seg[0] ?? 'common', ...seg.slice(2)];
  const tenant = seg[0];
  if (tenant === undefined) return notFound(req);
  const rest = seg.slice(1).join('/').toLowerCase();
  switch (rest) {
    case 'discovery/instance':
      return instanceDiscovery(req);
    case 'v2.0/.well-known/openid-configuration':
      return openIdConfigV2(ctx, req, tenant);
    case '.well-known/openid-configuration':
      return openIdConfigV1(ctx, req, tenant);
    case 'discovery/v2.0/keys':
    case 'discovery/keys':
      return jwks(ctx);
    case 'oauth2/v2.0/authorize':
      return authorize(ctx, req, tenant, 'v2');
    case 'oauth2/authorize':
      return authorize(ctx, req, tenant, 'v1');
    case 'oauth2/v2.0/token':
      return token(ctx, req, tenant, 'v2');
    case 'oauth2/token':
      return token(ctx, req, tenant, 'v1');
    case 'oauth2/v2.0/devicecode':
      return deviceCode(ctx, req, 'v2');
    case 'oauth2/devicecode':
      return deviceCode(ctx, req, 'v1');
    case 'oauth2/v2.0/logout':
    case 'oauth2/logout':
      return logout(req);
    case 'saml2':
      return saml2(ctx, req, tenant);
    case 'wsfed':
    case 'wsfederation':
      return wsfed(ctx, req, tenant);
    case 'openid/userinfo':
      return userInfo(ctx, req);
    default:
      return notFound(req);
  }
}

/** Requests to the plain-HTTP listener: IMDS and App Service managed identity. */
export async function routeHttp(ctx: SimContext, req: SimRequest): Promise<SimResponse> {
  const p = req.path.toLowerCase();
  if (p === '/metadata/identity/oauth2/token') return imdsToken(ctx, req);
  if (p === '/msi/token') return appServiceToken(ctx, req);
  if (p === '/metadata/instance') {
    if (req.header('metadata')?.toLowerCase() !== 'true') {
      return json(400, { error: 'Bad request. Required metadata header not specified' });
    }
    return json(200, {
      compute: {
        azEnvironment: 'AzurePublicCloud',
        location: 'westus2',
        name: 'vm-sim',
        osType: 'Linux',
      },
    });
  }
  return json(404, { error: 'Not found' });
}
