/**
 * What `signins pull` keeps of a Graph sign-in: exactly what the rules read (a row reads the same
 * before and after), and none of the personal fields.
 */
import { describe, expect, it } from 'vitest';
import {
  PII_CITY,
  PII_IP,
  PII_MARK,
  makeTenant,
  tenantRows,
} from '../../../../tools/bench/signin-gen.js';
import { projectSignIn, signInsUrl } from '../../../../src/sources/azure/graph-signins.js';
import { endpoint } from '../../../../src/sources/azure/credential.js';
import { rowFromObject } from '../../../../src/sources/signins/row.js';

const rows = [...tenantRows(makeTenant(40, 5), 400, 3)].map((r) => r.row);

describe('projectSignIn', () => {
  it('keeps every fact the rules read, for every kind of app', () => {
    for (const row of rows) {
      const kept = projectSignIn(row);
      expect(kept).not.toBeNull();
      expect(rowFromObject(kept ?? {})).toEqual(rowFromObject(row));
    }
  });

  it('keeps the library and the sign-in frequency control', () => {
    const withLib = rows.find((r) => JSON.stringify(r).includes('MSAL.NET')) ?? {};
    expect(rowFromObject(projectSignIn(withLib) ?? {}).library).toBe('MSAL.NET 4.61.3');
    const sif = rows.find((r) => JSON.stringify(r).includes('signInFrequency')) ?? {};
    expect(rowFromObject(projectSignIn(sif) ?? {}).signInFrequency).toBe(true);
  });

  it('drops the personal fields and the keys it does not know', () => {
    const text = JSON.stringify(rows.map(projectSignIn));
    for (const m of [PII_MARK, PII_IP, PII_CITY, 'contoso.example', 'someFutureKey', 'sessionId'])
      expect(text.includes(m), m).toBe(false);
  });

  it('answers null for what is not an object', () => {
    expect(projectSignIn('x')).toBeNull();
    expect(projectSignIn(null)).toBeNull();
    expect(projectSignIn([1])).toBeNull();
  });
});

describe('signInsUrl', () => {
  it('filters on the event type and the start time, URL-encoded', () => {
    const url = new URL(
      signInsUrl(
        'https://graph.microsoft.com',
        'nonInteractiveUser',
        new Date(Date.UTC(2026, 10, 6, 9, 30)),
      ),
    );
    expect(url.pathname).toBe('/beta/auditLogs/signIns');
    expect(url.searchParams.get('$filter')).toBe(
      "createdDateTime ge 2026-11-06T09:30:00Z and signInEventTypes/any(t: t eq 'nonInteractiveUser')",
    );
  });
});

describe('test-only endpoints', () => {
  it('take https loopback URLs only', () => {
    const env = { ENTRA_BAS_PROXY_TEST_GRAPH_URL: 'https://127.0.0.1:8443/' };
    expect(endpoint('ENTRA_BAS_PROXY_TEST_GRAPH_URL', 'https://graph.microsoft.com', env)).toBe(
      'https://127.0.0.1:8443',
    );
    expect(endpoint('ENTRA_BAS_PROXY_TEST_GRAPH_URL', 'https://graph.microsoft.com', {})).toBe(
      'https://graph.microsoft.com',
    );
    for (const bad of [
      'https://evil.example',
      'http://127.0.0.1:1',
      'https://127.0.0.1.evil.example',
    ])
      expect(() =>
        endpoint('ENTRA_BAS_PROXY_TEST_GRAPH_URL', '', { ENTRA_BAS_PROXY_TEST_GRAPH_URL: bad }),
      ).toThrow(/https loopback URL only/);
  });
});
