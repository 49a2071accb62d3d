/** The simulated device authorization endpoints (v2 `/oauth2/v2.0/devicecode`, v1 `/oauth2/devicecode`). */
import { randomBytes } from 'node:crypto';
import type { SimContext } from './sim-context.js';
import {
  aadError,
  isGuid,
  json,
  missingParam,
  param,
  postRequired,
  type SimRequest,
  type SimResponse,
} from './sim-http.js';

const DEVICE_LIFETIME_SEC = 900;
/** Polling interval told to device-code clients; short so demos and tests do not wait. */
const DEVICE_INTERVAL_SEC = 1;

function splitScopes(s: string | undefined): string[] {
  return (s ?? '').split(/\s+/).filter((x) => x.length > 0);
}

/** POST /{tenant}/oauth2/v2.0/devicecode and v1 /{tenant}/oauth2/devicecode. */
export function deviceCode(ctx: SimContext, req: SimRequest, version: 'v1' | 'v2'): SimResponse {
  if (req.method !== 'POST') return postRequired(req);
  const clientId = param(req, 'client_id');
  if (clientId === undefined || clientId === '') return missingParam(req, 'client_id');
  if (!isGuid(clientId)) {
    return aadError(
      req,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId.slice(0, 80)}' was not found in the directory.`,
    );
  }
  const scopes = version === 'v2' ? splitScopes(param(req, 'scope')) : ['openid', 'offline_access'];
  if (version === 'v2' && scopes.length === 0) return missingParam(req, 'scope');
  if (version === 'v1' && param(req, 'resource') === undefined)
    return missingParam(req, 'resource');
  const userCode = randomBytes(6)
    .toString('base64')
    .replace(/[^A-Z0-9]/gi, 'X')
    .toUpperCase()
    .slice(0, 9);
  const dc = `DAQABAAEAAAD${randomBytes(120).toString('base64url')}`;
  ctx.state.deviceCodes.set(dc, {
    clientId,
    scopes: scopes.filter((s) => s.length > 0),
    userCode,
    expiresAt: Date.now() + DEVICE_LIFETIME_SEC * 1000,
    polls: 0,
  });
  const message = `To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ${userCode} to authenticate.`;
  if (version === 'v1') {
    return json(200, {
      user_code: userCode,
      device_code: dc,
      verification_url: 'https://microsoft.com/devicelogin',
      expires_in: String(DEVICE_LIFETIME_SEC),
      interval: String(DEVICE_INTERVAL_SEC),
      message,
    });
  }
  return json(200, {
    user_code: userCode,
    device_code: dc,
    verification_uri: 'https://microsoft.com/devicelogin',
    expires_in: DEVICE_LIFETIME_SEC,
    interval: DEVICE_INTERVAL_SEC,
    message,
  });
}
