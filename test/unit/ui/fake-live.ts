/**
 * Test-only LiveSession over ExchangeRecord-shaped data, so the dashboard can be tested without
 * the real recorder. Aggregates are computed naively (good enough for the dashboard's views).
 */
import { compactSnapshot } from '../../../src/core/compact-aggregates.js';
import type { LiveSession, LiveSnapshot } from '../../../src/core/live.js';
import type { ReportFormat } from '../../../src/report/formats.js';
import {
  VERDICTS,
  type ApplicationRecord,
  type ExchangeRecord,
  type Finding,
  type Verdict,
} from '../../../src/core/types.js';

export function makeRecord(overrides: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    id: 'ex-1',
    startedAt: '2026-01-01T10:00:00.000Z',
    durationMs: 12,
    method: 'POST',
    host: 'login.microsoftonline.com',
    path: '/common/oauth2/v2.0/token',
    status: 200,
    cloud: 'public',
    hostSupported: true,
    protocol: 'oidc',
    endpoint: 'token',
    grantType: 'authorization_code',
    pkce: true,
    clientType: 'public',
    clientCredential: 'none',
    appType: 'spa',
    samlInitiation: null,
    clientId: '11111111-1111-1111-1111-111111111111',
    tenant: 'common',
    scopes: ['openid', 'profile'],
    library: 'MSAL.JS',
    libraryVersion: '5.30.0',
    clientRequestId: 'c0ffee00-0000-0000-0000-000000000000',
    serverRequestId: null,
    managedIdentity: null,
    interaction: 'interactive',
    verdict: 'not-covered',
    reasons: [
      {
        code: 'spa-auth-code-pkce',
        message: 'SPA auth code + PKCE is not served by BAS',
        remediation: 'Nothing to change in the app; plan for the outage.',
        docUrl: 'https://learn.microsoft.com/entra/identity-platform/backup-authentication-system',
      },
    ],
    error: null,
    source: 'proxy',
    evidence: {
      query: {},
      form: { grant_type: 'authorization_code', code: '[redacted sha256:0a1b2c3d]' },
      requestHeaders: { origin: 'http://localhost:3000', 'x-client-sku': 'msal.js.browser' },
      responseHeaders: { 'content-type': 'application/json' },
      claims: { id_token: { aud: '11111111-1111-1111-1111-111111111111', ver: '2.0' } },
      saml: null,
      telemetry: null,
      bodies: { requestSize: 512, responseSize: 2048, truncated: false },
      responseError: null,
    },
    ...overrides,
  };
}

function worst(a: Verdict, b: Verdict): Verdict {
  return VERDICTS.indexOf(a) >= VERDICTS.indexOf(b) ? a : b;
}

export interface FakeLive extends LiveSession {
  add(record: ExchangeRecord): void;
  readonly records: ExchangeRecord[];
  listenerCount(): number;
}

export function createFakeLive(opts: { findings?: (app: string) => Finding[] } = {}): FakeLive {
  const records: ExchangeRecord[] = [];
  const byId = new Map<string, ExchangeRecord>();
  const listeners = new Set<(r: ExchangeRecord) => void>();
  const apps = new Map<
    string,
    { records: string[]; first: ExchangeRecord; flows: Record<string, number>; verdict: Verdict }
  >();
  const byVerdict = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;

  function snapshot(): LiveSnapshot {
    const applications: ApplicationRecord[] = [...apps.entries()].map(([clientId, a]) => ({
      clientId,
      name: a.first.appName ?? null,
      hosts: [a.first.host],
      appType: a.first.appType,
      clientType: a.first.clientType,
      library: a.first.library,
      exchangeIds: a.records,
      flows: a.flows,
      verdict: a.verdict,
      findings: opts.findings?.(clientId) ?? [],
    }));
    const verdict = applications.reduce<Verdict>((v, a) => worst(v, a.verdict), 'not-applicable');
    return {
      startedAt: '2026-01-01T10:00:00.000Z',
      summary: {
        exchanges: records.length,
        byVerdict: { ...byVerdict },
        applications: applications.length,
        verdict,
      },
      applications,
    };
  }

  function fakeReport(format: ReportFormat): string {
    const head = { format, summary: snapshot().summary };
    return format === 'md' ? `# report\n\n${records.length} exchanges\n` : JSON.stringify(head);
  }

  return {
    records,
    listenerCount: () => listeners.size,
    add(record) {
      records.push(record);
      byId.set(record.id, record);
      byVerdict[record.verdict]++;
      const key = record.clientId ?? 'unknown';
      let app = apps.get(key);
      if (app === undefined) {
        app = { records: [], first: record, flows: {}, verdict: 'not-applicable' };
        apps.set(key, app);
      }
      app.records.push(record.id);
      if (record.grantType !== null)
        app.flows[record.grantType] = (app.flows[record.grantType] ?? 0) + 1;
      if (record.verdict !== 'not-applicable') app.verdict = worst(app.verdict, record.verdict);
      for (const l of listeners) l(record);
    },
    snapshot: () => Promise.resolve(snapshot()),
    compactSnapshot: () => Promise.resolve(compactSnapshot(snapshot())),
    recent: (limit) => Promise.resolve(records.slice(Math.max(0, records.length - limit))),
    get: (id) => Promise.resolve(byId.get(id)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    render(format: ReportFormat) {
      return Promise.resolve(fakeReport(format));
    },
    renderStream(format: ReportFormat) {
      const text = fakeReport(format);
      return Promise.resolve(
        (async function* () {
          yield text;
        })(),
      );
    },
  };
}
