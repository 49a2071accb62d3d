/** Reading one string claim of a decoded JWT, as the classifier does everywhere. Pure. */
import type { JwtResult } from './parsed.js';

/** The claim `name` of a decoded JWT when it is a non-empty string, else null. */
export function claim(r: JwtResult | undefined, name: string): string | null {
  if (r === undefined || !r.ok) return null;
  const v = r.jwt.claims[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
}
