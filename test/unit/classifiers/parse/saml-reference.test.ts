/**
 * The SAML reader against its reference: the way it read messages before it was made faster
 * (fast-xml-parser's object form with `removeNSPrefix`, validation on every document), kept here as
 * the oracle. The product reads the ordered form with prefixes kept and skips the validator for
 * documents the fast well-formedness check proves valid: for any document, the result (facts or
 * failure reason) must be the same. This test builds its own parser, so it imports fast-xml-parser;
 * the product code still does so in saml.ts only.
 */
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  MAX_SAML_DEPTH,
  decodeSamlBase64,
  parseSamlXml,
} from '../../../../src/classifiers/parse/saml.js';
import { isPlainWellFormedXml } from '../../../../src/classifiers/parse/well-formed.js';
import type { SamlMessageKind, SamlResult } from '../../../../src/classifiers/parsed.js';
import {
  authnRequestXml,
  logoutRequestXml,
  samlResponseXml,
} from '../../../helpers/raw-exchange.js';

// ------------------------------------------------------------------------------------------------
// The reference reader (saml.ts as it was).
// ------------------------------------------------------------------------------------------------

const referenceParser = new XMLParser({
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

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const first = (v: unknown): unknown => (Array.isArray(v) ? (v as unknown[])[0] : v);
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
function hasScd(node: unknown, depth: number): boolean {
  if (depth > MAX_SAML_DEPTH) return false;
  if (Array.isArray(node)) return node.some((n) => hasScd(n, depth + 1));
  if (!isNode(node)) return false;
  for (const k in node) {
    if (k.startsWith('@_') || k === '#text') continue;
    const child = node[k];
    if (k === 'SubjectConfirmationData') {
      const list = Array.isArray(child) ? (child as unknown[]) : [child];
      if (list.some((c) => isNode(c) && attr(c, 'InResponseTo') !== null)) return true;
    }
    if (hasScd(child, depth + 1)) return true;
  }
  return false;
}
function audienceOf(root: Node): string | null {
  const assertion = first(root['Assertion']);
  if (!isNode(assertion)) return null;
  const conditions = first(assertion['Conditions']);
  if (!isNode(conditions)) return null;
  const restriction = first(conditions['AudienceRestriction']);
  if (!isNode(restriction)) return null;
  return text(restriction['Audience']);
}
const KINDS = new Set(['AuthnRequest', 'Response', 'LogoutRequest', 'LogoutResponse']);

/** The reference result, for documents that pass saml.ts's size, DTD and depth refusals. */
function referenceRead(xml: string): SamlResult {
  const base = { binding: 'post', foundIn: 'request', fingerprint: 'f' } as const;
  let doc: unknown;
  try {
    doc = referenceParser.parse(xml, true);
  } catch (e) {
    const at = e instanceof Error ? /:(\d+):(\d+)$/.exec(e.message) : null;
    return {
      ok: false,
      error: `SAML message is not well-formed XML${at === null ? '' : ` (line ${at[1]}, column ${at[2]})`}`,
    };
  }
  if (!isNode(doc)) return { ok: false, error: 'SAML message has no root element' };
  const rootName = Object.keys(doc).find(
    (k) => !k.startsWith('?') && !k.startsWith('#') && !k.startsWith('@_'),
  );
  if (rootName === undefined) return { ok: false, error: 'SAML message has no root element' };
  const kind = (KINDS.has(rootName) ? rootName : 'other') as SamlMessageKind;
  const root = first(doc[rootName]);
  if (!isNode(root)) {
    return {
      ok: true,
      message: {
        kind,
        ...base,
        id: null,
        hasInResponseTo: false,
        issuer: null,
        destination: null,
        audience: null,
        statusCode: null,
      },
    };
  }
  const status = first(root['Status']);
  const statusCode = isNode(status) ? first(status['StatusCode']) : undefined;
  return {
    ok: true,
    message: {
      kind,
      ...base,
      id: attr(root, 'ID'),
      hasInResponseTo: attr(root, 'InResponseTo') !== null || hasScd(root, 0),
      issuer: text(root['Issuer']),
      destination: attr(root, 'Destination'),
      audience: audienceOf(root),
      statusCode: isNode(statusCode) ? attr(statusCode, 'Value') : null,
    },
  };
}

/** Same facts, same failure reason (key order aside: toEqual). */
function expectSameAsReference(xml: string): void {
  const actual = parseSamlXml(xml, 'post', 'request', 'f');
  // The refusals before parsing are unchanged code; compare what comes after them.
  if (!actual.ok && /refused/.test(actual.error)) return;
  expect(actual).toEqual(referenceRead(xml));
}

// ------------------------------------------------------------------------------------------------
// Generators: SAML-like documents with the awkward parts (prefixes, repeated and renamed names,
// colliding attributes, mixed text, CDATA, comments), then broken copies of them.
// ------------------------------------------------------------------------------------------------

const NAMES = [
  'Response',
  'samlp:Response',
  'AuthnRequest',
  'samlp:AuthnRequest',
  'LogoutResponse',
  'Issuer',
  'saml:Issuer',
  'Status',
  'samlp:Status',
  'StatusCode',
  'samlp:StatusCode',
  'Assertion',
  'saml:Assertion',
  'Conditions',
  'AudienceRestriction',
  'Audience',
  'saml:Audience',
  'SubjectConfirmationData',
  'a:SubjectConfirmationData',
  'Subject',
  'a',
  'b',
  'p:q:r',
  ':lead',
  'trail:',
  'toString',
  'x:toString',
  'x:hasOwnProperty',
  '__hasOwnProperty',
  'x:constructor',
  'y:__proto__',
  'x:prototype',
  'ds:Signature',
];
const ATTRIBUTES = [
  'ID',
  'x:ID',
  'xmlns',
  'xmlns:ID',
  'xmlns:x',
  'InResponseTo',
  'p:InResponseTo',
  'a:b:InResponseTo',
  'Destination',
  'Value',
  's:Value',
  'Version',
  'constructor',
  'toString',
];
const VALUES = ['', ' spaced ', 'v', 'a&amp;b', 'x>y', '_r1', "it's", 'a<b', '\ttab'];
const TEXTS = [' ', 'abc', '  t  ', '&amp;', '&bad', '&#65;', 'x>y', '\n', 'https://sts/'];

const attributes = fc
  .array(
    fc.tuple(
      fc.constantFrom(...ATTRIBUTES),
      fc.constantFrom(...VALUES),
      fc.constantFrom('"', "'"),
      fc.constantFrom(' ', '\n', '\t '),
    ),
    { maxLength: 4 },
  )
  .map((list) => list.map(([n, v, q, sp]) => `${sp}${n}=${q}${v.replaceAll(q, '')}${q}`).join(''));

const { element } = fc.letrec((tie) => ({
  element: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(fc.constantFrom(...NAMES), attributes, fc.constantFrom('', ' '))
      .map(([n, a, sp]) => `<${n}${a}${sp}/>`),
    fc
      .tuple(fc.constantFrom(...NAMES), attributes, fc.array(tie('content'), { maxLength: 5 }))
      .map(([n, a, kids]) => `<${n}${a}>${kids.join('')}</${n}>`),
  ),
  content: fc.oneof(
    { arbitrary: tie('element'), weight: 4 },
    { arbitrary: fc.constantFrom(...TEXTS), weight: 3 },
    { arbitrary: fc.constantFrom('<![CDATA[c<d]]>', '<![CDATA[]]>', '<!-- c -->'), weight: 1 },
  ),
}));

const documents = fc
  .tuple(
    fc.constantFrom('', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>\n'),
    element,
    fc.constantFrom('', ' ', '\n', 'x', '<a/>'),
  )
  .map(([declaration, root, tail]) => declaration + root + tail);

const broken = fc
  .tuple(documents, fc.nat(), fc.constantFrom('', '<', '>', '"', '&', 'x', '/'))
  .map(([xml, at, insert]) => {
    const i = xml.length === 0 ? 0 : at % xml.length;
    return insert === ''
      ? xml.slice(0, i) + xml.slice(i + 1)
      : xml.slice(0, i) + insert + xml.slice(i);
  });

/** Deep chains with repeated siblings: the depth bound of the InResponseTo walk is reached. */
const deep = fc
  .tuple(
    fc.integer({ min: 15, max: MAX_SAML_DEPTH }),
    fc.array(fc.boolean(), { minLength: MAX_SAML_DEPTH, maxLength: MAX_SAML_DEPTH }),
    fc.constantFrom('SubjectConfirmationData', 'a:SubjectConfirmationData'),
    fc.constantFrom('e', 'x:toString'),
  )
  .map(([depth, repeated, scd, name]) => {
    let inner = `<${scd} InResponseTo="_q"/>`;
    for (let k = depth - 2; k >= 0; k--) {
      const n = k % 2 === 0 ? name : 'toString';
      inner = `<${n}>${inner}</${n}>${repeated[k] === true ? `<${n}/>` : ''}`;
    }
    return `<samlp:Response ID="_d">${inner}</samlp:Response>`;
  });

// ------------------------------------------------------------------------------------------------

describe('SAML reader: same results as the reference', () => {
  it.each([
    ['AuthnRequest', authnRequestXml({ id: '_q', issuer: 'https://sp/md' })],
    ['Response', samlResponseXml({ inResponseTo: '_q' })],
    [
      'Response, InResponseTo on SubjectConfirmationData only',
      samlResponseXml({ inResponseTo: '_q', onlySubjectConfirmation: true }),
    ],
    ['LogoutRequest', logoutRequestXml()],
    ['declaration first', `<?xml version="1.0" encoding="UTF-8"?>\n${authnRequestXml()}`],
    ['prefixed and unprefixed Issuer', '<R><x:Issuer>b</x:Issuer><Issuer>a</Issuer></R>'],
    ['colliding ID attributes (last wins)', '<R ID="1" x:ID="2" a:b:ID="3"/>'],
    ['namespace declarations only', '<R xmlns="u" xmlns:ID="v"/>'],
    ['text around children', '<R> a <Issuer> i1 <b/> i2 </Issuer> b </R>'],
    ['CDATA text', '<R><Issuer><![CDATA[cd]]>x</Issuer></R>'],
    ['empty root', '<samlp:Response/>'],
    ['root with text only', '<Response>t</Response>'],
    ['second root after a self-closed one', '<a/><Response ID="x"/>'],
    ['renamed root', '<toString ID="x"/>'],
    ['prefixed renamed root', '<x:toString ID="x"/>'],
    ['refused prefixed name', '<R><x:constructor/></R>'],
    ['refused unprefixed name', '<R><constructor/></R>'],
    ['refused name as attribute', '<R constructor="1" x:__proto__="2" ID="i"/>'],
    ['empty local name', '<a:><Issuer>i</Issuer></a:>'],
    [
      'status with nested status code',
      '<R><Status><StatusCode Value="a"><StatusCode Value="b"/></StatusCode></Status></R>',
    ],
    ['mismatched tags', '<samlp:Response><a></b></samlp:Response>'],
    ['duplicate attribute', '<R ID="1" ID="2"/>'],
    ['unclosed', '<R><a>'],
    ['no root', '<?xml version="1.0"?>'],
    ['comment and PI', '<!-- c --><?pi x?><R ID="1"><!-- c --><Issuer>i</Issuer></R>'],
  ])('%s', (_name, xml) => expectSameAsReference(xml));

  it('generated documents', () => {
    fc.assert(fc.property(documents, expectSameAsReference), { numRuns: 2000 });
  });

  it('broken documents', () => {
    fc.assert(fc.property(broken, expectSameAsReference), { numRuns: 2000 });
  });

  // Linear time on these inputs (4x the size: about 4x the time) and their cost against a normal
  // SAML document of the same size are bench targets: BENCH_ONLY=11 npm run bench. A hang is caught
  // by the test timeout.
  it('many siblings, distinct or repeated names: same result', () => {
    const distinct = `<Response>${Array.from({ length: 20_000 }, (_, i) => `<a${i}/>`).join('')}</Response>`;
    const repeated = `<Response>${'<a><b/></a>'.repeat(20_000)}<SubjectConfirmationData InResponseTo="q"/></Response>`;
    for (const xml of [distinct, repeated]) expectSameAsReference(xml);
  });

  it('deep documents with repeated siblings (depth bound of the InResponseTo walk)', () => {
    fc.assert(fc.property(deep, expectSameAsReference), { numRuns: 300 });
  });
});

describe('isPlainWellFormedXml', () => {
  it.each([
    authnRequestXml(),
    samlResponseXml({ inResponseTo: '_q' }),
    logoutRequestXml(),
    '<?xml version="1.0" encoding="UTF-8"?>\n<a/>\n',
    '<a x=\'1\' y="2" >t&amp;&#65;&#x41;<b/></a >',
  ])('accepts %s', (xml) => {
    expect(isPlainWellFormedXml(xml)).toBe(true);
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it.each([
    ['comment', '<a><!-- c --></a>'],
    ['CDATA', '<a><![CDATA[x]]></a>'],
    ['processing instruction', '<a><?pi?></a>'],
    ['DOCTYPE', '<!DOCTYPE a><a/>'],
    ['mismatched tags', '<a><b></a></b>'],
    ['duplicate attribute', '<a x="1" x="2"/>'],
    ['attribute without space', '<a x="1"y="2"/>'],
    ['attribute without value', '<a x/>'],
    ['unquoted value', '<a x=1/>'],
    ['bad reference', '<a>&b</a>'],
    ['text after the root', '<a/>b'],
    ['second root', '<a/><b/>'],
    ['unclosed', '<a>'],
    ['BOM first', '\ufeff<a/>'],
    ['non-ASCII name', '<é/>'],
  ])('leaves %s to the validator', (_name, xml) => {
    expect(isPlainWellFormedXml(xml)).toBe(false);
  });

  it('only says true for documents the validator accepts', () => {
    const soup = fc.string({
      unit: fc.constantFrom(
        '<',
        '>',
        '/',
        'a',
        'b',
        ':',
        '=',
        '"',
        "'",
        ' ',
        '&',
        ';',
        '#',
        'x',
        '1',
        '?',
        '\n',
      ),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.oneof(documents, broken, soup), (xml) => {
        if (isPlainWellFormedXml(xml)) expect(XMLValidator.validate(xml)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  // Linear time on these inputs and their cost against a normal document of the same size are
  // bench targets: BENCH_ONLY=11 npm run bench. A hang is caught by the test timeout.
  it('answers on long and hostile input', () => {
    const cases: readonly (readonly [string, boolean])[] = [
      [`<a x="${'v'.repeat(500_000)}">${'t&amp;'.repeat(100_000)}</a>`, true],
      [`<a>${'<b x="1" y="2">'.repeat(60)}${'</b>'.repeat(60)}</a>`, true],
      [`<a ${'x="1" '.repeat(50_000)}/>`, false],
      [`<a${Array.from({ length: 50_000 }, (_, i) => ` x${i}="1"`).join('')}/>`, true],
      [`<a>${'&amp'.repeat(100_000)}</a>`, false],
    ];
    for (const [xml, plain] of cases) expect(isPlainWellFormedXml(xml)).toBe(plain);
  });
});

describe('decodeSamlBase64: same as the reference', () => {
  /** saml.ts's decoder as it was (the length cap aside). */
  function referenceDecode(value: string): Buffer | { ok: false; error: string } {
    let v = value.includes(' ') ? value.replace(/ /g, '+') : value;
    if (/[\r\n\t]/.test(v)) v = v.replace(/[\s]+/g, '');
    if (v.length === 0) return { ok: false, error: 'empty SAML parameter' };
    if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(v) || v.length % 4 === 1) {
      return { ok: false, error: 'SAML parameter is not valid base64' };
    }
    const buf = Buffer.from(v, 'base64');
    return buf.length === 0 ? { ok: false, error: 'SAML parameter is not valid base64' } : buf;
  }

  it('on base64-ish text with spaces, line breaks and other blanks', () => {
    const text = fc.string({
      unit: fc.constantFrom(
        'A',
        'b',
        '9',
        '+',
        '/',
        '-',
        '_',
        '=',
        ' ',
        '\n',
        '\r',
        '\t',
        '\u00a0',
        '!',
      ),
      maxLength: 40,
    });
    fc.assert(
      fc.property(text, (v) => {
        expect(decodeSamlBase64(v)).toEqual(referenceDecode(v));
      }),
      { numRuns: 5000 },
    );
  });
});
