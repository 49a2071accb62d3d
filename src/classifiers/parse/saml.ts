/**
 * SAML 2.0 messages (Redirect binding: base64 of raw DEFLATE; POST binding: base64 of XML, a few SPs
 * deflate it too). The only importer of fast-xml-parser: one parser instance with entity expansion
 * and DTDs off. Size, inflate and depth caps run before any parsing. Never throws.
 */
import { inflateRawSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import type { SamlMessage, SamlMessageKind, SamlResult } from '../parsed.js';
import { sha256Prefix8 } from './hash.js';

export const MAX_SAML_XML_BYTES = 1024 * 1024;
export const MAX_SAML_DEPTH = 64;
/** base64 of 1 MiB is ~1.4 MB; anything longer cannot hold an acceptable message. */
const MAX_ENCODED = Math.ceil((MAX_SAML_XML_BYTES * 4) / 3) + 4096;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  maxNestedTags: MAX_SAML_DEPTH + 8,
});

type Fail = { readonly ok: false; readonly error: string };
const fail = (error: string): Fail => ({ ok: false, error });

const B64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const WS = /[\s]+/g;
const DTD = /<!(?:DOCTYPE|ENTITY)/i;
const LEADING = /^[\ufeff\s]+/;
const POSITION = /:(\d+):(\d+)$/;

/**
 * base64 text of a SAML parameter to bytes. A '+' that reached us as a space (an unencoded '+'
 * in a query or form) is put back; line breaks are dropped; base64url is accepted.
 */
export function decodeSamlBase64(value: string): Buffer | Fail {
  if (value.length > MAX_ENCODED) return fail('SAML parameter too long');
  let s = value.includes(' ') ? value.replace(/ /g, '+') : value;
  if (/[\r\n\t]/.test(s)) s = s.replace(WS, '');
  if (s.length === 0) return fail('empty SAML parameter');
  if (!B64.test(s) || s.length % 4 === 1) return fail('SAML parameter is not valid base64');
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

type Node = Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function first(v: unknown): unknown {
  return Array.isArray(v) ? (v as unknown[])[0] : v;
}

function text(v: unknown): string | null {
  const f = first(v);
  if (typeof f === 'string') return f.length > 0 ? f : null;
  if (isNode(f) && typeof f['#text'] === 'string') return f['#text'];
  return null;
}

function attr(node: Node, name: string): string | null {
  const v = node['@_' + name];
  return typeof v === 'string' ? v : null;
}

/** Any SubjectConfirmationData with InResponseTo below `node` (bounded walk). */
function hasScdInResponseTo(node: unknown, depth: number): boolean {
  if (depth > MAX_SAML_DEPTH) return false;
  if (Array.isArray(node)) return node.some((n) => hasScdInResponseTo(n, depth + 1));
  if (!isNode(node)) return false;
  for (const k in node) {
    if (k.startsWith('@_') || k === '#text') continue;
    const child = node[k];
    if (k === 'SubjectConfirmationData') {
      const list = Array.isArray(child) ? (child as unknown[]) : [child];
      if (list.some((c) => isNode(c) && attr(c, 'InResponseTo') !== null)) return true;
    }
    if (hasScdInResponseTo(child, depth + 1)) return true;
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
  if (Buffer.byteLength(xml, 'utf8') > MAX_SAML_XML_BYTES)
    return fail('SAML XML larger than 1 MiB (refused)');
  if (DTD.test(xml)) return fail('SAML message with a DTD refused');
  if (nestingDepthExceeds(xml, MAX_SAML_DEPTH)) {
    return fail(`SAML XML nested deeper than ${MAX_SAML_DEPTH} levels (refused)`);
  }
  let doc: unknown;
  try {
    // `true`: validate well-formedness first (the parser alone is lenient about mismatched tags).
    doc = parser.parse(xml, true);
  } catch (e) {
    // The parser's message can quote names taken from the message: keep only where it failed.
    const at = e instanceof Error ? POSITION.exec(e.message) : null;
    return fail(
      `SAML message is not well-formed XML${at === null ? '' : ` (line ${at[1]}, column ${at[2]})`}`,
    );
  }
  if (!isNode(doc)) return fail('SAML message has no root element');
  const rootName = Object.keys(doc).find(
    (k) => !k.startsWith('?') && !k.startsWith('#') && !k.startsWith('@_'),
  );
  const root = rootName === undefined ? undefined : first(doc[rootName]);
  if (rootName === undefined || !isNode(root)) {
    return rootName === undefined
      ? fail('SAML message has no root element')
      : {
          ok: true,
          message: {
            kind: KINDS.has(rootName) ? (rootName as SamlMessageKind) : 'other',
            binding,
            foundIn,
            id: null,
            hasInResponseTo: false,
            issuer: null,
            destination: null,
            audience: null,
            statusCode: null,
            fingerprint,
          },
        };
  }
  const kind: SamlMessageKind = KINDS.has(rootName) ? (rootName as SamlMessageKind) : 'other';
  const status = first(root['Status']);
  const statusCode = isNode(status) ? first(status['StatusCode']) : undefined;
  return {
    ok: true,
    message: {
      kind,
      binding,
      foundIn,
      id: attr(root, 'ID'),
      hasInResponseTo: attr(root, 'InResponseTo') !== null || hasScdInResponseTo(root, 0),
      issuer: text(root['Issuer']),
      destination: attr(root, 'Destination'),
      audience: audienceOf(root),
      statusCode: isNode(statusCode) ? attr(statusCode, 'Value') : null,
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

/** Assertion/Conditions/AudienceRestriction/Audience of a Response: the SP's entity ID. */
function audienceOf(root: Record<string, unknown>): string | null {
  const assertion = first(root['Assertion']);
  if (!isNode(assertion)) return null;
  const conditions = first(assertion['Conditions']);
  if (!isNode(conditions)) return null;
  const restriction = first(conditions['AudienceRestriction']);
  if (!isNode(restriction)) return null;
  return text(restriction['Audience']);
}
