/**
 * End to end: real client libraries (msal-node, @azure/identity, browser-shaped undici requests)
 * perform every kind of Entra flow through the real MITM proxy, which maps the Entra hosts and IMDS
 * to the simulated Entra ID on loopback. Each flow's exchanges must be recorded as its FlowSpec
 * expects. Nothing leaves loopback.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../../src/core/types.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { simMapRemote, startEntraSim, type EntraSim } from '../../sim/entra-sim.js';
import { FLOWS, type FlowEnv, type FlowExpectation } from '../../sim/flows.js';
import { tempDir } from '../helpers/temp.js';

let sim: EntraSim;
let proxy: RunningProxy;
let certsDir: string;
let env: FlowEnv;

beforeAll(async () => {
  sim = await startEntraSim();
  certsDir = tempDir('entra-bas-flows-');
  proxy = await startProxy({
    port: 0,
    certsDir,
    mapRemote: simMapRemote(sim),
    upstreamCa: [sim.caPem],
    ui: false,
    sessionLogPath: null,
    baseEnv: {},
  });
  env = { proxyUrl: proxy.url, proxyCaPem: proxy.caPem, sim };
});

afterAll(async () => {
  await proxy?.close({ drainMs: 1000 });
  await sim?.close();
  if (certsDir) await rm(certsDir, { recursive: true, force: true });
});

function summary(r: ExchangeRecord): string {
  return `${r.method} ${r.host}${r.path} -> ${r.status} endpoint=${r.endpoint} grant=${r.grantType} client=${r.clientId} app=${r.appType} verdict=${r.verdict} reasons=[${r.reasons.map((x) => x.code).join(',')}]`;
}

function matches(r: ExchangeRecord, e: FlowExpectation): boolean {
  const codes = new Set(r.reasons.map((x) => x.code));
  return (
    r.endpoint === e.endpoint &&
    r.grantType === e.grantType &&
    r.clientId === e.clientId &&
    r.appType === e.appType &&
    r.verdict === e.verdict &&
    r.host === (e.host ?? 'login.microsoftonline.com') &&
    e.reasons.every((c) => codes.has(c as never))
  );
}

async function exchangeIds(): Promise<Set<string>> {
  return new Set((await proxy.report()).exchanges.map((x) => x.id));
}

/** The records made since `before`, once every expectation has a match or the wait runs out. */
async function recordsSince(
  before: Set<string>,
  expectations: readonly FlowExpectation[],
): Promise<ExchangeRecord[]> {
  let fresh: ExchangeRecord[] = [];
  for (let i = 0; i < 40; i++) {
    fresh = (await proxy.report()).exchanges.filter((x) => !before.has(x.id));
    if (expectations.every((e) => fresh.some((r) => matches(r, e)))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return fresh;
}

describe('every flow through the proxy to the simulated Entra ID', () => {
  it.each(FLOWS.map((f) => [f.id, f] as const))('%s', async (_id, flow) => {
    const before = await exchangeIds();
    await flow.run(env);
    const fresh = await recordsSince(before, flow.expect);
    expect(fresh.length, 'the proxy recorded nothing for this flow').toBeGreaterThan(0);
    for (const e of flow.expect) {
      const hit = fresh.some((r) => matches(r, e));
      expect(
        hit,
        `no record matches ${JSON.stringify(e)}\nrecorded:\n${fresh.map(summary).join('\n')}`,
      ).toBe(true);
    }
  });

  it('reports one application per flow client id, with the worst verdict of its exchanges', async () => {
    const order = ['not-applicable', 'covered', 'conditional', 'unknown', 'not-covered'];
    const apps = new Map((await proxy.report()).applications.map((a) => [a.clientId, a]));
    for (const flow of FLOWS) {
      for (const e of flow.expect) {
        if (e.clientId === null || e.verdict === 'not-applicable') continue;
        const worst = flow.expect
          .filter((x) => x.clientId === e.clientId)
          .map((x) => x.verdict)
          .reduce((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a));
        // CONTRACT: a system-assigned managed identity's application is named "system-assigned".
        const app =
          apps.get(e.clientId) ??
          (flow.id === 'managed-identity-system' ? apps.get('system-assigned') : undefined);
        expect(
          app,
          `no application ${e.clientId} (${flow.id}); have ${[...apps.keys()].join(' ')}`,
        ).toBeDefined();
        expect(app?.verdict, `application of ${flow.id}`).toBe(worst);
      }
    }
  });

  it('forwarded every exchange upstream without errors', async () => {
    const failed = (await proxy.report()).exchanges.filter(
      (x) => x.error !== null || x.status === null,
    );
    expect(failed.map(summary)).toEqual([]);
  });

  it('kept secrets out of the report', async () => {
    const text = JSON.stringify(await proxy.report());
    expect(text).not.toContain('sim-not-a-real-password');
    expect(text).not.toContain('sim~not-a-real-secret');
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/);
  });
});
