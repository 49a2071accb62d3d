/**
 * The simulated /authorize endpoints (v2 and v1) and logout. There is no sign-in page: every
 * request is answered at once, as if the user had an SSO session (so `prompt=none` works too), with
 * a redirect to `redirect_uri` carrying code / id_token / access_token in the response mode asked
 * for (query, fragment, or form_post as an auto-post HTML form).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AT_LIFETIME_SEC, tenantIdFor, type SimContext } from './sim-context.js';
import {
  aadError,
  autoPostForm,
  html,
  isGuid,
  missingParam,
  param,
  redirect,
  type SimRequest,
  type SimResponse,
} from './sim-http.js';
import { clientInfoFor, userFor } from './sim-tokens.js';

const CODE_LIFETIME_MS = 10 * 60_000;

function deliver(redirectUri: string, mode: string, fields: Record<string, string>): SimResponse {
  if (mode === 'form_post') return autoPostForm(redirectUri, fields);
  const qs = new URLSearchParams(fields).toString();
  if (mode === 'query')
    return redirect(`${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${qs}`);
  return redirect(`${redirectUri.split('#')[0] ?? redirectUri}#${qs}`);
}

function errorTo(
  req: SimRequest,
  redirectUri: string,
  mode: string,
  error: string,
  code: number,
  message: string,
): SimResponse {
  const state = param(req, 'state');
  return deliver(redirectUri, mode, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${req.requestId} Timestamp: ${new Date().toISOString()}`,
    error_uri: `https://${req.host}/error?code=${code}`,
    ...(state !== undefined ? { state } : {}),
  });
}

export async function authorize(
  ctx: SimContext,
  req: SimRequest,
  tenant: string,
  version: 'v1' | 'v2',
): Promise<SimResponse> {
  const clientId = param(req, 'client_id');
  if (clientId === undefined || clientId === '') return missingParam(req, 'client_id');
  if (!isGuid(clientId)) {
    return aadError(
      req,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId.slice(0, 80)}' was not found in the directory '${tenant.slice(0, 80)}'.`,
    );
  }
  const responseType = param(req, 'response_type');
  if (responseType === undefined || responseType === '') return missingParam(req, 'response_type');
  const redirectUri = param(req, 'redirect_uri');
  if (redirectUri === undefined || redirectUri === '') {
    return aadError(
      req,
      400,
      'invalid_request',
      500113,
      'No reply address is registered for the application.',
    );
  }
  if (!URL.canParse(redirectUri)) {
    return aadError(
      req,
      400,
      'invalid_request',
      50011,
      `The redirect URI '${redirectUri.slice(0, 200)}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
    );
  }
  const parts = new Set(responseType.split(/\s+/).filter((s) => s.length > 0));
  const wantsCode = parts.delete('code');
  const wantsIdToken = parts.delete('id_token');
  const wantsToken = parts.delete('token');
  const defaultMode = wantsIdToken || wantsToken ? 'fragment' : 'query';
  let mode = param(req, 'response_mode') ?? defaultMode;
  if (!['query', 'fragment', 'form_post'].includes(mode)) mode = defaultMode;
  if (mode === 'query' && (wantsIdToken || wantsToken)) mode = 'fragment';
  if (parts.size > 0 || (!wantsCode && !wantsIdToken && !wantsToken)) {
    return errorTo(
      req,
      redirectUri,
      mode,
      'unsupported_response_type',
      700054,
      `response_type '${responseType.slice(0, 40)}' is not supported.`,
    );
  }
  const scopes =
    version === 'v2'
      ? (param(req, 'scope') ?? '').split(/\s+/).filter((s) => s.length > 0)
      : ['openid'];
  if (version === 'v2' && scopes.length === 0) {
    return errorTo(
      req,
      redirectUri,
      mode,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'scope'.",
    );
  }
  const nonce = param(req, 'nonce');
  if (wantsIdToken && version === 'v2' && !scopes.includes('openid')) {
    return errorTo(
      req,
      redirectUri,
      mode,
      'invalid_request',
      900144,
      "The 'openid' scope is required for response_type 'id_token'.",
    );
  }
  if (wantsIdToken && (nonce === undefined || nonce === '')) {
    return errorTo(
      req,
      redirectUri,
      mode,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'nonce'.",
    );
  }
  const challenge = param(req, 'code_challenge');
  const method =
    param(req, 'code_challenge_method') ?? (challenge !== undefined ? 'plain' : undefined);
  if (method !== undefined && method !== 'S256' && method !== 'plain') {
    return errorTo(
      req,
      redirectUri,
      mode,
      'invalid_request',
      501491,
      'Invalid code_challenge_method.',
    );
  }

  const tid = tenantIdFor(ctx, tenant);
  const user = userFor(param(req, 'login_hint'));
  const resource = version === 'v1' ? param(req, 'resource') : undefined;
  const apiScopes = version === 'v1' ? [resource ?? 'https://graph.microsoft.com'] : scopes;
  const fields: Record<string, string> = {};
  if (wantsCode) {
    const code = `1.AXkA${randomBytes(96).toString('base64url')}`;
    ctx.state.codes.set(code, {
      clientId,
      redirectUri,
      scopes,
      user,
      nonce,
      codeChallenge: challenge,
      codeChallengeMethod: method,
      expiresAt: Date.now() + CODE_LIFETIME_MS,
      resource,
    });
    fields['code'] = code;
  }
  // Entra returns client_info with any response type when asked (MSAL.js 1.x needs it with id_token).
  if (param(req, 'client_info') === '1') fields['client_info'] = clientInfoFor(user, tid);
  if (wantsToken) {
    fields['access_token'] = await ctx.tokens.accessToken({
      tenantId: tid,
      host: req.host,
      clientId,
      clientAuth: 0,
      scopes: apiScopes,
      user,
      lifetimeSec: AT_LIFETIME_SEC,
    });
    fields['token_type'] = 'Bearer';
    fields['expires_in'] = String(AT_LIFETIME_SEC);
    if (version === 'v2') fields['scope'] = scopes.filter((s) => s !== 'offline_access').join(' ');
  }
  if (wantsIdToken) {
    fields['id_token'] = await ctx.tokens.idToken({
      tenantId: tid,
      host: req.host,
      clientId,
      user,
      nonce,
      version: version === 'v2' ? '2.0' : '1.0',
      lifetimeSec: AT_LIFETIME_SEC,
    });
  }
  const state = param(req, 'state');
  if (state !== undefined) fields['state'] = state;
  fields['session_state'] = randomUUID();
  return deliver(redirectUri, mode, fields);
}

export function logout(req: SimRequest): SimResponse {
  const target = param(req, 'post_logout_redirect_uri');
  const state = param(req, 'state');
  if (target !== undefined && URL.canParse(target)) {
    const u = new URL(target);
    if (state !== undefined) u.searchParams.set('state', state);
    return redirect(u.toString());
  }
  return html(
    200,
    "<html><head><title>Sign out</title></head><body><p>You signed out of your account. It's a good idea to close all browser windows.</p></body></html>",
  );
}
