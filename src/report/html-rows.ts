/**
 * The rows of the HTML report's exchange table: one compact JSON array per exchange, strings that
 * repeat (hosts, paths, reason texts, client ids) replaced by an index into a string table. The
 * layout is read by HTML_SCRIPT of html-assets.ts; keep them in step.
 *
 * A row depends only on its record and the string table built so far, never on the report head,
 * so rows can be built while a session is still being recorded (see report-cache.ts)
 * and the page assembled afterwards.
 */
import { applicationKey } from '../classifiers/session.js';
import type { ExchangeRecord } from '../core/types.js';
import { verdictRank } from '../core/verdict.js';

/** Strings kept in a page's table; past it, strings are written inline. */
export const INTERNED_STRINGS = 20_000;

export class Interner {
  private readonly map = new Map<string, number>();
  private readonly list: string[] = [];
  constructor(private readonly cap: number = INTERNED_STRINGS) {}
  /** The index of `s` in the table, or `s` itself once the table is full. */
  ref(s: string): number | string {
    const i = this.map.get(s);
    if (i !== undefined) return i;
    if (this.list.length >= this.cap) return s;
    this.map.set(s, this.list.length);
    this.list.push(s);
    return this.list.length - 1;
  }
  values(): readonly string[] {
    return this.list;
  }
}

/**
 * One row as script-safe JSON text. `evidenceJson`, when given, is JSON.stringify(r.evidence)
 * already made elsewhere (r.evidence is then not read): the row is the same text either way.
 */
export function rowText(r: ExchangeRecord, s: Interner, evidenceJson?: string): string {
  const key = applicationKey(r);
  const before = [
    r.id,
    r.startedAt,
    r.method,
    s.ref(r.host),
    s.ref(r.path),
    r.status,
    verdictRank(r.verdict),
    key === null ? null : s.ref(key),
    r.grantType ?? (r.samlInitiation ? `saml:${r.samlInitiation}` : r.endpoint),
    r.reasons.map((x) => [s.ref(x.code), s.ref(x.message)]),
    r.clientId === null ? null : s.ref(r.clientId),
    r.clientRequestId,
    r.serverRequestId,
    r.durationMs,
    r.library === null
      ? null
      : s.ref(`${r.library}${r.libraryVersion ? ` ${r.libraryVersion}` : ''}`),
  ];
  const after = [r.error, r.tenant, r.scopes];
  const a = JSON.stringify(before);
  const b = JSON.stringify(after);
  const ev = evidenceJson ?? JSON.stringify(r.evidence);
  return scriptSafe(`${a.slice(0, -1)},${ev},${b.slice(1)}`);
}

/** JSON safe inside a <script> element: no `<` (so no `</script>` or `<!--`), no line separators. */
export function scriptSafe(json: string): string {
  return json
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Any value as script-safe JSON. */
export function jsonForScript(value: unknown): string {
  return scriptSafe(JSON.stringify(value));
}
