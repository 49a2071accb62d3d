/**
 * The managed identity of an IMDS / App Service / Arc request (entra-wire §8): the user-assigned
 * selector or `system-assigned`, and the client id it shows. Pure.
 */
import type { GrantType } from '../core/types.js';
import { claim } from './jwt-claim.js';
import type { ParamLookup, ParsedExchange } from './parsed.js';
import type { MiSource } from './rules.js';

/** User-assigned managed-identity selectors, in the order they are looked for. */
const MI_SELECTORS = [
  'client_id',
  'object_id',
  'principal_id',
  'msi_res_id',
  'mi_res_id',
  'clientid',
];

export interface MiFacts {
  managedIdentity: string | null;
  clientId: string | null;
}

/** Which managed identity a managed-identity request asks for, and its client id. */
export function miFacts(
  px: ParsedExchange,
  param: ParamLookup,
  miSource: MiSource | null,
  grantType: GrantType | null,
): MiFacts {
  const access = px.jwts['access_token'];
  let managedIdentity: string | null = null;
  for (const sel of MI_SELECTORS) {
    const v = param(sel);
    if (v !== undefined && v.length > 0) {
      managedIdentity = v;
      break;
    }
  }
  if (miSource !== 'cloud-shell' && grantType !== null) managedIdentity ??= 'system-assigned';
  const clientId =
    param('client_id') ?? param('clientid') ?? claim(access, 'appid') ?? claim(access, 'azp');
  return { managedIdentity, clientId };
}
