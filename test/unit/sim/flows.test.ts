import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simMapRemote, startEntraSim, type EntraSim } from '../../../sim/entra-sim.js';
import { FLOWS, type FlowEnv } from '../../../sim/flows.js';
import { startTunnelProxy, type TunnelProxy } from './tunnel-proxy.js';

let sim: EntraSim;
let proxy: TunnelProxy;
let env: FlowEnv;

beforeAll(async () => {
  sim = await startEntraSim();
  proxy = await startTunnelProxy(simMapRemote(sim));
  env = { proxyUrl: proxy.url, proxyCaPem: sim.caPem, sim };
});

afterAll(async () => {
  await proxy.close();
  await sim.close();
});

describe('flow drivers (through a tunnelling test proxy to the sim)', () => {
  it('have unique ids and expectations', () => {
    expect(new Set(FLOWS.map((f) => f.id)).size).toBe(FLOWS.length);
    for (const f of FLOWS) expect(f.expect.length).toBeGreaterThan(0);
  });

  it.each(FLOWS.map((f) => [f.id, f] as const))(
    '%s completes through the proxy',
    async (_id, flow) => {
      const before = proxy.seen.length;
      await flow.run(env);
      const lines = proxy.seen.slice(before);
      expect(lines.length).toBeGreaterThan(0);
      const hosts = new Set(flow.expect.map((e) => e.host ?? 'login.microsoftonline.com'));
      for (const h of hosts) expect(lines.some((l) => l.includes(h))).toBe(true);
    },
  );

  it('sent everything through the proxy to mapped hosts only', () => {
    const mapped = Object.keys(simMapRemote(sim));
    for (const line of proxy.seen) expect(mapped.some((h) => line.includes(h))).toBe(true);
  });
});
