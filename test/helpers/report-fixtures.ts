/**
 * Test factories for the report layer: classified ExchangeRecords for every verdict and several
 * flows, the applications and summary a session would derive from them, and ReportInputs. Built by
 * hand (not by the classifier) so report tests do not depend on classification rules. Every
 * "secret" here is already a redaction fingerprint, as in real records.
 */
import type {
  ApplicationRecord,
  Evidence,
  ExchangeRecord,
  Finding,
  Reason,
  ReasonCode,
  ReportSummary,
  Severity,
  Verdict,
} from '../../src/core/types.js';
import { VERDICTS } from '../../src/core/types.js';
import { worstVerdict } from '../../src/core/verdict.js';
import { buildReportHead, type ReportHead, type ReportInput } from '../../src/report/build.js';
import { defaultRecord, EMPTY_EVIDENCE } from './records.js';

/**
 * A ReportInput over records already in memory. `records` must be re-iterable (an array, not a
 * generator), since renderers may read the exchanges twice.
 */
export function reportInputOf(head: ReportHead, records: Iterable<ExchangeRecord>): ReportInput {
  return {
    head,
    exchanges: async function* () {
      yield* records;
    },
  };
}

export const DOC_URL =
  'https://learn.microsoft.com/entra/identity/authentication/concept-resilient-controls#backup-authentication-system';

export const CLIENT = {
  spa: '8f1c2d3e-0000-4a5b-9c6d-111111111111',
  native: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
  legacyCli: '1950a258-227b-4e31-a9cf-717495945fc2',
  daemon: '3b2a1c0d-2222-4e5f-8a9b-222222222222',
  webApi: '5c6d7e8f-3333-4a1b-8c2d-333333333333',
  samlApp: 'https://sp.contoso.example/saml',
} as const;

const FP = (tag: string): string => `[redacted sha256:${tag.padEnd(8, '0').slice(0, 8)}]`;

export function makeEvidence(overrides: Partial<Evidence> = {}): Evidence {
  return { ...EMPTY_EVIDENCE, bodies: { ...EMPTY_EVIDENCE.bodies }, ...overrides };
}

export function reason(code: ReasonCode, message?: string, extra: Partial<Reason> = {}): Reason {
  return { code, message: message ?? `Reason ${code} applies to this exchange.`, ...extra };
}

let seq = 0;
/** Reset the id sequence (call in beforeEach for stable ids). */
export function resetIds(): void {
  seq = 0;
}

/** A covered, silent MSAL Node refresh-token redemption unless overridden. */
export function makeRecord(overrides: Partial<ExchangeRecord> = {}): ExchangeRecord {
  seq += 1;
  const id = overrides.id ?? `ex-${String(seq).padStart(4, '0')}`;
  const minute = String(seq % 60).padStart(2, '0');
  return defaultRecord(id, {
    startedAt: `2026-11-25T10:${minute}:00.000Z`,
    durationMs: 87,
    path: '/contoso.onmicrosoft.com/oauth2/v2.0/token',
    clientId: CLIENT.native,
    tenant: 'contoso.onmicrosoft.com',
    scopes: ['https://graph.microsoft.com/User.Read', 'offline_access', 'openid', 'profile'],
    library: 'MSAL.Node',
    libraryVersion: '3.8.1',
    clientRequestId: `c0ffee00-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    serverRequestId: `5e7e7000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    verdict: 'covered',
    reasons: [
      reason(
        'native-silent',
        'A native client redeemed a refresh token silently; BAS serves this.',
      ),
      reason(
        'token-cache-3-days',
        'BAS can only serve sessions that signed in within the last 3 days.',
      ),
    ],
    evidence: makeEvidence({
      form: {
        grant_type: 'refresh_token',
        client_id: CLIENT.native,
        refresh_token: FP('9a1b2c3d'),
        scope: 'https://graph.microsoft.com/User.Read offline_access openid profile',
      },
      requestHeaders: {
        'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
        'x-client-sku': 'msal.js.node',
        'x-client-ver': '3.8.1',
        'x-client-current-telemetry': '5|871,0,,,|,',
      },
      responseHeaders: {
        'content-type': 'application/json; charset=utf-8',
        'x-ms-request-id': `5e7e7000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      },
      claims: {
        access_token: {
          aud: '00000003-0000-0000-c000-000000000000',
          tid: '72f988bf',
          ver: '2.0',
          idtyp: 'user',
        },
      },
      telemetry: { schema: 5, apiId: 871, mode: 'silent' },
      bodies: { requestSize: 412, responseSize: 3120, truncated: false },
    }),
    ...overrides,
  });
}

/** One preset per flow: realistic field combinations for each verdict. */
export const FLOWS = {
  spaPkce: (): ExchangeRecord =>
    makeRecord({
      grantType: 'authorization_code',
      pkce: true,
      appType: 'spa',
      clientId: CLIENT.spa,
      library: 'MSAL.JS',
      libraryVersion: '4.21.0',
      interaction: 'interactive',
      reasons: [
        reason('spa-auth-code-pkce', 'SPA with auth code + PKCE through MSAL.js: covered.'),
      ],
      evidence: makeEvidence({
        form: {
          grant_type: 'authorization_code',
          code: FP('c0de0001'),
          code_verifier: FP('7e71f1e7'),
          client_id: CLIENT.spa,
        },
        requestHeaders: {
          origin: 'https://app.contoso.example',
          'x-client-sku': 'msal.js.browser',
        },
        responseHeaders: { 'x-ms-request-id': 'aaaa0000-1111-2222-3333-444444444444' },
      }),
    }),
  nativeSilent: (): ExchangeRecord => makeRecord(),
  nativeInteractive: (): ExchangeRecord =>
    makeRecord({
      method: 'GET',
      path: '/organizations/oauth2/v2.0/authorize',
      endpoint: 'authorize',
      grantType: 'authorization_code',
      pkce: true,
      interaction: 'interactive',
      verdict: 'conditional',
      reasons: [
        reason(
          'native-interactive',
          'Interactive sign-in: BAS serves it only if the user signed in from this device recently.',
          {
            remediation:
              'Acquire tokens silently first (acquireTokenSilent) and fall back to interactive.',
          },
        ),
      ],
      evidence: makeEvidence({
        query: {
          client_id: CLIENT.native,
          response_type: 'code',
          code_challenge: FP('cc000001'),
          code_challenge_method: 'S256',
          prompt: 'select_account',
        },
      }),
    }),
  ropc: (): ExchangeRecord =>
    makeRecord({
      grantType: 'password',
      clientId: CLIENT.legacyCli,
      library: null,
      libraryVersion: null,
      interaction: null,
      verdict: 'not-covered',
      reasons: [
        reason('ropc', 'Resource owner password credentials (ROPC) are not served by BAS.'),
        reason('non-msal-client', 'No MSAL telemetry was seen.'),
      ],
      evidence: makeEvidence({
        form: {
          grant_type: 'password',
          username: FP('05e50001'),
          password: FP('9a55'),
          client_id: CLIENT.legacyCli,
          scope: 'openid',
        },
        responseError: null,
      }),
    }),
  deviceCode: (): ExchangeRecord =>
    makeRecord({
      grantType: 'device_code',
      clientId: CLIENT.legacyCli,
      library: null,
      libraryVersion: null,
      interaction: null,
      status: 400,
      verdict: 'not-covered',
      reasons: [reason('device-code', 'The device code flow is not served by BAS.')],
      evidence: makeEvidence({
        form: {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: FP('dc000001'),
          client_id: CLIENT.legacyCli,
        },
        responseError: 'authorization_pending',
      }),
    }),
  clientCredentials: (): ExchangeRecord =>
    makeRecord({
      grantType: 'client_credentials',
      clientType: 'confidential',
      clientCredential: 'certificate',
      appType: 'service',
      clientId: CLIENT.daemon,
      scopes: ['https://graph.microsoft.com/.default'],
      interaction: null,
      verdict: 'not-covered',
      reasons: [
        reason(
          'client-credentials',
          'Client credentials (service principals) are not served by BAS.',
        ),
        reason('confidential-client', 'Confidential client.'),
      ],
      evidence: makeEvidence({
        form: {
          grant_type: 'client_credentials',
          client_id: CLIENT.daemon,
          client_assertion: FP('a55e7100'),
          scope: 'https://graph.microsoft.com/.default',
        },
        claims: {
          client_assertion: { aud: 'https://login.microsoftonline.com/contoso/oauth2/v2.0/token' },
        },
      }),
    }),
  onBehalfOf: (): ExchangeRecord =>
    makeRecord({
      grantType: 'on_behalf_of',
      clientType: 'confidential',
      clientCredential: 'secret',
      appType: 'web',
      clientId: CLIENT.webApi,
      interaction: null,
      verdict: 'conditional',
      reasons: [
        reason(
          'on-behalf-of',
          'On-behalf-of works under BAS only with a BAS-issued incoming token.',
        ),
      ],
    }),
  managedIdentity: (): ExchangeRecord =>
    makeRecord({
      method: 'GET',
      host: '169.254.169.254',
      path: '/metadata/identity/oauth2/token',
      cloud: 'unknown',
      hostSupported: false,
      protocol: 'managed-identity',
      endpoint: 'imds',
      grantType: 'managed_identity',
      clientType: 'confidential',
      clientCredential: 'none',
      appType: 'managed-identity',
      clientId: 'system-assigned',
      tenant: null,
      scopes: ['https://vault.azure.net'],
      library: 'azure-identity',
      libraryVersion: '4.13.1',
      managedIdentity: 'system-assigned',
      interaction: null,
      verdict: 'covered',
      reasons: [reason('managed-identity', 'Managed identity tokens are served during an outage.')],
      evidence: makeEvidence({
        query: { 'api-version': '2018-02-01', resource: 'https://vault.azure.net' },
        requestHeaders: { metadata: 'true' },
      }),
    }),
  samlIdp: (): ExchangeRecord =>
    makeRecord({
      path: '/72f988bf-86f1-41af-91ab-2d7cd011db47/saml2',
      protocol: 'saml2',
      endpoint: 'saml2',
      grantType: null,
      clientId: CLIENT.samlApp,
      clientType: 'unknown',
      appType: 'web',
      samlInitiation: 'idp',
      scopes: null,
      library: null,
      libraryVersion: null,
      interaction: null,
      verdict: 'not-covered',
      reasons: [reason('saml-idp-initiated', 'IdP-initiated SAML sign-in is not served by BAS.')],
      evidence: makeEvidence({
        saml: {
          messageType: 'Response',
          inResponseTo: false,
          issuer: 'https://sts.windows.net/72f988bf/',
        },
      }),
    }),
  samlSp: (): ExchangeRecord =>
    makeRecord({
      method: 'GET',
      path: '/72f988bf-86f1-41af-91ab-2d7cd011db47/saml2',
      protocol: 'saml2',
      endpoint: 'saml2',
      grantType: null,
      clientId: CLIENT.samlApp,
      clientType: 'unknown',
      appType: 'web',
      samlInitiation: 'sp',
      scopes: null,
      library: null,
      libraryVersion: null,
      interaction: null,
      verdict: 'covered',
      reasons: [reason('saml-sp-initiated', 'SP-initiated SAML sign-in is served by BAS.')],
      evidence: makeEvidence({
        query: { SAMLRequest: FP('5a31e001'), RelayState: 'https://sp.contoso.example/' },
        saml: { messageType: 'AuthnRequest', issuer: CLIENT.samlApp },
      }),
    }),
  metadata: (): ExchangeRecord =>
    makeRecord({
      method: 'GET',
      path: '/common/v2.0/.well-known/openid-configuration',
      protocol: 'metadata',
      endpoint: 'discovery',
      grantType: null,
      clientId: null,
      scopes: null,
      interaction: null,
      verdict: 'not-applicable',
      reasons: [reason('metadata', 'Metadata discovery: not a sign-in.')],
      evidence: makeEvidence(),
    }),
  unparseable: (): ExchangeRecord =>
    makeRecord({
      host: 'login.microsoft.com',
      hostSupported: false,
      grantType: null,
      clientId: null,
      clientType: 'unknown',
      appType: 'unknown',
      library: null,
      libraryVersion: null,
      interaction: null,
      status: null,
      verdict: 'unknown',
      reasons: [
        reason('unparseable', 'The request body could not be parsed.'),
        reason('host-unsupported', 'login.microsoft.com is not served by BAS.'),
      ],
      error: { code: 'upstream-reset', message: 'socket hang up' },
      evidence: makeEvidence({
        bodies: { requestSize: 70000, responseSize: null, truncated: true },
      }),
    }),
} satisfies Record<string, () => ExchangeRecord>;

const SEVERITY: Readonly<Record<Verdict, Severity>> = {
  'not-covered': 'error',
  unknown: 'warning',
  conditional: 'warning',
  covered: 'info',
  'not-applicable': 'info',
};

/** The application a session would derive from these records (all of one client id). */
export function makeApplication(
  records: readonly ExchangeRecord[],
  overrides: Partial<ApplicationRecord> = {},
): ApplicationRecord {
  const first = records[0];
  const flows: Record<string, number> = {};
  const findings = new Map<ReasonCode, Finding>();
  for (const r of records) {
    const flow = r.samlInitiation ? `saml:${r.samlInitiation}` : r.grantType;
    if (flow) flows[flow] = (flows[flow] ?? 0) + 1;
    for (const rs of r.reasons) {
      const f = findings.get(rs.code);
      if (f) {
        findings.set(rs.code, { ...f, exchangeIds: [...f.exchangeIds, r.id] });
      } else {
        findings.set(rs.code, {
          code: rs.code,
          severity: SEVERITY[r.verdict],
          message: rs.message,
          remediation:
            rs.remediation ?? `Review the ${rs.code} flow; see the linked documentation.`,
          docUrl: rs.docUrl ?? DOC_URL,
          exchangeIds: [r.id],
        });
      }
    }
  }
  const sorted = [...findings.values()].sort(
    (a, b) =>
      ['error', 'warning', 'info'].indexOf(a.severity) -
      ['error', 'warning', 'info'].indexOf(b.severity),
  );
  return {
    clientId: first?.clientId ?? first?.managedIdentity ?? 'unknown',
    hosts: [...new Set(records.map((r) => r.host))],
    appType: first?.appType ?? 'unknown',
    clientType: first?.clientType ?? 'unknown',
    library: first?.library ?? null,
    exchangeIds: records.map((r) => r.id),
    flows,
    verdict: worstVerdict(records.map((r) => r.verdict).filter((v) => v !== 'not-applicable')),
    findings: sorted,
    ...overrides,
  };
}

/** Group records by client id into applications (records without a client id are left out). */
export function applicationsOf(records: readonly ExchangeRecord[]): ApplicationRecord[] {
  const groups = new Map<string, ExchangeRecord[]>();
  for (const r of records) {
    const key = r.clientId ?? r.managedIdentity;
    if (key === null) continue;
    const g = groups.get(key) ?? [];
    g.push(r);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => makeApplication(g));
}

export function summaryOf(
  records: readonly ExchangeRecord[],
  applications: readonly ApplicationRecord[],
): ReportSummary {
  const byVerdict = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const r of records) byVerdict[r.verdict] += 1;
  return {
    exchanges: records.length,
    byVerdict,
    applications: applications.length,
    verdict: worstVerdict(applications.map((a) => a.verdict)),
  };
}

/** A ReportInput over these records, with applications and summary derived from them. */
export function makeInput(
  records: readonly ExchangeRecord[],
  applications: readonly ApplicationRecord[] = applicationsOf(records),
): ReportInput {
  const head = buildReportHead({
    applications,
    summary: summaryOf(records, applications),
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T10:59:59.000Z',
    sources: [{ kind: 'proxy', name: 'http://127.0.0.1:8080' }],
    version: '0.1.0-test',
  });
  return reportInputOf(head, records);
}

/** A realistic session: every flow preset, some repeated, across six applications. */
export function sampleRecords(): ExchangeRecord[] {
  return [
    FLOWS.metadata(),
    FLOWS.spaPkce(),
    FLOWS.spaPkce(),
    FLOWS.nativeInteractive(),
    FLOWS.nativeSilent(),
    FLOWS.nativeSilent(),
    FLOWS.ropc(),
    FLOWS.deviceCode(),
    FLOWS.clientCredentials(),
    FLOWS.onBehalfOf(),
    FLOWS.managedIdentity(),
    FLOWS.samlSp(),
    FLOWS.samlIdp(),
    FLOWS.unparseable(),
  ];
}

export function sampleInput(): ReportInput {
  return makeInput(sampleRecords());
}

/** An empty session: no exchanges, no applications. */
export function emptyInput(): ReportInput {
  return makeInput([]);
}

/** Payloads planted wherever traffic controls the text. */
export const XSS = {
  script: '<script>alert(1)</script>',
  img: '"><img src=x onerror=alert(2)>',
  close: '</script><script>alert(3)</script>',
} as const;

/** Records and an application whose traffic-controlled fields carry XSS payloads. */
export function xssInput(): ReportInput {
  const evil = makeRecord({
    host: `evil${XSS.img}.example`,
    path: `/x${XSS.script}/oauth2/token`,
    clientId: `cid${XSS.img}${XSS.close}`,
    library: `lib${XSS.script}`,
    tenant: XSS.close,
    verdict: 'not-covered',
    reasons: [reason('ropc', `message ${XSS.script} ${XSS.img} | pipe\nnewline`)],
    evidence: makeEvidence({
      query: { q: XSS.close },
      requestHeaders: { 'x-client-sku': XSS.img },
    }),
  });
  const app = makeApplication([evil], {
    name: `app${XSS.script}${XSS.img}`,
    hosts: [evil.host],
    findings: [
      {
        code: 'ropc',
        severity: 'error',
        message: `finding ${XSS.script} | pipe\nnewline`,
        remediation: `remediate ${XSS.img}`,
        docUrl: `javascript:alert(4)`,
        exchangeIds: [evil.id],
      },
    ],
  });
  return makeInput([evil], [app]);
}

/** Stream `n` records without holding them (for bounded-memory tests). */
export async function* manyRecords(n: number): AsyncIterable<ExchangeRecord> {
  const presets = Object.values(FLOWS);
  for (let i = 0; i < n; i++) {
    const preset = presets[i % presets.length];
    if (!preset) continue;
    yield { ...preset(), id: `ex-${i}` };
  }
}
