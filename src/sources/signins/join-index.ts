/**
 * Sign-in rows by correlation id, in about 12 bytes a row: the index that joins a captured exchange
 * (its `client-request-id`) to the sign-in it started, for millions of rows without a Map of
 * strings. Keys are 64 bits of the id (a GUID's first 16 hex digits, else an FNV-1a hash), values
 * an index into a small table of distinct joined facts (issuer, app name). Open addressing, grown
 * by doubling up to MAX_ROWS, past which rows are not indexed (`full` says so).
 */

/** Rows indexed at most (the table then holds 2^24 slots, 192 MiB): past it, `full`. */
export const MAX_ROWS = 8_000_000;

export interface JoinedSignIn {
  /** tokenIssuerType of the row, as folded by row.ts (`azuread`, `azureadbackupauth`...). */
  readonly issuer: string | null;
  readonly appName: string | null;
}

const EMPTY = 0xffffffff;

function fnv(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The value of the lower-case hex digits id[from..to), or -1 when one is not. */
function hex(id: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = id.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Distinct joined facts (issuer, app name), each known by its place in `list`. */
class FactTable {
  readonly list: JoinedSignIn[] = [];
  /** Ids by issuer, then app name (null as ''). */
  private readonly ids = new Map<string, Map<string, number>>();

  /** The fact's id, added when new (`copy`: as a copy sharing no memory with its source text). */
  id(joined: JoinedSignIn, copy: boolean): number {
    const issuer = joined.issuer ?? '';
    let names = this.ids.get(issuer);
    let v = names?.get(joined.appName ?? '');
    if (v === undefined) {
      v = this.list.length;
      const kept = copy ? (JSON.parse(JSON.stringify(joined)) as JoinedSignIn) : joined;
      this.list.push(kept);
      if (names === undefined) this.ids.set(kept.issuer ?? '', (names = new Map()));
      names.set(kept.appName ?? '', v);
    }
    return v;
  }
}

/** 64 bits of a correlation id as two 32-bit halves (never both 0xffffffff: that marks an empty slot). */
export function joinKey(id: string): [number, number] {
  // A GUID's first three groups, "xxxxxxxx-xxxx-xxxx-", lower-case hex (row.ts lower-cases ids).
  const guid =
    id.charCodeAt(8) === 0x2d && id.charCodeAt(13) === 0x2d && id.charCodeAt(18) === 0x2d;
  const a = guid ? hex(id, 0, 8) : -1;
  const b = a >= 0 ? hex(id, 9, 13) : -1;
  const c = b >= 0 ? hex(id, 14, 18) : -1;
  const hi = c >= 0 ? a >>> 0 : fnv(id, 0x811c9dc5);
  const lo = c >= 0 ? (b * 0x10000 + c) >>> 0 : fnv(id, 0x01234567);
  return [hi, hi === EMPTY && lo === EMPTY ? 0 : lo];
}

export class CorrelationIndex {
  private hi = new Uint32Array(1 << 12).fill(EMPTY);
  private lo = new Uint32Array(1 << 12).fill(EMPTY);
  private val = new Uint32Array(1 << 12);
  private size = 0;
  private readonly facts = new FactTable();
  /** More rows came than the index holds. */
  full = false;

  get rows(): number {
    return this.size;
  }

  add(correlationId: string, joined: JoinedSignIn): void {
    const [h, l] = joinKey(correlationId);
    this.addKey(h, l, this.factId(joined));
  }

  /** add() by the id's key and a fact id (factId): a JoinLog's entries, merged in row order. */
  addKey(h: number, l: number, fact: number): void {
    if (this.size >= MAX_ROWS) {
      this.full = true;
      return;
    }
    if ((this.size + 1) * 2 > this.hi.length) this.grow();
    this.put(h, l, fact);
  }

  /** The id of a distinct joined fact in this index's table. */
  factId(joined: JoinedSignIn): number {
    // Kept for the whole run: copies that share no memory with the text they were cut from.
    return this.facts.id(joined, true);
  }

  get(correlationId: string): JoinedSignIn | null {
    const [h, l] = joinKey(correlationId);
    const mask = this.hi.length - 1;
    for (let i = (h ^ Math.imul(l, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      if (this.hi[i] === EMPTY && this.lo[i] === EMPTY) return null;
      if (this.hi[i] === h && this.lo[i] === l)
        return this.facts.list[this.val[i] as number] ?? null;
    }
  }

  private put(h: number, l: number, v: number): void {
    const mask = this.hi.length - 1;
    for (let i = (h ^ Math.imul(l, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      if (this.hi[i] === EMPTY && this.lo[i] === EMPTY) {
        this.hi[i] = h;
        this.lo[i] = l;
        this.val[i] = v;
        this.size++;
        return;
      }
      // The same id again (a retried sign-in): the latest row wins.
      if (this.hi[i] === h && this.lo[i] === l) {
        this.val[i] = v;
        return;
      }
    }
  }

  private grow(): void {
    const { hi, lo, val } = this;
    const n = hi.length * 2;
    this.hi = new Uint32Array(n).fill(EMPTY);
    this.lo = new Uint32Array(n).fill(EMPTY);
    this.val = new Uint32Array(n);
    this.size = 0;
    for (let i = 0; i < hi.length; i++) {
      if (hi[i] !== EMPTY || lo[i] !== EMPTY)
        this.put(hi[i] as number, lo[i] as number, val[i] as number);
    }
  }
}

/** A chunk's joins in row order, structured-cloneable: keys and an index into `facts`. */
export interface JoinLogPart {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly fact: Uint32Array;
  readonly facts: readonly JoinedSignIn[];
}

/** The joins of one chunk, kept in row order, to be added to the run's CorrelationIndex in order. */
export class JoinLog {
  private hi: Uint32Array = new Uint32Array(1024);
  private lo: Uint32Array = new Uint32Array(1024);
  private fact: Uint32Array = new Uint32Array(1024);
  private n = 0;
  private readonly facts = new FactTable();

  add(correlationId: string, joined: JoinedSignIn): void {
    // No copy here: the run's index copies each fact it keeps (factId).
    const v = this.facts.id(joined, false);
    if (this.n === this.hi.length) {
      const grow = (a: Uint32Array): Uint32Array => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.hi = grow(this.hi);
      this.lo = grow(this.lo);
      this.fact = grow(this.fact);
    }
    const [h, l] = joinKey(correlationId);
    this.hi[this.n] = h;
    this.lo[this.n] = l;
    this.fact[this.n] = v;
    this.n++;
  }

  part(): JoinLogPart {
    return {
      hi: this.hi.slice(0, this.n),
      lo: this.lo.slice(0, this.n),
      fact: this.fact.slice(0, this.n),
      facts: this.facts.list,
    };
  }
}

/** Adds a chunk's joins to the index, in their row order. */
export function mergeJoins(index: CorrelationIndex, part: JoinLogPart): void {
  const ids = part.facts.map((f) => index.factId(f));
  for (let i = 0; i < part.hi.length; i++) {
    index.addKey(part.hi[i] as number, part.lo[i] as number, ids[part.fact[i] as number] as number);
  }
}
