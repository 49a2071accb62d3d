/**
 * The shape of a flow driver: a real client library performing one kind of Entra sign-in through
 * the MITM proxy, with what the proxy should report for the flow's main exchange(s). Expectations
 * come from what the flow IS (the documented BAS rules), never from our classifier.
 */
import type { EntraSim } from './entra-sim.js';

export interface FlowEnv {
  /** http://127.0.0.1:PORT of the MITM proxy. */
  readonly proxyUrl: string;
  /** Trust this for TLS to intercepted hosts. */
  readonly proxyCaPem: string;
  readonly sim: EntraSim;
  /** A scratch directory flows may write to (a persisted token cache); default: a new temp dir. */
  readonly workDir?: string;
}

/**
 * One exchange the proxy should record. `reasons` lists reason codes that must all be present
 * (a record may carry more, e.g. informational ones); every other field must be equal.
 */
export interface FlowExpectation {
  readonly endpoint: string;
  readonly grantType: string | null;
  readonly verdict: string;
  readonly reasons: readonly string[];
  readonly clientId: string | null;
  readonly appType: string;
  /** Defaults to login.microsoftonline.com for Entra endpoints. */
  readonly host?: string;
}

export interface FlowSpec {
  readonly id: string;
  readonly title: string;
  /** What the proxy should report for this flow's main exchange(s). */
  readonly expect: readonly FlowExpectation[];
  run(env: FlowEnv): Promise<void>;
}

/** Distinct client ids per flow, so applications are separable in the report. */
export const FLOW_CLIENT_IDS = {
  ropc: 'b45c1d00-0000-4000-8000-000000000001',
  deviceCode: 'b45c1d00-0000-4000-8000-000000000002',
  nativeAuthCode: 'b45c1d00-0000-4000-8000-000000000003',
  nativeSilent: 'b45c1d00-0000-4000-8000-000000000004',
  ccSecret: 'b45c1d00-0000-4000-8000-000000000005',
  ccCertificate: 'b45c1d00-0000-4000-8000-000000000006',
  ccFederated: 'b45c1d00-0000-4000-8000-000000000007',
  webAuthCode: 'b45c1d00-0000-4000-8000-000000000008',
  oboApi: 'b45c1d00-0000-4000-8000-000000000009',
  implicitIdToken: 'b45c1d00-0000-4000-8000-00000000000a',
  implicitAccessToken: 'b45c1d00-0000-4000-8000-00000000000b',
  spaAuthCode: 'b45c1d00-0000-4000-8000-00000000000c',
  userInfo: 'b45c1d00-0000-4000-8000-00000000000d',
  aliasHost: 'b45c1d00-0000-4000-8000-00000000000e',
  samlApp: 'b45c1d00-0000-4000-8000-00000000000f',
  userAssignedMi: 'b45c1d00-0000-4000-8000-000000000010',
  guestUser: 'b45c1d00-0000-4000-8000-000000000011',
  vianetMi: 'b45c1d00-0000-4000-8000-000000000012',
} as const;

/**
 * Display names the simulated Entra ID registers for the flows' clients: like Entra, it puts them
 * in v1 access tokens (`app_displayname`), so reports can name the applications.
 */
export const FLOW_APP_NAMES: Readonly<Record<keyof typeof FLOW_CLIENT_IDS, string>> = {
  ropc: 'Legacy Payroll Sync (ROPC)',
  deviceCode: 'Contoso Ops CLI',
  nativeAuthCode: 'Contoso Desktop',
  nativeSilent: 'Contoso Desktop (silent)',
  ccSecret: 'Nightly Export Daemon',
  ccCertificate: 'Billing Worker',
  ccFederated: 'GitHub Deploy Pipeline',
  webAuthCode: 'Contoso Intranet Portal',
  oboApi: 'Orders API (on-behalf-of)',
  implicitIdToken: 'Marketing Site',
  implicitAccessToken: 'Legacy Dashboard SPA',
  spaAuthCode: 'Contoso Web App (SPA)',
  userInfo: 'Profile Widget',
  aliasHost: 'Inventory Service (alias host)',
  samlApp: 'HR Portal (SAML)',
  userAssignedMi: 'id-orders-prod',
  guestUser: 'Partner Extranet (guest sign-in)',
  vianetMi: 'id-orders-21vianet',
};

/** Static consent everywhere (`/.default`), so no flow trips the dynamic-consent heuristics. */
export const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';

export function authorityOf(env: FlowEnv, host = 'login.microsoftonline.com'): string {
  return `https://${host}/${env.sim.tenantId}`;
}
