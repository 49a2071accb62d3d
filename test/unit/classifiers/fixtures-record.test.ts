/**
 * Records the golden fixtures (test/fixtures/exchanges/). Skipped unless RECORD_FIXTURES=1:
 *
 *   RECORD_FIXTURES=1 npx vitest run test/unit/classifiers/fixtures-record.test.ts
 *
 * Every flow runs through the real proxy against the simulated Entra ID; every exchange is
 * sanitized with the simulator's secret ledger and written only if no secret survived. Review the
 * diff of the *.expected.json files before committing. `RECORD_FLOWS=a,b` records only those
 * flows; `RECORD_FIXTURES=expected` only writes the expectations again from the committed exchanges.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLOWS } from '../../../sim/flows.js';
import {
  FIXTURES_DIR,
  leaksIn,
  recordFixtures,
  rewriteExpected,
} from '../../fixtures/exchanges/record.js';

const only = (process.env['RECORD_FLOWS'] ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s.length > 0);
const flows = only.length > 0 ? FLOWS.filter((f) => only.includes(f.id)) : FLOWS;

describe.skipIf(process.env['RECORD_FIXTURES'] !== 'expected')('rewrite expectations', () => {
  it('writes every *.expected.json again from its raw fixture', async () => {
    const changed = await rewriteExpected();
    console.log(`expectations changed: ${changed.join(', ') || 'none'}`);
  });
});

describe.skipIf(process.env['RECORD_FIXTURES'] !== '1')('record exchange fixtures', () => {
  it('records every flow, sanitized, and writes the fixtures', async () => {
    expect(flows.length, `RECORD_FLOWS names no known flow: ${only.join(',')}`).toBeGreaterThan(0);
    const result = await recordFixtures({ flows });
    expect(result.secretsChecked).toBeGreaterThan(only.length > 0 ? 0 : 40);
    expect(result.drift, 'sanitizing changed a classification').toEqual([]);
    for (const flow of flows) {
      expect(result.perFlow[flow.id], `no exchange recorded for ${flow.id}`).toBeGreaterThan(0);
    }
    // What was written is what was checked: read it back and check once more.
    for (const f of result.files) {
      const text = await readFile(join(FIXTURES_DIR, f), 'utf8');
      expect(leaksIn(text, []), f).toEqual([]);
    }
  }, 300_000);
});
