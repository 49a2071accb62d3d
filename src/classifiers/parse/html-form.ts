/**
 * Auto-post forms in HTML responses (SAML POST binding, WS-Fed wresult, OIDC form_post): a small
 * tolerant tag/attribute scanner, not an HTML parser. Linear-time regexes only.
 */
import type { Params } from '../parsed.js';
import { type ParamsBuilder, setFirst } from './params.js';

/**
 * A tag's attributes may hold '>' inside quotes; alternatives start with distinct characters, and an
 * unterminated quote runs to the end of the text (as in a browser), so every scan stays linear.
 */
const FORM_OPEN = /<form\b((?:[^>"']|"[^"]*(?:"|$)|'[^']*(?:'|$))*)(?:>|$)/gi;
const FORM_CLOSE = /<\/form\s*>/gi;
const INPUT = /<input\b((?:[^>"']|"[^"]*(?:"|$)|'[^']*(?:'|$))*)(?:>|$)/gi;
const ATTR = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)(?:"|$)|'([^']*)(?:'|$)|([^\s"'=<>`]+)))?/g;

/** Fields that mark the auto-post form worth reporting. */
const INTERESTING = new Set([
  'SAMLResponse',
  'SAMLRequest',
  'RelayState',
  'wresult',
  'wa',
  'id_token',
  'code',
  'access_token',
  'state',
  'error',
]);

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  sol: '/',
  equals: '=',
  plus: '+',
  colon: ':',
  period: '.',
  num: '#',
  percnt: '%',
  quest: '?',
};
const ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]{2,8}));?/g;

function codePoint(n: number, whole: string): string {
  return n > 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? String.fromCodePoint(n) : whole;
}

/** Decode the HTML character references met in attribute values (unknown names are kept). */
export function decodeHtmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (whole, hex?: string, dec?: string, name?: string) => {
    if (hex !== undefined) return codePoint(parseInt(hex, 16), whole);
    if (dec !== undefined) return codePoint(parseInt(dec, 10), whole);
    if (name !== undefined && Object.hasOwn(NAMED, name)) return NAMED[name] ?? whole;
    return whole;
  });
}

/** The attributes of a tag body (lowercased names, entity-decoded values; first wins). */
export function parseAttributes(tagBody: string): ParamsBuilder {
  const out: ParamsBuilder = {};
  ATTR.lastIndex = 0;
  for (let m = ATTR.exec(tagBody); m !== null; m = ATTR.exec(tagBody)) {
    const raw = m[2] ?? m[3] ?? m[4] ?? '';
    setFirst(out, (m[1] ?? '').toLowerCase(), decodeHtmlEntities(raw));
  }
  return out;
}

export interface HtmlForm {
  readonly action: string | null;
  readonly fields: Params;
}

/** At most this many inputs are read from one form. */
const MAX_INPUTS = 500;

interface Inputs {
  readonly fields: ParamsBuilder;
  /** Every named input is type=hidden (an auto-post form, not a page the user fills in). */
  readonly allHidden: boolean;
}

function scanInputs(html: string, from: number, to: number): Inputs {
  const fields: ParamsBuilder = {};
  let allHidden = true;
  const part = html.slice(from, to);
  INPUT.lastIndex = 0;
  let count = 0;
  for (let m = INPUT.exec(part); m !== null && count < MAX_INPUTS; m = INPUT.exec(part)) {
    count++;
    const a = parseAttributes(m[1] ?? '');
    const name = a['name'];
    const type = (a['type'] ?? 'text').toLowerCase();
    if (name === undefined || name.length === 0) continue;
    if (type === 'submit' || type === 'button' || type === 'image' || type === 'reset') continue;
    if (type !== 'hidden') allHidden = false;
    setFirst(fields, name, a['value'] ?? '');
  }
  return { fields, allHidden };
}

/** At most this many forms are looked at in one page. */
const MAX_FORMS = 20;

/**
 * The auto-post form of an HTML page: the first form holding a protocol field (SAMLResponse,
 * wresult, id_token, code...), else the first form whose named inputs are all hidden; null when
 * there is none (a sign-in page with visible inputs is not an auto-post form).
 */
export function findAutoPostForm(html: string): HtmlForm | null {
  FORM_OPEN.lastIndex = 0;
  let fallback: HtmlForm | null = null;
  let count = 0;
  for (let m = FORM_OPEN.exec(html); m !== null && count < MAX_FORMS; m = FORM_OPEN.exec(html)) {
    count++;
    const start = m.index + m[0].length;
    FORM_CLOSE.lastIndex = start;
    const close = FORM_CLOSE.exec(html);
    const end = close === null ? html.length : close.index;
    const attrs = parseAttributes(m[1] ?? '');
    const { fields, allHidden } = scanInputs(html, start, end);
    const form: HtmlForm = { action: attrs['action'] ?? null, fields };
    for (const k in fields) {
      if (INTERESTING.has(k)) return form;
    }
    if (fallback === null && allHidden && Object.keys(fields).length > 0) fallback = form;
    FORM_OPEN.lastIndex = end;
  }
  return fallback;
}

const FORM_MARKER = /<form\b/i;

/** Cheap check before scanning: does the text contain a form at all? */
export function mayHoldForm(text: string): boolean {
  return FORM_MARKER.test(text);
}
