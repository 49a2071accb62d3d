/**
 * Discovery endpoints of the simulated Entra ID: OIDC configuration (v2 and v1), instance discovery
 * with MSAL's alias groups, JWKS, and the UserInfo endpoints (Graph and v1).
 */
import type { SimContext } from './sim-context.js';
import { isMultiTenant, tenantIdFor } from './sim-context.js';
import {
  aadError,
  json,
  missingParam,
  param,
  type SimRequest,
  type SimResponse,
} from './sim-http.js';
import { issuerHostFor, v1Issuer } from './sim-tokens.js';

/** MSAL's alias groups (instance discovery `metadata`). */
export const ALIAS_GROUPS: readonly {
  preferred_network: string;
  preferred_cache: string;
  aliases: string[];
}[] = [
  {
    preferred_network: 'login.microsoftonline.com',
    preferred_cache: 'login.windows.net',
    aliases: [
      'login.microsoftonline.com',
      'login.windows.net',
      'login.microsoft.com',
      'sts.windows.net',
    ],
  },
  {
    preferred_network: 'login.partner.microsoftonline.cn',
    preferred_cache: 'login.partner.microsoftonline.cn',
    aliases: ['login.partner.microsoftonline.cn', 'login.chinacloudapi.cn'],
  },
  {
    preferred_network: 'login.microsoftonline.de',
    preferred_cache: 'login.microsoftonline.de',
    aliases: ['login.microsoftonline.de'],
  },
  {
    preferred_network: 'login.microsoftonline.us',
    preferred_cache: 'login.microsoftonline.us',
    aliases: ['login.microsoftonline.us', 'login.usgovcloudapi.net'],
  },
  {
    preferred_network: 'login-us.microsoftonline.com',
    preferred_cache: 'login-us.microsoftonline.com',
    aliases: ['login-us.microsoftonline.com'],
  },
];

/** The tenant segment endpoints are written with: the tid for a named tenant, else as asked. */
function endpointTenant(ctx: SimContext, segment: string): string {
  return isMultiTenant(segment) ? segment.toLowerCase() : tenantIdFor(ctx, segment);
}

export function openIdConfigV2(ctx: SimContext, req: SimRequest, tenant: string): SimResponse {
  const base = `https://${req.host}/${endpointTenant(ctx, tenant)}`;
  const tid = isMultiTenant(tenant) ? '{tenantid}' : tenantIdFor(ctx, tenant);
  const cloud = issuerHostFor(req.host);
  return json(200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `https://${cloud}/${tid}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: cloud.endsWith('.us')
      ? 'https://graph.microsoft.us/oidc/userinfo'
      : 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: cloud.replace(/^login\./, ''),
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  });
}

export function openIdConfigV1(ctx: SimContext, req: SimRequest, tenant: string): SimResponse {
  const base = `https://${req.host}/${endpointTenant(ctx, tenant)}`;
  const tid = isMultiTenant(tenant) ? '{tenantid}' : tenantIdFor(ctx, tenant);
  return json(200, {
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ],
    jwks_uri: `https://${req.host}/common/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    scopes_supported: ['openid'],
    issuer: v1Issuer(req.host, tid),
    microsoft_multi_refresh_token: true,
    authorization_endpoint: `${base}/oauth2/authorize`,
    device_authorization_endpoint: `${base}/oauth2/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/logout`,
    check_session_iframe: `https://${req.host}/common/oauth2/checksession`,
    userinfo_endpoint: `${base}/openid/userinfo`,
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: issuerHostFor(req.host).replace(/^login\./, ''),
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  });
}

/** GET /common/discovery/instance?api-version=1.1&authorization_endpoint=... */
export function instanceDiscovery(req: SimRequest): SimResponse {
  const authz = param(req, 'authorization_endpoint');
  if (authz === undefined) return missingParam(req, 'authorization_endpoint');
  let url: URL;
  try {
    url = new URL(authz);
  } catch {
    return aadError(req, 400, 'invalid_instance', 50049, 'Unknown or invalid instance.');
  }
  const host = url.hostname.toLowerCase();
  const known = ALIAS_GROUPS.some((g) => g.aliases.includes(host));
  if (!known && !host.endsWith('.b2clogin.com') && !host.endsWith('.ciamlogin.com')) {
    return aadError(req, 400, 'invalid_instance', 50049, 'Unknown or invalid instance.');
  }
  const tenant = url.pathname.split('/').filter((s) => s.length > 0)[0] ?? 'common';
  return json(200, {
    tenant_discovery_endpoint: `https://${host}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: ALIAS_GROUPS,
  });
}

export function jwks(ctx: SimContext): SimResponse {
  return json(200, ctx.tokens.jwks, { 'cache-control': 'max-age=86400, private' });
}

/** Graph `/oidc/userinfo` and v1 `/{tenant}/openid/userinfo`: claims of the bearer token's user. */
export async function userInfo(ctx: SimContext, req: SimRequest): Promise<SimResponse> {
  const auth = req.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(auth);
  const claims = m?.[1] !== undefined ? await ctx.tokens.verify(m[1]) : null;
  if (claims === null) {
    return json(
      401,
      {
        error: {
          code: 'InvalidAuthenticationToken',
          message: m
            ? 'Access token validation failure. Invalid audience.'
            : 'Access token is empty.',
          innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': req.requestId },
        },
      },
      {
        'www-authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      },
    );
  }
  const name = typeof claims['name'] === 'string' ? claims['name'] : 'User';
  const email =
    typeof claims['preferred_username'] === 'string'
      ? claims['preferred_username']
      : typeof claims['upn'] === 'string'
        ? claims['upn']
        : undefined;
  return json(200, {
    sub: claims.sub,
    name,
    family_name: name,
    given_name: name,
    picture: 'https://graph.microsoft.com/v1.0/me/photo/$value',
    ...(email !== undefined ? { email } : {}),
  });
}
