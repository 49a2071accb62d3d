/**
 * The characters and fragments that matter to the parsers (URL, form, HTML, JWT, MSAL telemetry):
 * the property tests (test/unit/classifiers/parse/properties.test.ts) bias their strings towards
 * them, and bench section 11 builds its random exchanges from them.
 */
export const PARSER_SYNTAX: readonly string[] = [
  '&',
  '=',
  '?',
  '#',
  '%',
  '+',
  ' ',
  '%2',
  '%zz',
  '%E2%82',
  '<',
  '>',
  '"',
  "'",
  '/',
  '.',
  'eyJ',
  '|',
  ',',
  '\u0000',
  '\ufeff',
  '&amp;',
  '&#x;',
  '<form',
  '<input',
  'name=',
  'value=',
];
