import { describe, expect, it } from 'vitest';
import type { ApplicationRecord } from '../../../src/core/types.js';
import { predictedObserved } from '../../../src/report/predicted-observed.js';

function app(over: Partial<ApplicationRecord>): ApplicationRecord {
  return {
    clientId: 'c',
    hosts: [],
    appType: 'native',
    clientType: 'public',
    library: null,
    exchangeIds: [],
    flows: {},
    verdict: 'conditional',
    findings: [],
    ...over,
  };
}

const finding = {
  code: 'prediction-contradicted' as const,
  severity: 'warning' as const,
  message: 'm',
  remediation: '',
  docUrl: '',
  exchangeIds: [],
};

describe('predictedObserved', () => {
  it('lists only apps the logs speak of, contradictions first, then by sign-ins', () => {
    const rows = predictedObserved([
      app({ clientId: 'traffic-only' }),
      app({
        clientId: 'a',
        name: 'A',
        signIns: { total: 10, basIssued: 0, failed: 0, firstSeen: null, lastSeen: null },
      }),
      app({
        clientId: 'b',
        signIns: { total: 50, basIssued: 3, failed: 0, firstSeen: null, lastSeen: null },
      }),
      app({
        clientId: 'c',
        verdict: 'covered',
        findings: [finding],
        signIns: { total: 5, basIssued: 0, failed: 2, firstSeen: null, lastSeen: null },
      }),
    ]);
    expect(rows.map((r) => [r.clientId, r.observed, r.contradicted])).toEqual([
      ['c', 'failed while BAS served others', true],
      ['b', 'BAS issued 3 of 50', false],
      ['a', 'no BAS-issued token seen', false],
    ]);
    expect(rows[2]?.name).toBe('A');
  });
});
