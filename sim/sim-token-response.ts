/** Token responses of the simulated Entra ID (v2: numbers; v1: strings, `resource`, `expires_on`). */
import { AT_LIFETIME_SEC, EXT_LIFETIME_SEC, tenantIdFor, type SimContext } from './sim-context.js';
import { json, param, type SimRequest, type SimResponse } from './sim-http.js';
import type { RefreshGrant } from './sim-state.js';
import {
  clientInfoFor,
  newRefreshToken,
  type ClientAuthLevel,
  type SimUser,
} from './sim-tokens.js';

export interface Issue {
  readonly clientId: string;
  readonly clientAuth: ClientAuthLevel;
  readonly scopes: readonly string[];
  readonly user?: SimUser;
  readonly nonce?: string | undefined;
  readonly refresh: boolean;
  readonly spa: boolean;
  /** v1: the resource asked for. */
  readonly resource?: string | undefined;
  /** An app-only token for a managed identity (a user-assigned one signing in with a FIC). */
  readonly miResourceId?: string | undefined;
}

export async function issueTokens(
  ctx: SimContext,
  req: SimRequest,
  tenant: string,
  version: 'v1' | 'v2',
  o: Issue,
): Promise<SimResponse> {
  const tid = tenantIdFor(ctx, tenant);
  const apiScopes = version === 'v1' ? [o.resource ?? 'https://graph.microsoft.com'] : o.scopes;
  const accessToken = await ctx.tokens.accessToken({
    tenantId: tid,
    host: req.host,
    clientId: o.clientId,
    clientAuth: o.clientAuth,
    scopes: apiScopes,
    lifetimeSec: AT_LIFETIME_SEC,
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.miResourceId !== undefined ? { miResourceId: o.miResourceId } : {}),
  });
  const out: Record<string, unknown> = { token_type: 'Bearer' };
  const now = Math.floor(Date.now() / 1000);
  if (version === 'v2') {
    out['scope'] = o.scopes.filter((s) => s !== 'offline_access').join(' ');
    out['expires_in'] = AT_LIFETIME_SEC;
    out['ext_expires_in'] = EXT_LIFETIME_SEC;
  } else {
    out['scope'] = 'user_impersonation';
    out['expires_in'] = String(AT_LIFETIME_SEC);
    out['ext_expires_in'] = String(EXT_LIFETIME_SEC);
    out['expires_on'] = String(now + AT_LIFETIME_SEC);
    out['not_before'] = String(now);
    out['resource'] = o.resource ?? 'https://graph.microsoft.com';
  }
  out['access_token'] = accessToken;
  if (o.user !== undefined && o.refresh) {
    const rt = newRefreshToken();
    const grant: RefreshGrant = {
      clientId: o.clientId,
      scopes: o.scopes,
      user: o.user,
      tenantId: tid,
      spa: o.spa,
    };
    ctx.state.refreshTokens.set(rt, grant);
    out['refresh_token'] = rt;
    if (o.spa) out['refresh_token_expires_in'] = 86399;
  }
  if (o.user !== undefined && (version === 'v1' || o.scopes.includes('openid'))) {
    out['id_token'] = await ctx.tokens.idToken({
      tenantId: tid,
      host: req.host,
      clientId: o.clientId,
      user: o.user,
      nonce: o.nonce,
      version: version === 'v2' ? '2.0' : '1.0',
      lifetimeSec: AT_LIFETIME_SEC,
    });
  }
  if (o.user !== undefined && param(req, 'client_info') === '1')
    out['client_info'] = clientInfoFor(o.user, tid);
  return json(200, out);
}
