/**
 * Test factory for classified ExchangeRecords (what the classifier would produce), so session and
 * session-log tests do not depend on the classifier. Defaults: a native public MSAL client
 * refreshing silently on login.microsoftonline.com, verdict conditional.
 */
import {
  EMPTY_EVIDENCE,
  type ExchangeRecord,
  type Reason,
  type ReasonCode,
} from '../../src/core/types.js';

export { EMPTY_EVIDENCE };

let seq = 0;

/** A reason with a stock message. */
export function reason(code: ReasonCode, extra: Partial<Reason> = {}): Reason {
  return { code, message: `reason ${code}`, ...extra };
}

/**
 * The default record with the given id (the one source of it: report-fixtures.ts builds on it too);
 * does not advance the id sequence of makeRecord.
 */
export function defaultRecord(id: string, overrides: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    id,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 12,
    method: 'POST',
    host: 'login.microsoftonline.com',
    path: '/common/oauth2/v2.0/token',
    status: 200,
    cloud: 'public',
    hostSupported: true,
    protocol: 'oauth2',
    endpoint: 'token',
    grantType: 'refresh_token',
    pkce: null,
    clientType: 'public',
    clientCredential: 'none',
    appType: 'native',
    samlInitiation: null,
    clientId: '11111111-1111-1111-1111-111111111111',
    tenant: 'common',
    scopes: ['https://graph.microsoft.com/.default', 'openid', 'offline_access'],
    library: 'MSAL.NetCore',
    libraryVersion: '4.61.3.0',
    clientRequestId: null,
    serverRequestId: null,
    managedIdentity: null,
    interaction: 'silent',
    verdict: 'conditional',
    reasons: [reason('native-silent'), reason('token-cache-3-days')],
    error: null,
    source: 'proxy',
    evidence: EMPTY_EVIDENCE,
    ...overrides,
  };
}

export function makeRecord(overrides: Partial<ExchangeRecord> = {}): ExchangeRecord {
  seq++;
  return defaultRecord(`ex-${seq}`, overrides);
}
