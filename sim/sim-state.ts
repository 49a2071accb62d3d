/**
 * The simulated Entra ID's memory: authorization codes, refresh tokens and device codes, each in a
 * bounded map (oldest entries evicted) so a long demo or a hostile client cannot grow it unbounded.
 */
import type { SimUser } from './sim-tokens.js';

const MAX_ENTRIES = 5000;

export class BoundedMap<V> {
  readonly #m = new Map<string, V>();
  readonly #max: number;

  constructor(max = MAX_ENTRIES) {
    this.#max = max;
  }

  get(k: string): V | undefined {
    return this.#m.get(k);
  }

  set(k: string, v: V): void {
    if (this.#m.size >= this.#max && !this.#m.has(k)) {
      const oldest = this.#m.keys().next();
      if (!oldest.done) this.#m.delete(oldest.value);
    }
    this.#m.set(k, v);
  }

  take(k: string): V | undefined {
    const v = this.#m.get(k);
    this.#m.delete(k);
    return v;
  }

  get size(): number {
    return this.#m.size;
  }
}

export interface CodeGrant {
  readonly clientId: string;
  readonly redirectUri: string | null;
  readonly scopes: readonly string[];
  readonly user: SimUser;
  readonly nonce: string | undefined;
  readonly codeChallenge: string | undefined;
  readonly codeChallengeMethod: string | undefined;
  readonly expiresAt: number;
  /** v1 authorize: the resource asked for. */
  readonly resource: string | undefined;
}

export interface RefreshGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly user: SimUser;
  readonly tenantId: string;
  /** Issued to a SPA (Origin present): 24 h lifetime, redeemable only with an Origin. */
  readonly spa: boolean;
}

export interface DeviceGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly userCode: string;
  readonly expiresAt: number;
  /** Polls so far; the first answers authorization_pending. */
  polls: number;
}

export interface SimState {
  readonly codes: BoundedMap<CodeGrant>;
  readonly refreshTokens: BoundedMap<RefreshGrant>;
  readonly deviceCodes: BoundedMap<DeviceGrant>;
}

export function createSimState(): SimState {
  return {
    codes: new BoundedMap(),
    refreshTokens: new BoundedMap(),
    deviceCodes: new BoundedMap(),
  };
}
