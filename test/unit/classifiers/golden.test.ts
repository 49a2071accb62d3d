/**
 * Golden tests (STYLE habit 10): every recorded, sanitized exchange in test/fixtures/exchanges/ is
 * classified again and compared with its `*.expected.json` (volatile fields normalised). Then, per
 * flow, the records must still say what the flow IS (its FlowSpec.expect from sim/flows.ts),
 * so a re-recording that drifted away from the documented BAS rules is caught, not committed.
 *
 * Re-record: RECORD_FIXTURES=1 npx vitest run test/unit/classifiers/fixtures-record.test.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import type { ExchangeRecord } from '../../../src/core/types.js';
import { FLOWS, type FlowExpectation } from '../../../sim/flows.js';
import {
  FIXTURES_DIR,
  FIXTURE_SCHEMA_VERSION,
  RE_RECORD_HINT,
  leaksIn,
  normaliseRecord,
  type ExchangeFixture,
} from '../../fixtures/exchanges/record.js';

const names = readdirSync(FIXTURES_DIR)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'))
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

function load(name: string): { fixture: ExchangeFixture; expected: unknown; text: string } {
  const text = readFileSync(join(FIXTURES_DIR, name), 'utf8');
  const expectedText = readFileSync(
    join(FIXTURES_DIR, name.replace(/\.json$/, '.expected.json')),
    'utf8',
  );
  return {
    fixture: JSON.parse(text) as ExchangeFixture,
    expected: JSON.parse(expectedText) as unknown,
    text: text + expectedText,
  };
}

function summary(r: ExchangeRecord): string {
  return `${r.method} ${r.host}${r.path} -> ${r.status} endpoint=${r.endpoint} grant=${r.grantType} client=${r.clientId} app=${r.appType} verdict=${r.verdict} reasons=[${r.reasons.map((x) => x.code).join(',')}]`;
}

/** As test/integration/flows.test.ts: every field equal, `reasons` a subset. */
function matches(r: ExchangeRecord, e: FlowExpectation): boolean {
  const codes = new Set<string>(r.reasons.map((x) => x.code));
  return (
    r.endpoint === e.endpoint &&
    r.grantType === e.grantType &&
    r.clientId === e.clientId &&
    r.appType === e.appType &&
    r.verdict === e.verdict &&
    r.host === (e.host ?? 'login.microsoftonline.com') &&
    e.reasons.every((c) => codes.has(c))
  );
}

describe('golden: recorded exchanges classify as recorded', () => {
  it('has fixtures to compare', () => {
    expect(names.length, `no fixtures in ${FIXTURES_DIR}. ${RE_RECORD_HINT}`).toBeGreaterThan(0);
  });

  it.each(names)('%s', (name) => {
    const { fixture, expected, text } = load(name);
    expect(fixture.schemaVersion, `${name}: unknown fixture schemaVersion`).toBe(
      FIXTURE_SCHEMA_VERSION,
    );
    // Committed fixtures stay sanitized: no JWT with anything but the sanitized signature.
    expect(leaksIn(text, []), name).toEqual([]);
    const actual = normaliseRecord(classifyExchange(fixture.raw));
    expect(
      actual,
      `${name}: the classification differs from ${name.replace(/\.json$/, '.expected.json')}. ` +
        `If the change is intended: ${RE_RECORD_HINT}`,
    ).toEqual(expected);
  });
});

describe('golden: every flow still classifies as what it is (FlowSpec.expect)', () => {
  const byFlow = new Map<string, ExchangeRecord[]>();
  for (const name of names) {
    const { fixture } = load(name);
    const list = byFlow.get(fixture.flow) ?? [];
    list.push(classifyExchange(fixture.raw));
    byFlow.set(fixture.flow, list);
  }

  it('has no fixture of an unknown flow', () => {
    const known = new Set(FLOWS.map((f) => f.id));
    expect([...byFlow.keys()].filter((id) => !known.has(id))).toEqual([]);
  });

  it.each(FLOWS.map((f) => [f.id, f] as const))('%s', (id, flow) => {
    const records = byFlow.get(id) ?? [];
    expect(records.length, `no fixture recorded for flow ${id}. ${RE_RECORD_HINT}`).toBeGreaterThan(
      0,
    );
    for (const e of flow.expect) {
      expect(
        records.some((r) => matches(r, e)),
        `flow ${id}: no fixture matches ${JSON.stringify(e)}\n` +
          `fixtures classify as:\n${records.map(summary).join('\n')}\n` +
          'The flow is what it is: fix the classifier, not the expectation. ' +
          RE_RECORD_HINT,
      ).toBe(true);
    }
  });
});
