/**
 * Token-looking text, found by shape: the second half of the redactor's one rule (redact-policy.ts
 * decides by name which values may be kept at all; what is kept still passes through here).
 *
 * A "run" is a maximal stretch of token characters (letters, digits, `. _ ~ + / = % -`). The whole
 * run is replaced by its fingerprint when it holds a JWT, or when one of its pieces (split at `.`
 * and `/`), GUIDs and `AADSTSnnnn` codes taken out, has
 * - an alphanumeric stretch of 16 or more with a letter and a digit (tokens, codes, refresh
 *   tokens, device codes, cookies, hex and base64 blobs), or of 20 digits or more;
 * - 32 characters or more with upper and lower case letters and a digit (base64 split by `+`);
 * - 8 characters or more with a `~` (Entra client secrets: `abc8Q~...`);
 * - an upper-case alphanumeric stretch of 8 to 15 with 2+ letters and 2+ digits (device-flow
 *   user codes);
 * or when the whole run (20+ characters) switches between digits, upper and lower case at
 * least 10 times and at every third character or more: random text such as base64 whose `/`
 * and `+` cut it into short pieces.
 * What stays readable: words, hyphenated names (app id URIs, SAML entity ids, B2C policies), host
 * names and URL paths, GUIDs (trace, correlation and client ids), numbers, dates, versions and
 * AADSTS codes. So an Entra error_description ("AADSTS50076: Due to a configuration change ...
 * Trace ID: <guid> Correlation ID: <guid> Timestamp: 2026-12-06 07:05:13Z") reads the same.
 * A secret with no such shape (a password of plain words) is caught only by its name.
 *
 * Pure; no I/O.
 */
import { sha256Prefix8 } from './parse/hash.js';

const RUN = /[A-Za-z0-9._~+/=%-]{8,}/g;
/** A GUID starting at `lastIndex` (the rules' GUIDS, one place at a time). */
const GUID_AT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/iy;
/**
 * Cheap pre-check, true for any text the rules below could call secret (and for some more): a
 * JWT start, a `~`, an alphanumeric stretch of 16, 8 upper-case letters or digits in a row, a
 * piece of 32 with a digit, an upper- and a lower-case letter, or often switching between digits
 * and letters, all counted as the rules count them: with each GUID taken out (what is on either
 * side of it joined). Host names, URLs, hyphenated names and texts around GUIDs (ids, tenants,
 * paths: most texts checked) fail it in one pass. (A loop: counted regex quantifiers cost
 * microseconds per call here.)
 */
function maybeSecret(text: string): boolean {
  if (text.includes('eyJ')) return true;
  let alnum = 0;
  let upper = 0;
  let piece = 0; // characters of a piece (a run split at `.` and `/`)
  let kinds = 0; // in that piece: bit 1 digit, 2 upper, 3 lower
  let switches = 0;
  let prev = 0; // class of the previous character: 1 digit, 2 upper, 3 lower, 0 other
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i + 8) === 45) {
      GUID_AT.lastIndex = i;
      if (GUID_AT.test(text)) {
        i += 35;
        continue;
      }
    }
    const c = text.charCodeAt(i);
    if (c === 126) return true; // ~
    const cls = c >= 48 && c <= 57 ? 1 : c >= 65 && c <= 90 ? 2 : c >= 97 && c <= 122 ? 3 : 0;
    alnum = cls !== 0 ? alnum + 1 : 0;
    upper = cls === 1 || cls === 2 ? upper + 1 : 0;
    // _ + = % - (token characters inside a piece)
    const inPiece = cls !== 0 || c === 95 || c === 43 || c === 61 || c === 37 || c === 45;
    piece = inPiece ? piece + 1 : 0;
    kinds = inPiece ? kinds | (1 << cls) : 0;
    if (cls !== 0 && prev !== 0 && cls !== prev) switches++;
    else if (!inPiece && c !== 46 && c !== 47) switches = 0; // not a token character: a new run
    prev = cls;
    if (alnum >= 16 || upper >= 8 || switches >= MIN_SWITCHES) return true;
    if (piece >= 32 && (kinds & 14) === 14) return true;
  }
  return false;
}
const JWT_IN = /eyJ[\w-]*\.[\w-]*\.[\w-]*/;
const GUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const AADSTS = /AADSTS\d+/g;
const ALNUM = /[A-Za-z0-9]+/g;
const LETTER = /[A-Za-z]/;
const DIGIT = /\d/;
const USER_CODE = /^(?=(?:[A-Z0-9]*[A-Z]){2})(?=(?:[A-Z0-9]*\d){2})[A-Z0-9]{8,15}$/;

function secretWord(w: string): boolean {
  if (w.length >= 16) return /^\d+$/.test(w) ? w.length >= 20 : LETTER.test(w) && DIGIT.test(w);
  return w.length >= 8 && USER_CODE.test(w);
}

/** Random text (base64, even split by `/` or `+`) switches between digits, upper and lower case often. */
const MIN_SWITCHES = 10;

/** How often adjacent letters and digits change class (digit / upper / lower) in `s`. */
function classSwitches(s: string): number {
  let n = 0;
  let prev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const cls = c >= 48 && c <= 57 ? 1 : c >= 65 && c <= 90 ? 2 : c >= 97 && c <= 122 ? 3 : 0;
    if (cls !== 0 && prev !== 0 && cls !== prev) n++;
    prev = cls;
  }
  return n;
}

/** `s` without its GUIDs and AADSTS codes (each regex run only where one can be: most text has none). */
function readableOut(s: string): string {
  if (s.length >= 36 && s.includes('-')) s = s.replace(GUIDS, '');
  return s.includes('AADSTS') ? s.replace(AADSTS, '') : s;
}

function secretPiece(p: string): boolean {
  if (p.length >= 8 && p.includes('~')) return true;
  // GUIDs and AADSTS codes inside a piece (`trace_id=<guid>`) are readable: judge what is left.
  const rest = readableOut(p);
  if (rest.length < 8) return false;
  if (rest.length >= 32 && /[a-z]/.test(rest) && /[A-Z]/.test(rest) && DIGIT.test(rest))
    return true;
  for (const m of rest.matchAll(ALNUM)) if (secretWord(m[0])) return true;
  return false;
}

/** True when `run` (token characters only) looks like a secret (see the top of this file). */
export function secretRun(run: string): boolean {
  if (run.includes('eyJ') && JWT_IN.test(run)) return true;
  for (const piece of run.split(/[./]/)) if (secretPiece(piece)) return true;
  // Random text split into short pieces (base64 with `/` and `+`): judged by how it switches.
  const rest = readableOut(run);
  const sw = rest.length >= 20 ? classSwitches(rest) : 0;
  return sw >= MIN_SWITCHES && sw >= 0.3 * rest.length;
}

/** `[redacted sha256:xxxxxxxx]`, the replacement text of a secret value. */
export function redactedText(secret: string): string {
  return `[redacted sha256:${sha256Prefix8(secret)}]`;
}

/**
 * `text` with every token-looking run replaced by its fingerprint; anything else kept as it is.
 * Returns `text` itself when nothing was replaced.
 */
export function scrubText(text: string): string {
  if (!maybeSecret(text)) return text;
  return text.replace(RUN, (run) => (secretRun(run) ? redactedText(run) : run));
}

/** True when `text` holds something scrubText would replace. */
export function holdsSecret(text: string): boolean {
  if (!maybeSecret(text)) return false;
  for (const m of text.matchAll(RUN)) if (secretRun(m[0])) return true;
  return false;
}
