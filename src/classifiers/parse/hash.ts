/** Non-reversible fingerprints of secrets seen while parsing (pure computation, no I/O). */
import { hash } from 'node:crypto';

/**
 * Fingerprints already computed for the exchange being classified (see withFingerprintMemo): the
 * same secret is often fingerprinted twice, by its parser (JWT, SAML message) and by the redactor
 * (the parameter that carried it). Never kept across exchanges.
 */
let memo: { values: string[]; prefixes: string[] } | null = null;

/** Remembered per exchange; an exchange fingerprints a handful of values. */
const MEMO_SIZE = 16;

/** First 8 hex digits of the SHA-256 of `value` (UTF-8). */
export function sha256Prefix8(value: string): string {
  const m = memo;
  if (m === null) return hash('sha256', value, 'hex').slice(0, 8);
  const i = m.values.indexOf(value);
  if (i !== -1) return m.prefixes[i] ?? '';
  const prefix = hash('sha256', value, 'hex').slice(0, 8);
  if (m.values.length < MEMO_SIZE) {
    m.values.push(value);
    m.prefixes.push(prefix);
  }
  return prefix;
}

/**
 * Run `f` (the classification of one exchange) with a fingerprint memo that lives as long as the
 * call: a value fingerprinted twice during `f` is hashed once.
 */
export function withFingerprintMemo<T>(f: () => T): T {
  const outer = memo;
  memo = { values: [], prefixes: [] };
  try {
    return f();
  } finally {
    memo = outer;
  }
}
