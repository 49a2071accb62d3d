/**
 * WWW-Authenticate / Proxy-Authenticate, redacted: each challenge keeps its scheme and its `error`
 * and `error_description` parameters (scrubbed by secret-text.ts); every other parameter (realm,
 * authorization_uri, claims...) and any token68 blob is dropped. Parsed per RFC 9110 §11.6.1:
 * `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, challenges separated by commas.
 * Pure; never throws.
 */
import { holdsSecret, redactedText, scrubText } from './secret-text.js';

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const SCHEME = /^[A-Za-z][\w-]{0,31}$/;
const TOKEN68 = /[A-Za-z0-9._~+/-]+=*/y;
const SPACE = /[ \t\r\n,]*/y;
const KEPT = new Set(['error', 'error_description']);
/** More challenges than this in one header are not kept (there are one or two in practice). */
const MAX_CHALLENGES = 8;
/** Longer descriptions are cut: evidence, not a copy of the response. */
const MAX_DESCRIPTION = 512;

function match(re: RegExp, s: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(s);
  return m === null ? null : m[0];
}

/** A quoted-string starting at `at` (the opening quote): its value and where it ends. */
function quoted(s: string, at: number): { value: string; end: number } {
  let out = '';
  let i = at + 1;
  while (i < s.length) {
    const c = s[i];
    if (c === '"') return { value: out, end: i + 1 };
    if (c === '\\' && i + 1 < s.length) {
      out += s[i + 1];
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return { value: out, end: i };
}

function quote(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function keptValue(v: string): string {
  const cut = v.length > MAX_DESCRIPTION ? `${v.slice(0, MAX_DESCRIPTION)}...` : v;
  return scrubText(cut.replace(/[\r\n\t]+/g, ' '));
}

/** The redacted challenge(s); the whole value fingerprinted when it does not parse. */
export function redactChallenge(value: string): string {
  const challenges: { scheme: string; params: string[] }[] = [];
  let i = 0;
  while (i < value.length) {
    i += match(SPACE, value, i)?.length ?? 0;
    if (i >= value.length) break;
    const name = match(TOKEN, value, i);
    if (name === null) return redactedText(value);
    i += name.length;
    const eq = /^[ \t]*=[ \t]*/.exec(value.slice(i, i + 64));
    const current = challenges[challenges.length - 1];
    if (eq !== null) {
      if (current === undefined) return redactedText(value); // a parameter before any scheme
      // auth-param: name = token / quoted-string
      i += eq[0].length;
      let v: string;
      if (value[i] === '"') {
        const q = quoted(value, i);
        v = q.value;
        i = q.end;
      } else {
        v = match(TOKEN, value, i) ?? '';
        i += v.length;
      }
      const n = name.toLowerCase();
      if (KEPT.has(n)) current.params.push(`${n}=${quote(keptValue(v))}`);
      continue;
    }
    // A new challenge: its scheme, then maybe a token68 credential blob (dropped). A "scheme"
    // that is not a short word (a bare token, garbage) means this is no challenge header.
    if (!SCHEME.test(name) || holdsSecret(name)) return redactedText(value);
    challenges.push({ scheme: name, params: [] });
    const ws = /^[ \t]+/.exec(value.slice(i, i + 64));
    if (ws !== null) {
      const t68 = match(TOKEN68, value, i + ws[0].length);
      const after = i + ws[0].length + (t68?.length ?? 0);
      if (t68 !== null && /^[ \t]*(?:,|$)/.test(value.slice(after, after + 64))) {
        i += ws[0].length + t68.length;
      }
    }
  }
  if (challenges.length === 0) return value.trim() === '' ? '' : redactedText(value);
  return challenges
    .slice(0, MAX_CHALLENGES)
    .map((c) => (c.params.length > 0 ? `${c.scheme} ${c.params.join(', ')}` : c.scheme))
    .join(', ');
}
