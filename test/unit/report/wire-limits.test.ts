/**
 * The reports' "What the wire cannot show" section names the conditions of the 2025 BAS page
 * that no exchange shows, and for each whether the sign-in logs show it (issue 15).
 */
import { describe, expect, it } from 'vitest';
import { WIRE_LIMITS } from '../../../src/report/wire-limits.js';
import { renderToString } from '../../../src/report/writer.js';
import { emptyInput } from '../../helpers/report-fixtures.js';

/** The conditions of the 2025 BAS page, and whether the sign-in logs show them. */
const EXPECTED: readonly (readonly [RegExp, 'yes' | 'no'])[] = [
  [/3-day window/, 'yes'],
  [/Guests/, 'yes'],
  [/sign-in frequency/i, 'yes'],
  [/Authentication strength/, 'yes'],
  [/Classic Conditional Access/, 'no'],
  [/Revocation since the last sign-in/, 'no'],
];

describe('what the wire cannot show', () => {
  it.each(EXPECTED)('names %s and says whether the sign-in logs show it', (title, logs) => {
    const limit = WIRE_LIMITS.find((l) => title.test(l.title));
    expect(limit, String(title)).toBeDefined();
    expect(limit?.logs.startsWith(`${logs}:`)).toBe(true);
  });

  it.each(['md', 'html'] as const)('the %s report carries every note', async (format) => {
    const out = await renderToString(format, emptyInput());
    expect(out).toContain('What the wire cannot show');
    for (const l of WIRE_LIMITS) expect(out).toContain(l.title);
    expect(out.split('Sign-in logs:').length - 1).toBe(WIRE_LIMITS.length);
    expect(out).toContain('guest-user');
  });
});
