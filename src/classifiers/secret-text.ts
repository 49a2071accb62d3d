/**
 * Token-looking text, found by shape: the second half of the redactor's one rule (redact-policy.ts
 * decides by name which values may be kept at all; what is kept still passes through here).
 *
 * A "run" is a maximal stretch of token characters (letters, digits, `. _ ~ + / = % -`). It is a
 * secret when it holds a JWT, or when one of its pieces (split at `.` and `/`) is
 * - 16 characters or more, with a letter and a digit, and not a GUID or `AADSTSnnnn` (tokens,
 *   codes, refresh tokens, device codes, cookies, hex and base64 blobs, the ledger's planted
 *   secrets), or
 * - 20 digits or more, or
 * - 8 characters or more with a `~` (Entra client secrets: `abc8Q~...`).
 * What stays readable: words, host names and URL paths (short pieces), GUIDs (trace and
 * correlation ids, client ids), numbers, dates and versions, AADSTS codes. So an Entra
 * error_description ("AADSTS50076: Due to a configuration change ... Trace ID: <guid> Correlation
 * ID: <guid> Timestamp: 2026-12-06 07:05:13Z") reads the same after scrubbing.
 *
 * Pure; no I/O.
 */
import { sha256Prefix8 } from './parse/hash.js';

const RUN = /[A-Za-z0-9._~+/=%-]{8,}/g;
/** Cheap pre-check: text without any run this long or a JWT start cannot hold a secret. */
const MAYBE = /[A-Za-z0-9._~+/=%-]{8,}/;
const JWT_IN = /eyJ[\w-]*\.[\w-]*\.[\w-]*/;
const GUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const AADSTS = /AADSTS\d+/g;
const LETTER = /[A-Za-z]/;
const DIGIT = /\d/;

function secretPiece(p: string): boolean {
  if (p.length >= 8 && p.includes('~')) return true;
  if (p.length < 16) return false;
  if (/^\d+$/.test(p)) return p.length >= 20;
  // GUIDs and AADSTS codes inside a piece (`trace_id=<guid>`) are readable: judge what is left.
  const rest = p.replace(GUIDS, '').replace(AADSTS, '');
  return rest.length >= 16 && LETTER.test(rest) && DIGIT.test(rest);
}

/** True when `run` (token characters only) looks like a secret (see the top of this file). */
export function secretRun(run: string): boolean {
  if (run.includes('eyJ') && JWT_IN.test(run)) return true;
  for (const piece of run.split(/[./]/)) if (secretPiece(piece)) return true;
  return false;
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
  if (!MAYBE.test(text)) return text;
  return text.replace(RUN, (run) => (secretRun(run) ? redactedText(run) : run));
}

/** True when `text` holds something scrubText would replace. */
export function holdsSecret(text: string): boolean {
  if (!MAYBE.test(text)) return false;
  for (const m of text.matchAll(RUN)) if (secretRun(m[0])) return true;
  return false;
}
