/**
 * Every flow driver: real client libraries performing each kind of Entra sign-in through the MITM
 * proxy, each with what the proxy should report for it. Used by `demo` and the integration tests.
 *
 * Usage: `sim = await startEntraSim()`; start the proxy with `mapRemote: simMapRemote(sim)` and
 * `upstreamCa: [sim.caPem]`; then `await flow.run({ proxyUrl, proxyCaPem, sim })` for each flow and
 * compare the exchanges recorded meanwhile with `flow.expect` (every field equal, `host` defaulting
 * to login.microsoftonline.com, `reasons` a subset of the record's reason codes).
 */
import { BAS_2025_FLOWS } from './flows-bas-2025.js';
import { BROWSER_FLOWS } from './flows-browser.js';
import { CONFIDENTIAL_FLOWS } from './flows-confidential.js';
import { FEDERATION_FLOWS } from './flows-federation.js';
import { MI_FLOWS } from './flows-mi.js';
import { PUBLIC_FLOWS } from './flows-public.js';
import type { FlowSpec } from './flow-types.js';

export type { FlowEnv, FlowExpectation, FlowSpec } from './flow-types.js';
export { FLOW_CLIENT_IDS } from './flow-types.js';
export { SIM_HOSTS, simMapRemote } from './entra-sim.js';

export const FLOWS: readonly FlowSpec[] = [
  ...PUBLIC_FLOWS,
  ...CONFIDENTIAL_FLOWS,
  ...MI_FLOWS,
  ...FEDERATION_FLOWS,
  ...BROWSER_FLOWS,
  ...BAS_2025_FLOWS,
];
