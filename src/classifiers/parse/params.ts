/**
 * Parameter parsing: query strings, form-urlencoded bodies, JSON object bodies. First value wins,
 * names keep their case. Never throws: malformed percent-escapes are kept as they are.
 */
import type { Params } from '../parsed.js';

/** A mutable parameter record while it is being built. */
export type ParamsBuilder = Record<string, string>;

/** Set `name` unless it is already there (first value wins); safe for `__proto__`. */
export function setFirst(out: ParamsBuilder, name: string, value: string): void {
  if (!Object.hasOwn(out, name)) setOwn(out, name, value);
}

/** out[name] = value, safe for a `__proto__` parameter name. */
export function setOwn(out: ParamsBuilder, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(out, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[name] = value;
  }
}

const PLUS = /\+/g;

/** Decode one form/query component ('+' is a space, %XX escapes); tolerant of bad escapes. */
export function decodeComponent(s: string): string {
  const spaced = s.includes('+') ? s.replace(PLUS, ' ') : s;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Malformed escape: URLSearchParams keeps bad escapes literally and decodes the rest.
    // `spaced` holds no '&' (the caller split on it) and no '+' any more.
    return new URLSearchParams('a=' + spaced).get('a') ?? spaced;
  }
}

/** Parse `a=1&b=2` (no leading '?'). */
export function parseUrlEncoded(s: string): ParamsBuilder {
  const out: ParamsBuilder = {};
  const n = s.length;
  let start = 0;
  while (start < n) {
    let end = s.indexOf('&', start);
    if (end === -1) end = n;
    if (end > start) {
      const eq = s.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const name = decodeComponent(s.slice(start, hasValue ? eq : end));
      if (name.length > 0)
        setFirst(out, name, hasValue ? decodeComponent(s.slice(eq + 1, end)) : '');
    }
    start = end + 1;
  }
  return out;
}

export interface SplitUrl {
  readonly pathname: string;
  /** The raw query string without '?', or '' */
  readonly search: string;
  /** The raw fragment without '#', or '' */
  readonly fragment: string;
}

/** Split an origin-form (or absolute) URL into path, query and fragment, without URL parsing. */
export function splitUrl(url: string): SplitUrl {
  let rest = url;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(rest);
  if (scheme !== null) {
    const slash = rest.slice(scheme[0].length).search(/[/?#]/);
    rest = slash === -1 ? '/' : rest.slice(scheme[0].length + slash);
  }
  const hash = rest.indexOf('#');
  const fragment = hash === -1 ? '' : rest.slice(hash + 1);
  const beforeHash = hash === -1 ? rest : rest.slice(0, hash);
  const q = beforeHash.indexOf('?');
  return {
    pathname: q === -1 ? beforeHash : beforeHash.slice(0, q),
    search: q === -1 ? '' : beforeHash.slice(q + 1),
    fragment,
  };
}

/** Parse text as a JSON object; null when it is not one (never throws). */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) <= 32 || text.charCodeAt(i) === 0xfeff)) i++;
  if (text.charCodeAt(i) !== 123 /* { */) return null;
  try {
    const v: unknown = JSON.parse(i === 0 ? text : text.slice(i));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null;
  } catch {
    // Not JSON: the caller records a problem when JSON was expected.
    return null;
  }
}

/** The top-level string/number/boolean fields of a JSON object, as strings. */
export function jsonScalars(obj: Readonly<Record<string, unknown>>): ParamsBuilder {
  const out: ParamsBuilder = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') setFirst(out, k, v);
    else if (typeof v === 'number' || typeof v === 'boolean') setFirst(out, k, String(v));
  }
  return out;
}

/** Case-insensitive parameter lookup; `lowerName` must be lowercase. */
export function findParam(params: Params, lowerName: string): string | undefined {
  if (Object.hasOwn(params, lowerName)) return params[lowerName];
  for (const k in params) {
    if (
      k.length === lowerName.length &&
      k.toLowerCase() === lowerName &&
      Object.hasOwn(params, k)
    ) {
      return params[k];
    }
  }
  return undefined;
}
