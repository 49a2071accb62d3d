/**
 * What the token response says about who signed in (the 2025 BAS page, signin-logs.md §4):
 * whether the user is a guest rather than a member of their home tenant, whether the token is a
 * managed identity's, and which cloud issued it. Read from the decoded tokens and `client_info`
 * only: a response that shows none of it (an error, a redirect with a code, an opaque token)
 * leaves every fact at its default. Pure.
 *
 * Guest signals, in the order they are looked for (the first found is the fact):
 * - `idp`: the `idp` claim names another tenant's issuer than `iss` ("identical to the value of the
 *   issuer claim unless the user account isn't in the same tenant as the issuer - guests, for
 *   instance": entra-docs id-token-claims-reference, `idp`; also in v1 access tokens, ATCLAIMS).
 *   Compared by tenant id, since a v2 `iss` and a v1-style `idp` of the same tenant differ as text.
 *   A non-URI `idp` (`live.com`, `mail`, `google.com`...) is an external identity: a guest too.
 * - `acct`: the optional claim `acct` is 1 ("If the user is a member of the tenant, the value is 0.
 *   If they're a guest, the value is 1": optional-claims-reference). Sent only when the app
 *   registration asks for it.
 * - `client-info`: `client_info`'s `utid` (the user's home tenant; MSAL's home account id is
 *   `uid.utid`) differs from the token's `tid` (the tenant signed in to). MSAL itself tells a guest
 *   tenant profile this way (msal-common AccountInfo.ts `tenantIdMatchesHomeTenant`).
 * App-only tokens (`idtyp=app`) and personal accounts in their own consumer tenant are not guests.
 */
import { issuerCloud } from '../core/hosts.js';
import type { Cloud } from '../core/types.js';
import { claim } from './jwt-claim.js';
import type { JwtResult, ParsedExchange } from './parsed.js';

/** Which response field showed a guest. */
/** Which field showed a guest: one of the token response's, or a sign-in log row (signins/facts.ts). */
export type GuestSignal = 'idp' | 'acct' | 'client-info' | 'signin-log';

export interface TokenFacts {
  /** The first guest signal of the response, or null when it shows none. */
  readonly guest: GuestSignal | null;
  /** The issued access token is a managed identity's (it carries `xms_mirid`, entra-wire §8). */
  readonly miToken: boolean;
  /** The cloud of the issued access token's `iss`, or null when there is none or it is not known. */
  readonly issuerCloud: Cloud | null;
}

/** The Microsoft account (consumer) tenant. */
const MSA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function tenantOfIssuer(iss: string): string | null {
  const m = GUID.exec(iss);
  return m === null ? null : m[0].toLowerCase();
}

function userToken(r: JwtResult | undefined): r is JwtResult & { ok: true } {
  return r !== undefined && r.ok && r.jwt.claims['idtyp'] !== 'app';
}

function idpNamesAnotherTenant(r: JwtResult): boolean {
  const idp = claim(r, 'idp');
  const iss = claim(r, 'iss');
  if (idp === null || iss === null || idp === iss) return false;
  const tid = claim(r, 'tid')?.toLowerCase() ?? tenantOfIssuer(iss);
  if (tid === MSA_TENANT) return false;
  if (!/^https:\/\//i.test(idp)) return true;
  const idpTenant = tenantOfIssuer(idp);
  const issTenant = tenantOfIssuer(iss);
  return idpTenant !== null && issTenant !== null && idpTenant !== issTenant;
}

/** `utid` of a base64url `client_info` ({"uid","utid"}), or null. */
function homeTenantOf(clientInfo: unknown): string | null {
  if (typeof clientInfo !== 'string' || clientInfo.length === 0 || clientInfo.length > 2048) {
    return null;
  }
  try {
    const o: unknown = JSON.parse(Buffer.from(clientInfo, 'base64url').toString('utf8'));
    if (typeof o !== 'object' || o === null) return null;
    const utid = (o as Record<string, unknown>)['utid'];
    return typeof utid === 'string' && utid.length > 0 ? utid.toLowerCase() : null;
  } catch {
    // Not base64url JSON: it shows nothing (the parser does not report client_info problems).
    return null;
  }
}

function guestSignal(px: ParsedExchange): GuestSignal | null {
  const tokens = [px.jwts['id_token'], px.jwts['access_token']].filter(userToken);
  if (tokens.length === 0) return null;
  if (tokens.some(idpNamesAnotherTenant)) return 'idp';
  if (tokens.some((t) => t.jwt.claims['acct'] === 1 || t.jwt.claims['acct'] === '1')) return 'acct';
  const utid = homeTenantOf(px.responseJson?.['client_info']);
  if (utid !== null) {
    const tid = tokens.map((t) => claim(t, 'tid')).find((t) => t !== null);
    if (tid !== undefined && tid !== null && tid.toLowerCase() !== utid) return 'client-info';
  }
  return null;
}

/** The facts of the tokens an exchange's response carries. */
export function tokenFacts(px: ParsedExchange): TokenFacts {
  const access = px.jwts['access_token'];
  const iss = claim(access, 'iss');
  return {
    guest: guestSignal(px),
    miToken: claim(access, 'xms_mirid') !== null,
    issuerCloud: iss === null ? null : issuerCloud(iss),
  };
}
