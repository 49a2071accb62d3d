/**
 * A fast, conservative well-formedness check for the plain XML that SAML messages are made of.
 *
 * `true` only for documents of a strict subset of XML that fast-xml-parser's validator
 * (`XMLValidator.validate`, what `parser.parse(xml, true)` runs) accepts; `false` means "not shown
 * here", never "malformed": the caller then runs the validator, which stays the only source of
 * error messages. So skipping the validator when this says `true` changes no result.
 *
 * The subset (a proof sketch against fast-xml-parser's src/validator.js is in the comments):
 * - an optional declaration `<?xml...?>` (no '?' inside) at offset 0, whitespace, one root
 *   element, whitespace, the end;
 * - element and attribute names of ASCII letters, digits and `_ : . -`, not starting with a digit,
 *   '.' or '-' (a subset of the validator's `isName`);
 * - attributes `name="value"` or `name='value'`, each after whitespace, with distinct names;
 * - closing tags `</name>` (whitespace allowed before '>') matching the open element;
 * - text holding no '<', and '&' only in a reference `&name;` (1 to 20 of [A-Za-z0-9_]), `&#123;`
 *   or `&#x1F;`;
 * - no comment, CDATA section, processing instruction or DOCTYPE (the validator's own code then
 *   decides).
 * Whitespace is exactly the validator's: space, tab, CR, LF. Linear time: sticky regexes whose
 * repetitions cannot overlap, and forward-only indexOf scans.
 */

const NAME = '[A-Za-z_:][A-Za-z0-9_.:-]*';
const S = '[ \\t\\r\\n]';
const QUOTED = `(?:"[^"]*"|'[^']*')`;

/**
 * An open tag: name (1), attributes (2), '/' when self-closing (3). The validator reads the name up
 * to whitespace or '>' (dropping a trailing '/'), then the attribute text up to the first '>' outside
 * quotes, and tokenizes it into whitespace + name + '=' + quoted value: here every attribute has
 * that exact shape, so its checks (leading space, '=', value, isName) all pass.
 */
const OPEN = new RegExp(`<(${NAME})((?:${S}+${NAME}${S}*=${S}*${QUOTED})*)${S}*(/?)>`, 'y');
/** One attribute of OPEN's group 2, for the duplicate check (the validator refuses repeats). */
const ATTRIBUTE = new RegExp(`${S}+(${NAME})${S}*=${S}*${QUOTED}`, 'g');
/** A closing tag: its attribute text is whitespace only, as the validator requires. */
const CLOSE = new RegExp(`</(${NAME})${S}*>`, 'y');
/** What the validator's validateAmpersand accepts (a subset of it: it also takes `&#;`). */
const REFERENCE = /&(?:[A-Za-z0-9_]{1,20}|#[0-9]+|#x[0-9a-fA-F]+);/y;
/** The declaration: the validator's readPI skips to the first '?>' (it is at offset 0 here). */
const DECLARATION = /<\?xml[^?]*\?>/y;
const SPACES = new RegExp(`${S}*`, 'y');

function skipSpaces(xml: string, from: number): number {
  SPACES.lastIndex = from;
  SPACES.test(xml);
  return SPACES.lastIndex;
}

function distinctAttributes(attributes: string): boolean {
  // Each attribute has its own '=' (outside its value): a single '=' means a single attribute.
  if (attributes.indexOf('=') === attributes.lastIndexOf('=')) return true;
  const seen = new Set<string>();
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(attributes); m !== null; m = ATTRIBUTE.exec(attributes)) {
    const name = m[1] ?? '';
    if (seen.has(name)) return false;
    seen.add(name);
  }
  return true;
}

/** True when `xml` is in the plain subset above, hence accepted by fast-xml-parser's validator. */
export function isPlainWellFormedXml(xml: string): boolean {
  try {
    return check(xml);
  } catch {
    // A regex running out of stack on a pathological input: let the validator decide.
    return false;
  }
}

function check(xml: string): boolean {
  let i = 0;
  DECLARATION.lastIndex = 0;
  if (DECLARATION.test(xml)) i = DECLARATION.lastIndex;
  i = skipSpaces(xml, i);
  const open: string[] = [];
  /** Index of the next '&' at or after the text being scanned (-1: none left). */
  let amp = -2;
  for (;;) {
    if (xml.charCodeAt(i) !== 60 /* < */) return false;
    if (xml.charCodeAt(i + 1) === 47 /* / */) {
      CLOSE.lastIndex = i;
      const m = CLOSE.exec(xml);
      if (m === null || open.pop() !== m[1]) return false;
      i = CLOSE.lastIndex;
    } else {
      OPEN.lastIndex = i;
      const m = OPEN.exec(xml);
      if (m === null || !distinctAttributes(m[2] ?? '')) return false;
      i = OPEN.lastIndex;
      if (m[3] !== '/') open.push(m[1] ?? '');
    }
    // The root element is closed: only whitespace may follow (the validator refuses a second root
    // after a closed one, and any other text).
    if (open.length === 0) return skipSpaces(xml, i) === xml.length;
    // Text up to the next tag: no '<' by construction, references checked.
    const lt = xml.indexOf('<', i);
    if (lt === -1) return false;
    if (amp !== -1 && amp < i) amp = xml.indexOf('&', i);
    while (amp !== -1 && amp < lt) {
      REFERENCE.lastIndex = amp;
      if (!REFERENCE.test(xml)) return false;
      amp = xml.indexOf('&', REFERENCE.lastIndex);
    }
    i = lt;
  }
}
