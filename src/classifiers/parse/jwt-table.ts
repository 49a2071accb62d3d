/**
 * `ParsedExchange.jwts`: a plain-looking record whose entries decode on first read. Each entry is
 * an enumerable accessor; the getter functions are shared per name (so V8 reuses the object
 * shapes) and read per-object state from a non-enumerable symbol slot. Reads never throw.
 */
import type { JwtResult } from '../parsed.js';
import { JWT_NAMES, inspectJwt } from './jwt.js';

const STATE = Symbol('jwts');

interface Slot {
  readonly token: string;
  result: JwtResult | undefined;
}

type Table = Record<string, JwtResult> & { [STATE]: Map<string, Slot> };

/** Decode the token behind `name` once; same token under two names is decoded once too. */
function resolve(table: Table, name: string): JwtResult {
  const slot = table[STATE].get(name);
  if (slot === undefined) return { ok: false, error: 'no such token' };
  if (slot.result === undefined) {
    for (const other of table[STATE].values()) {
      if (other.token === slot.token && other.result !== undefined) {
        slot.result = other.result;
        return slot.result;
      }
    }
    slot.result = inspectJwt(slot.token);
  }
  return slot.result;
}

/** The entry names a table accepts: the JWT parameters, and `bearer` (Authorization header). */
const NAMES = [...JWT_NAMES.map(([name]) => name), 'bearer'];

/** One shared getter per entry name, so tables stay cheap to build. */
const GETTERS: ReadonlyMap<string, (this: Table) => JwtResult> = new Map(
  NAMES.map((name) => [
    name,
    function get(this: Table): JwtResult {
      return resolve(this, name);
    },
  ]),
);

/** A new, empty jwts record. */
export function newJwtTable(): Record<string, JwtResult> {
  const t = {};
  Object.defineProperty(t, STATE, { value: new Map<string, Slot>(), enumerable: false });
  return t;
}

/** Add `name` -> `token` to a record made by newJwtTable (`name` one of NAMES; first one wins). */
export function addLazyJwt(table: Record<string, JwtResult>, name: string, token: string): void {
  const state = (table as Table)[STATE];
  const get = GETTERS.get(name);
  if (get === undefined || state.has(name)) return;
  state.set(name, { token, result: undefined });
  Object.defineProperty(table, name, { get, enumerable: true, configurable: true });
}
