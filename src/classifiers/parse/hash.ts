/** Non-reversible fingerprints of secrets seen while parsing (pure computation, no I/O). */
import { hash } from 'node:crypto';

/** First 8 hex digits of the SHA-256 of `value` (UTF-8). */
export function sha256Prefix8(value: string): string {
  return hash('sha256', value, 'hex').slice(0, 8);
}
