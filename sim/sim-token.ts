/**
 * The simulated token endpoints (v2 `/oauth2/v2.0/token`, v1 `/oauth2/token`) for every grant:
 * authorization_code (with PKCE), refresh_token, client_credentials, password, device_code (URN and
 * literal; the first poll answers authorization_pending), jwt-bearer on-behalf-of, SAML bearer.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, type JWTPayload } from 'jose';
import type { SimContext } from './sim-context.js';
import { authenticateClient } from './sim-client-auth.js';
import {
  aadError,
  missingParam,
  postRequired,
  type SimRequest,
  type SimResponse,
} from './sim-http.js';
import { ficManagedIdentityResourceId } from './sim-mi.js';
import { issueTokens } from './sim-token-response.js';
import { userFor } from './sim-tokens.js';

const DEVICE_GRANTS = new Set(['device_code', 'urn:ietf:params:oauth:grant-type:device_code']);
const SAML_GRANTS = new Set([
  'urn:ietf:params:oauth:grant-type:saml1_1-bearer',
  'urn:ietf:params:oauth:grant-type:saml2-bearer',
]);

function splitScopes(s: string | undefined): string[] {
  return (s ?? '').split(/\s+/).filter((x) => x.length > 0);
}

function pkceOk(challenge: string, method: string | undefined, verifier: string): boolean {
  if (method === 'S256')
    return createHash('sha256').update(verifier).digest('base64url') === challenge;
  return verifier === challenge;
}

/** A 400 `invalid_grant` error: the grant (code, token, credentials, assertion) is not acceptable. */
function invalidGrant(req: SimRequest, code: number, message: string): SimResponse {
  return aadError(req, 400, 'invalid_grant', code, message);
}

/** A 401 `invalid_client` error: this grant needs a confidential client (secret or assertion). */
function noClientCredential(req: SimRequest): SimResponse {
  return aadError(
    req,
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

/** POST /{tenant}/oauth2/v2.0/token and /{tenant}/oauth2/token. */
export async function token(
  ctx: SimContext,
  req: SimRequest,
  tenant: string,
  version: 'v1' | 'v2',
): Promise<SimResponse> {
  if (req.method !== 'POST') return postRequired(req);
  const grantType = req.form.get('grant_type');
  if (grantType === null || grantType === '') return missingParam(req, 'grant_type');
  const client = authenticateClient(req);
  if ('status' in client) return client;
  const spa = req.header('origin') !== undefined;
  if (spa && client.auth !== 0) {
    return aadError(
      req,
      400,
      'invalid_request',
      9002326,
      "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
    );
  }
  const scopes = splitScopes(req.form.get('scope') ?? undefined);
  const resource = req.form.get('resource') ?? undefined;
  const scopeOptional =
    grantType === 'refresh_token' ||
    grantType === 'authorization_code' ||
    DEVICE_GRANTS.has(grantType);
  if (version === 'v2' && scopes.length === 0 && !scopeOptional) {
    return missingParam(req, 'scope');
  }
  const base = { clientId: client.clientId, clientAuth: client.auth, spa, resource };
  const offline = version === 'v1' || scopes.includes('offline_access');

  if (grantType === 'authorization_code') {
    const code = req.form.get('code');
    if (code === null || code === '') return missingParam(req, 'code');
    const grant = ctx.state.codes.take(code);
    if (grant === undefined || grant.expiresAt < Date.now()) {
      return invalidGrant(
        req,
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    }
    if (grant.clientId !== client.clientId) {
      return invalidGrant(
        req,
        70000,
        "The provided value for the 'code' parameter is not valid. The code was issued to a different client.",
      );
    }
    const ru = req.form.get('redirect_uri');
    if (grant.redirectUri !== null && ru !== null && ru !== grant.redirectUri) {
      return invalidGrant(
        req,
        50148,
        'The redirect_uri in the token request does not match the one used in the authorization request.',
      );
    }
    if (grant.codeChallenge !== undefined) {
      const verifier = req.form.get('code_verifier');
      if (verifier === null || verifier === '') return missingParam(req, 'code_verifier');
      if (!pkceOk(grant.codeChallenge, grant.codeChallengeMethod, verifier)) {
        return invalidGrant(
          req,
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    const asked = scopes.length > 0 ? scopes : [...grant.scopes];
    return issueTokens(ctx, req, tenant, version, {
      ...base,
      scopes: asked,
      user: grant.user,
      nonce: grant.nonce,
      refresh: version === 'v1' || asked.includes('offline_access'),
      resource: resource ?? grant.resource,
    });
  }

  if (grantType === 'refresh_token') {
    const rt = req.form.get('refresh_token');
    if (rt === null || rt === '') return missingParam(req, 'refresh_token');
    const grant = ctx.state.refreshTokens.get(rt);
    if (grant === undefined) {
      return invalidGrant(req, 9002313, 'Invalid request. Request is malformed or invalid.');
    }
    if (grant.clientId !== client.clientId) {
      return invalidGrant(req, 70000, 'The refresh token was issued to a different client.');
    }
    if (grant.spa && !spa) {
      return aadError(
        req,
        400,
        'invalid_request',
        9002327,
        "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
      );
    }
    const asked = scopes.length > 0 ? scopes : [...grant.scopes];
    return issueTokens(ctx, req, tenant, version, {
      ...base,
      scopes: asked,
      user: grant.user,
      refresh: true,
    });
  }

  if (grantType === 'client_credentials') {
    if (client.auth === 0) return noClientCredential(req);
    if (version === 'v2' && !scopes.every((s) => s.endsWith('/.default'))) {
      return aadError(
        req,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.join(' ').slice(0, 200)} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    if (version === 'v1' && resource === undefined) return missingParam(req, 'resource');
    return issueTokens(ctx, req, tenant, version, {
      ...base,
      scopes,
      refresh: false,
      miResourceId: ficManagedIdentityResourceId(client.clientId),
    });
  }

  if (grantType === 'password') {
    const username = req.form.get('username');
    const password = req.form.get('password');
    if (username === null || username === '') return missingParam(req, 'username');
    if (password === null || password === '') return missingParam(req, 'password');
    if (password === 'wrong-password') {
      return invalidGrant(
        req,
        50126,
        'Error validating credentials due to invalid username or password.',
      );
    }
    return issueTokens(ctx, req, tenant, version, {
      ...base,
      scopes,
      user: userFor(username),
      refresh: offline,
    });
  }

  if (DEVICE_GRANTS.has(grantType)) {
    const dc = req.form.get('device_code') ?? req.form.get('code');
    if (dc === null || dc === '') return missingParam(req, 'device_code');
    const grant = ctx.state.deviceCodes.get(dc);
    if (grant === undefined || grant.expiresAt < Date.now()) {
      return aadError(req, 400, 'expired_token', 70019, 'Verification code expired.');
    }
    if (grant.clientId !== client.clientId) {
      return invalidGrant(req, 70000, 'The device code was issued to a different client.');
    }
    grant.polls += 1;
    if (grant.polls === 1) {
      return aadError(
        req,
        400,
        'authorization_pending',
        70016,
        'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
      );
    }
    ctx.state.deviceCodes.take(dc);
    const asked = scopes.length > 0 ? scopes : [...grant.scopes];
    return issueTokens(ctx, req, tenant, version, {
      ...base,
      scopes: asked,
      user: userFor(undefined),
      refresh: true,
    });
  }

  if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    const assertion = req.form.get('assertion');
    if (req.form.get('requested_token_use') !== 'on_behalf_of') {
      return aadError(
        req,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'requested_token_use'.",
      );
    }
    if (assertion === null || assertion === '') return missingParam(req, 'assertion');
    if (client.auth === 0) return noClientCredential(req);
    let incoming: JWTPayload;
    try {
      incoming = decodeJwt(assertion);
    } catch {
      return aadError(req, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    }
    const who = incoming['preferred_username'] ?? incoming['upn'];
    return issueTokens(ctx, req, tenant, version, {
      ...base,
      scopes,
      user: userFor(typeof who === 'string' ? who : undefined),
      refresh: offline,
    });
  }

  if (SAML_GRANTS.has(grantType)) {
    const assertion = req.form.get('assertion');
    if (assertion === null || assertion === '') return missingParam(req, 'assertion');
    const xml = Buffer.from(assertion, 'base64').toString('utf8');
    if (!xml.includes('<') || !/Assertion/.test(xml)) {
      return invalidGrant(
        req,
        50006,
        'Signature verification failed because of an invalid signature. The SAML assertion could not be parsed.',
      );
    }
    const nameId = /<(?:\w+:)?NameID[^>]*>([^<]{1,256})</.exec(xml)?.[1];
    return issueTokens(ctx, req, tenant, version, {
      ...base,
      scopes,
      user: userFor(nameId),
      refresh: offline,
    });
  }

  return aadError(
    req,
    400,
    'unsupported_grant_type',
    70003,
    `The app requested an unsupported grant type '${grantType.slice(0, 80)}'.`,
  );
}
