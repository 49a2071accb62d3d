/**
 * SAML 2.0 messages (Redirect binding: base64 of raw DEFLATE; POST binding: base64 of XML, a few SPs
 * deflate it too). The only importer of fast-xml-parser: one parser instance with entity expansion
 * and DTDs off. Size, inflate and depth caps run before any parsing. Never throws.
 */
import { inflateRawSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import type { SamlMessage, SamlMessageKind, SamlResult } from '../parsed.js';
import { sha256Prefix8 } from './hash.js';
import { isPlainWellFormedXml } from './well-formed.js';

export const MAX_SAML_XML_BYTES = 1024 * 1024;
export const MAX_SAML_DEPTH = 64;
/** base64 of 1 MiB is ~1.4 MB; anything longer cannot hold an acceptable message. */
const MAX_ENCODED = Math.ceil((MAX_SAML_XML_BYTES * 4) / 3) + 4096;

/** The attributes read below (by local name); the others are dropped while parsing. */
const READ_ATTRIBUTES: ReadonlySet<string> = new Set([
  'ID',
  'InResponseTo',
  'Destination',
  'Value',
]);

/**
 * Entity expansion is off (`processEntities: false`), so the decoder is never asked to decode
 * anything; this no-op one only spares building the library's default decoder on every parse.
 */
const NO_ENTITY_DECODER = {
  setExternalEntities: (): void => {},
  addInputEntities: (): void => {},
  reset: (): void => {},
  setXmlVersion: (): void => {},
  decode: (text: string): string => text,
};

/**
 * Names are kept as sent (`removeNSPrefix: false`) and the output is the ordered form
 * (`preserveOrder: true`): both spare work per tag and attribute. The readers below look elements
 * and attributes up by local name exactly as the library's `removeNSPrefix` object form would
 * (first element of a name, last attribute of a local name wins), so the facts are the same.
 */
const parser = new XMLParser({
  preserveOrder: true,
  removeNSPrefix: false,
  ignoreAttributes: (name: string) => !READ_ATTRIBUTES.has(attributeLocalName(name)),
  attributeNamePrefix: '@_',
  processEntities: false,
  htmlEntities: false,
  entityDecoder: NO_ENTITY_DECODER,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  maxNestedTags: MAX_SAML_DEPTH + 8,
  // No callbacks read paths: do not build a path string per tag.
  jPath: false,
});

type Fail = { readonly ok: false; readonly error: string };
const fail = (error: string): Fail => ({ ok: false, error });

const B64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const WS = /[\s]+/g;
const DTD = /<!(?:DOCTYPE|ENTITY)/i;
const LEADING = /^[\ufeff\s]+/;
const POSITION = /:(\d+):(\d+)$/;
const NOT_WELL_FORMED = 'SAML message is not well-formed XML';

/**
 * base64 text of a SAML parameter to bytes. A '+' that reached us as a space (an unencoded '+'
 * in a query or form) is put back; line breaks are dropped; base64url is accepted.
 */
export function decodeSamlBase64(value: string): Buffer | Fail {
  if (value.length > MAX_ENCODED) return fail('SAML parameter too long');
  let s = value;
  // Clean base64 (the usual case) holds neither spaces nor line breaks: nothing to repair.
  let clean = B64.test(s);
  if (!clean) {
    if (s.includes(' ')) s = s.replace(/ /g, '+');
    if (/[\r\n\t]/.test(s)) s = s.replace(WS, '');
    clean = B64.test(s);
  }
  if (s.length === 0) return fail('empty SAML parameter');
  if (!clean || s.length % 4 === 1) return fail('SAML parameter is not valid base64');
  // Node's base64 decoder accepts the base64url alphabet too.
  const buf = Buffer.from(s, 'base64');
  if (buf.length === 0) return fail('SAML parameter is not valid base64');
  return buf;
}

function inflate(buf: Buffer): Buffer | Fail {
  try {
    return inflateRawSync(buf, { maxOutputLength: MAX_SAML_XML_BYTES });
  } catch (e) {
    if (e instanceof RangeError || (e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      return fail('SAML message inflates beyond 1 MiB (refused)');
    }
    return fail('SAML message is not valid DEFLATE data');
  }
}

/** First non-whitespace byte is '<' (after an optional UTF-8 BOM). */
function startsLikeXml(buf: Buffer): boolean {
  let i = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  while (
    i < buf.length &&
    (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)
  )
    i++;
  return buf[i] === 0x3c;
}

/**
 * Cheap upper bound of the element nesting depth; stops counting past `limit`. Comments, PIs and
 * CDATA are skipped roughly; it only has to be conservative.
 */
export function nestingDepthExceeds(xml: string, limit: number): boolean {
  let depth = 0;
  let i = xml.indexOf('<');
  while (i !== -1) {
    const c = xml.charCodeAt(i + 1);
    if (c === 47 /* / */) {
      depth--;
    } else if (c !== 63 /* ? */ && c !== 33 /* ! */) {
      const end = xml.indexOf('>', i + 1);
      if (end === -1) break;
      if (xml.charCodeAt(end - 1) !== 47 /* self-closing */) {
        depth++;
        if (depth > limit) return true;
      }
      i = xml.indexOf('<', end + 1);
      continue;
    }
    i = xml.indexOf('<', i + 1);
  }
  return false;
}

/**
 * Reading the ordered output. An element is `{ [name]: children, ':@'?: attributes }`, a text
 * `{ '#text': text }`. The functions below give what the library's object form with
 * `removeNSPrefix: true` gave for the same document, which is what the facts are defined on.
 */
type Ordered = Record<string, unknown>;

const ATTRIBUTES = ':@';
const TEXT = '#text';

/**
 * An attribute's name with `removeNSPrefix` (the library's resolveNameSpace): `xmlns` and
 * `xmlns:*` give '' (dropped), `p:name` gives `name`, other names stay whole.
 */
function attributeLocalName(name: string): string {
  const colon = name.indexOf(':');
  if (colon === -1) return name === 'xmlns' ? '' : name;
  if (colon === 5 && name.startsWith('xmlns')) return '';
  // Two colons or more: the library keeps the name whole.
  if (name.indexOf(':', colon + 1) !== -1) return name;
  return `${name.charCodeAt(0) === 47 /* / */ ? '/' : ''}${name.slice(colon + 1)}`;
}

/** Names the library refuses (it throws) and renames (`__` + name), as in its sanitizeName. */
const REFUSED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const RENAMED_NAMES: ReadonlySet<string> = new Set([
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** The tag name of an ordered node (its first key other than ':@'); '#text' for a text. */
function tagOf(node: Ordered): string | undefined {
  for (const k in node) if (k !== ATTRIBUTES) return k;
  return undefined;
}

/**
 * The name an element has with `removeNSPrefix`: what follows the first ':' (the library already
 * sanitized unprefixed names; a local part is sanitized here the same way). `null` for a local part
 * the library refuses outright.
 */
function localName(tag: string): string | null {
  const colon = tag.indexOf(':');
  if (colon === -1) return tag;
  const local = tag.slice(colon + 1);
  if (REFUSED_NAMES.has(local)) return null;
  return RENAMED_NAMES.has(local) ? `__${local}` : local;
}

function childrenOf(element: Ordered, tag: string): readonly Ordered[] {
  const c = element[tag];
  return Array.isArray(c) ? (c as Ordered[]) : [];
}

interface Element {
  readonly node: Ordered;
  readonly tag: string;
  /** The name with `removeNSPrefix` (see localName). */
  readonly name: string;
}

/** The elements among ordered nodes (texts skipped), with their names. */
function elementsIn(nodes: readonly Ordered[]): Element[] {
  const out: Element[] = [];
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === undefined || tag === TEXT) continue;
    out.push({ node, tag, name: localName(tag) ?? '' });
  }
  return out;
}

/** The first child element named `name`. */
function child(e: Element | undefined, name: string): Element | undefined {
  return e && elementsIn(childrenOf(e.node, e.tag)).find((x) => x.name === name);
}

/** The element's text: its text parts joined, null when empty. */
function text(e: Element | undefined): string | null {
  if (e === undefined) return null;
  let out = '';
  for (const node of childrenOf(e.node, e.tag)) {
    const t = node[TEXT];
    if (typeof t === 'string' && tagOf(node) === TEXT) out += t;
  }
  return out.length > 0 ? out : null;
}

/** The value of the attribute whose local name is `name` (the last one, when several are). */
function attr(e: Element | undefined, name: string): string | null {
  const attrs = e?.node[ATTRIBUTES];
  if (typeof attrs !== 'object' || attrs === null) return null;
  let value: string | null = null;
  for (const k in attrs) {
    const v = (attrs as Record<string, unknown>)[k];
    if (typeof v === 'string' && attributeLocalName(k.slice(2)) === name) value = v;
  }
  return value;
}

/** Sibling elements grouped by name, in document order (the object form's keys and arrays). */
function byName(elements: readonly Element[]): Element[][] {
  const groups: Element[][] = [];
  if (elements.length <= 8) {
    // Few children (the usual case): no map needed.
    next: for (const e of elements) {
      for (const g of groups) {
        if ((g[0] as Element).name === e.name) {
          g.push(e);
          continue next;
        }
      }
      groups.push([e]);
    }
    return groups;
  }
  const index = new Map<string, Element[]>();
  for (const e of elements) {
    const g = index.get(e.name);
    if (g === undefined) {
      const fresh = [e];
      index.set(e.name, fresh);
      groups.push(fresh);
    } else g.push(e);
  }
  return groups;
}

/**
 * Any SubjectConfirmationData with InResponseTo below `e` (bounded walk). The depth is counted as
 * in the object form, where a name met more than once among siblings is an array: one more level.
 */
function hasScdInResponseTo(e: Element, depth: number): boolean {
  if (depth > MAX_SAML_DEPTH) return false;
  for (const group of byName(elementsIn(childrenOf(e.node, e.tag)))) {
    const first = group[0] as Element;
    if (first.name === 'SubjectConfirmationData') {
      if (group.some((x) => attr(x, 'InResponseTo') !== null)) return true;
    }
    if (group.length === 1) {
      if (hasScdInResponseTo(first, depth + 1)) return true;
    } else if (depth + 1 <= MAX_SAML_DEPTH && group.some((x) => hasScdInResponseTo(x, depth + 2))) {
      return true;
    }
  }
  return false;
}

/** A refused local name anywhere (the object form's parse threw on it; cheap text check first). */
const MAY_HOLD_REFUSED = /:(?:__proto__|constructor|prototype)\b/;

function holdsRefusedName(nodes: readonly Ordered[]): boolean {
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === undefined || tag === TEXT) continue;
    if (localName(tag) === null || holdsRefusedName(childrenOf(node, tag))) return true;
  }
  return false;
}

const KINDS: ReadonlySet<string> = new Set([
  'AuthnRequest',
  'Response',
  'LogoutRequest',
  'LogoutResponse',
]);

/** Parse SAML protocol XML into the facts we keep. `fingerprint` is of the encoded message. */
export function parseSamlXml(
  xml: string,
  binding: SamlMessage['binding'],
  foundIn: SamlMessage['foundIn'],
  fingerprint: string,
): SamlResult {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: short texts need no byte count.
  if (xml.length * 3 > MAX_SAML_XML_BYTES && Buffer.byteLength(xml, 'utf8') > MAX_SAML_XML_BYTES)
    return fail('SAML XML larger than 1 MiB (refused)');
  if (DTD.test(xml)) return fail('SAML message with a DTD refused');
  if (nestingDepthExceeds(xml, MAX_SAML_DEPTH)) {
    return fail(`SAML XML nested deeper than ${MAX_SAML_DEPTH} levels (refused)`);
  }
  let doc: unknown;
  try {
    // Validate well-formedness first (the parser alone is lenient about mismatched tags): the
    // validator (`true`) runs unless the fast check shows it would accept the document anyway.
    doc = isPlainWellFormedXml(xml) ? parser.parse(xml) : parser.parse(xml, true);
  } catch (e) {
    // The parser's message can quote names taken from the message: keep only where it failed.
    const at = e instanceof Error ? POSITION.exec(e.message) : null;
    return fail(
      at === null ? NOT_WELL_FORMED : `${NOT_WELL_FORMED} (line ${at[1]}, column ${at[2]})`,
    );
  }
  if (!Array.isArray(doc)) return fail('SAML message has no root element');
  const top = doc as Ordered[];
  if (MAY_HOLD_REFUSED.test(xml) && holdsRefusedName(top)) return fail(NOT_WELL_FORMED);
  // The root: the first top-level element (texts and CDATA are not elements).
  const root = elementsIn(top)[0];
  if (root === undefined) return fail('SAML message has no root element');
  const kind: SamlMessageKind = KINDS.has(root.name) ? (root.name as SamlMessageKind) : 'other';
  return {
    ok: true,
    message: {
      kind,
      binding,
      foundIn,
      id: attr(root, 'ID'),
      hasInResponseTo: attr(root, 'InResponseTo') !== null || hasScdInResponseTo(root, 0),
      issuer: text(child(root, 'Issuer')),
      destination: attr(root, 'Destination'),
      audience: text(
        child(
          child(child(child(root, 'Assertion'), 'Conditions'), 'AudienceRestriction'),
          'Audience',
        ),
      ),
      statusCode: attr(child(child(root, 'Status'), 'StatusCode'), 'Value'),
      fingerprint,
    },
  };
}

/**
 * Decode and parse a SAMLRequest/SAMLResponse parameter value. Redirect binding is inflated; POST
 * binding is taken as XML, or inflated when it is not XML.
 */
export function parseSamlParam(
  value: string,
  binding: SamlMessage['binding'],
  foundIn: SamlMessage['foundIn'],
): SamlResult {
  const decoded = decodeSamlBase64(value);
  if (!Buffer.isBuffer(decoded)) return decoded;
  let xmlBytes: Buffer;
  if (binding === 'post' && startsLikeXml(decoded)) {
    xmlBytes = decoded;
  } else {
    const inflated = inflate(decoded);
    if (!Buffer.isBuffer(inflated)) {
      // Some senders skip DEFLATE on the Redirect binding: accept plain XML there too.
      if (startsLikeXml(decoded)) xmlBytes = decoded;
      else
        return binding === 'post' ? fail('SAML message is neither XML nor DEFLATE data') : inflated;
    } else {
      xmlBytes = inflated;
    }
  }
  if (xmlBytes.length > MAX_SAML_XML_BYTES) return fail('SAML XML larger than 1 MiB (refused)');
  if (!startsLikeXml(xmlBytes)) return fail('decoded SAML message is not XML');
  // Drop a BOM and leading whitespace: the validator wants the declaration first.
  const xml = xmlBytes.toString('utf8').replace(LEADING, '');
  return parseSamlXml(xml, binding, foundIn, sha256Prefix8(value));
}
