/** What every simulated endpoint shares: the sim's tenant, token issuer and state. */
import { isGuid } from './sim-http.js';
import type { SimState } from './sim-state.js';
import type { TokenIssuer } from './sim-tokens.js';

export interface SimContext {
  /** The tenant tokens are issued in when the path names `common`, `organizations` or a domain. */
  readonly tenantId: string;
  readonly tokens: TokenIssuer;
  readonly state: SimState;
}

const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

/** The tenant id (tid) for a path's tenant segment. */
export function tenantIdFor(ctx: SimContext, segment: string): string {
  return isGuid(segment) ? segment.toLowerCase() : ctx.tenantId;
}

export function isMultiTenant(segment: string): boolean {
  return MULTI_TENANT.has(segment.toLowerCase());
}

/** Token lifetimes, like Entra's defaults (60-90 min randomised; fixed here). */
export const AT_LIFETIME_SEC = 3599;
export const EXT_LIFETIME_SEC = 3599;
