/**
 * Grant type, PKCE, implicit response type and the token-endpoint flow variants (entra-wire §4, §5),
 * from the request parameters and the exchange's shape. Pure.
 */
import type { Endpoint, GrantType, Protocol } from '../core/types.js';
import type { ParamLookup, ParsedExchange } from './parsed.js';
import type { FlowVariant, RuleFacts } from './rules.js';

const GRANTS: ReadonlyMap<string, GrantType> = new Map<string, GrantType>([
  ['authorization_code', 'authorization_code'],
  ['refresh_token', 'refresh_token'],
  ['client_credentials', 'client_credentials'],
  ['password', 'password'],
  ['device_code', 'device_code'],
  ['urn:ietf:params:oauth:grant-type:device_code', 'device_code'],
  ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'jwt_bearer'],
  ['urn:ietf:params:oauth:grant-type:saml1_1-bearer', 'saml_bearer'],
  ['urn:ietf:params:oauth:grant-type:saml2-bearer', 'saml_bearer'],
]);

export interface GrantFacts {
  grantType: GrantType | null;
  pkce: boolean | null;
  implicit: RuleFacts['implicit'];
  /** The authorize request's response_type includes id_token. */
  asksIdToken: boolean;
  /** The shape's variant, refined by what the grant says. */
  variant: FlowVariant;
}

/** What the request says about its grant. `host` is lower case. */
export function grantOf(
  px: ParsedExchange,
  param: ParamLookup,
  at: { endpoint: Endpoint; protocol: Protocol; variant: FlowVariant; host: string },
): GrantFacts {
  const { endpoint, protocol, host } = at;
  let variant = at.variant;
  let grantType: GrantType | null = null;
  let pkce: boolean | null = null;
  let implicit: RuleFacts['implicit'] = null;
  let asksIdToken = false;
  if (protocol === 'managed-identity') {
    if (variant === 'none' || variant === 'imds-v2') grantType = 'managed_identity';
  } else if (endpoint === 'token') {
    const gt = param('grant_type') ?? '';
    grantType = GRANTS.get(gt) ?? null;
    if (grantType === 'jwt_bearer' && param('requested_token_use') === 'on_behalf_of') {
      grantType = 'on_behalf_of';
    }
    if (grantType === null) variant = gt === 'srv_challenge' ? 'srv-challenge' : 'unknown-grant';
    else if (grantType === 'jwt_bearer' && param('request') !== undefined)
      variant = 'broker-request';
    else if (grantType === 'saml_bearer' && px.telemetry?.kind === 'iwa') variant = 'iwa';
    else if (
      grantType === 'client_credentials' &&
      (param('token_type')?.toLowerCase() === 'mtls_pop' || host.includes('mtlsauth.'))
    ) {
      variant = 'mtls-pop';
    }
    if (grantType === 'authorization_code') pkce = param('code_verifier') !== undefined;
  } else if (endpoint === 'devicecode') {
    grantType = 'device_code';
  } else if (endpoint === 'authorize') {
    const rt = (param('response_type') ?? '').toLowerCase().split(/[\s+]+/);
    const code = rt.includes('code');
    const idt = rt.includes('id_token');
    asksIdToken = idt;
    const tok = rt.includes('token');
    if (code) {
      grantType = idt || tok ? 'hybrid' : 'authorization_code';
      pkce = param('code_challenge') !== undefined;
    } else if (idt || tok) {
      grantType = 'implicit';
      implicit = tok ? 'access-token' : 'id-token-only';
    }
  }
  return { grantType, pkce, implicit, asksIdToken, variant };
}
