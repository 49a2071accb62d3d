/**
 * Client authentication at the simulated token endpoint, checked for shape only (the sim keeps no
 * registrations): any GUID client id exists; a secret (body or Basic), a certificate assertion
 * (iss = sub = client_id) or a federated assertion (any other issuer) makes the client confidential.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import {
  aadError,
  isGuid,
  missingParam,
  param,
  type SimRequest,
  type SimResponse,
} from './sim-http.js';
import type { ClientAuthLevel } from './sim-tokens.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface Client {
  readonly clientId: string;
  readonly auth: ClientAuthLevel;
  readonly credential: 'none' | 'secret' | 'certificate' | 'federated';
}

/** Works out who the client is and how it authenticated, or answers the error. */
export function authenticateClient(req: SimRequest): Client | SimResponse {
  let clientId = param(req, 'client_id');
  let secret = req.form.get('client_secret') ?? undefined;
  const basic = /^Basic\s+(\S+)$/i.exec(req.header('authorization') ?? '');
  if (basic?.[1] !== undefined) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const cut = decoded.indexOf(':');
    if (cut > 0) {
      clientId ??= decodeURIComponent(decoded.slice(0, cut));
      secret = decodeURIComponent(decoded.slice(cut + 1));
    }
  }
  const assertion = req.form.get('client_assertion') ?? undefined;
  if (clientId === undefined || clientId === '') {
    if (assertion !== undefined) {
      try {
        const sub = decodeJwt(assertion).sub;
        if (typeof sub === 'string') clientId = sub;
      } catch {
        // not a JWT: reported below as AADSTS50027
      }
    }
  }
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
  if (assertion !== undefined) {
    if (req.form.get('client_assertion_type') !== ASSERTION_TYPE) {
      return aadError(
        req,
        400,
        'invalid_request',
        50027,
        "The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
      );
    }
    let claims: JWTPayload;
    try {
      claims = decodeJwt(assertion);
    } catch {
      return aadError(req, 401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    }
    const own = claims.iss === clientId && claims.sub === clientId;
    return { clientId, auth: 2, credential: own ? 'certificate' : 'federated' };
  }
  if (secret !== undefined) {
    if (secret === '')
      return aadError(req, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    return { clientId, auth: 1, credential: 'secret' };
  }
  return { clientId, auth: 0, credential: 'none' };
}
