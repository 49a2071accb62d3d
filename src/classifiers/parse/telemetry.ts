/**
 * MSAL server telemetry (`x-client-current-telemetry`): `schema|apiId,cacheInfo,...|...`. The api id
 * spaces of the libraries are separate tables (entra-wire.md §5.3); the detected library picks one.
 */
import type { LibraryInfo, Telemetry } from '../parsed.js';
import { type LibraryFamily, libraryFamily } from './library.js';

type Kind = NonNullable<Telemetry['kind']>;
type Table = ReadonlyMap<number, Kind>;

function table(entries: ReadonlyArray<readonly [Kind, readonly number[]]>): Table {
  const m = new Map<number, Kind>();
  for (const [kind, ids] of entries) for (const id of ids) m.set(id, kind);
  return m;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

export const API_IDS: Readonly<Record<LibraryFamily, Table>> = {
  net: table([
    ['silent', [1007]],
    ['by-refresh-token', [1001]],
    ['interactive', [1005]],
    ['auth-code', [1000]],
    ['ropc', [1003]],
    ['iwa', [1002]],
    ['device-code', [1008]],
    ['obo', [1006, 1017, 1018]],
    ['client-credentials', [1004]],
    ['managed-identity', [1015, 1016]],
  ]),
  python: table([
    ['silent', [84]],
    ['by-refresh-token', [85]],
    ['interactive', [169]],
    ['auth-code', [832]],
    ['ropc', [301]],
    ['device-code', [622]],
    ['obo', [523]],
    ['client-credentials', [730]],
  ]),
  java: table([
    ['silent', [800]],
    ['by-refresh-token', [82]],
    ['interactive', [168]],
    ['auth-code', [831]],
    ['ropc', [300]],
    ['iwa', [400]],
    ['device-code', [620]],
    ['obo', [522]],
    ['client-credentials', [729]],
    ['managed-identity', [804, 805]],
  ]),
  node: table([
    ['silent', [62]],
    ['by-refresh-token', [872]],
    ['auth-code', [871]],
    ['ropc', [371]],
    ['device-code', [671]],
    ['client-credentials', [771]],
  ]),
  browser: table([
    ['silent', [61]],
    ['interactive', range(861, 866)],
  ]),
  android: table([
    ['silent', range(21, 34)],
    ['interactive', range(121, 136)],
    ['device-code', [650, 651]],
  ]),
  ios: table([
    ['silent', range(30, 34)],
    ['interactive', range(160, 167)],
  ]),
};

/** Every family merged; an id that means different things in two families maps to nothing. */
const MERGED: Table = (() => {
  const m = new Map<number, Kind>();
  const conflicts = new Set<number>();
  for (const t of Object.values(API_IDS)) {
    for (const [id, kind] of t) {
      const seen = m.get(id);
      if (seen !== undefined && seen !== kind) conflicts.add(id);
      else m.set(id, kind);
    }
  }
  for (const id of conflicts) m.delete(id);
  return m;
})();

/** What an api id means, using the library's own table when the library is known. */
export function telemetryKind(apiId: number, library: LibraryInfo | null): Telemetry['kind'] {
  const family = library === null ? null : libraryFamily(library.sku);
  const t = family === null ? MERGED : API_IDS[family];
  return t.get(apiId) ?? null;
}

const INT = /^\d{1,9}$/;

function int(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = s.trim();
  return INT.test(t) ? Number(t) : null;
}

/** Values longer than this are not telemetry. */
const MAX_TELEMETRY = 4096;

/** Parse a current-telemetry value; null when it does not have the `schema|...` shape. */
export function parseTelemetry(value: string, library: LibraryInfo | null): Telemetry | null {
  if (value.length > MAX_TELEMETRY) return null;
  const bar = value.indexOf('|');
  if (bar === -1) return null;
  const schema = value.slice(0, bar).trim();
  if (!INT.test(schema)) return null;
  const nextBar = value.indexOf('|', bar + 1);
  const api = value.slice(bar + 1, nextBar === -1 ? value.length : nextBar).split(',');
  const apiId = int(api[0]);
  const cacheInfo = int(api[1]);
  return { schema, apiId, cacheInfo, kind: apiId === null ? null : telemetryKind(apiId, library) };
}
