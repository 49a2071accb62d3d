/**
 * Refused TLS handshakes in a running proxy (the programmatic API and the dashboard): a real curl
 * that does not trust the proxy's CA, the simulated Entra ID behind map-remote. The refusal is in
 * the dashboard's snapshot (pushed as an SSE `snapshot` event, no record needed), in the report,
 * and in the session log; a client that trusts the CA afterwards makes the session judged.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompactSnapshot } from '../../src/core/compact-aggregates.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { simMapRemote, startEntraSim, type EntraSim } from '../../sim/entra-sim.js';
import { get, openEvents } from '../unit/ui/http.js';

const exec = promisify(execFile);
let sim: EntraSim;
let dir: string;
let simCaFile: string;
let proxy: RunningProxy;

beforeAll(async () => {
  sim = await startEntraSim();
  dir = mkdtempSync(join(tmpdir(), 'ebp-refused-'));
  simCaFile = join(dir, 'sim-ca.pem');
  writeFileSync(simCaFile, sim.caPem);
  proxy = await startProxy({
    certsDir: join(dir, 'certs'),
    mapRemote: simMapRemote(sim),
    upstreamCa: [sim.caPem],
    sessionLogPath: join(dir, 'session.ndjson'),
    ui: true,
  });
});

afterAll(async () => {
  await proxy.close({ drainMs: 1000 });
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const DISCOVERY = 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration';

describe('a refused handshake in a running proxy', () => {
  it('reaches the dashboard (pushed), the report and the session log', async () => {
    const dash = proxy.dashboardUrl;
    if (!dash) throw new Error('no dashboard');
    const sse = await openEvents(dash);
    try {
      const first = await sse.next('snapshot');
      const before = JSON.parse(first.data) as CompactSnapshot;
      // Nothing seen yet: the dashboard says so rather than a quiet not-applicable.
      expect(before.summary.findings?.map((f) => f.code)).toEqual(['no-signin-traffic']);
      await expect(
        exec('curl', [
          '-sS',
          '--max-time',
          '10',
          '-x',
          proxy.url,
          '--cacert',
          simCaFile,
          DISCOVERY,
        ]),
      ).rejects.toThrow();
      const pushed = await sse.next('snapshot', sse.events.indexOf(first) + 1);
      const after = JSON.parse(pushed.data) as CompactSnapshot;
      expect(
        after.summary.findings?.find((f) => f.code === 'tls-handshake-rejected'),
      ).toMatchObject({
        host: 'login.microsoftonline.com',
        count: 1,
        errors: { ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 1 },
      });
    } finally {
      sse.close();
    }
    const snap = JSON.parse((await get(dash, '/api/snapshot')).body) as {
      snapshot: CompactSnapshot;
    };
    expect(snap.snapshot.summary.findings?.map((f) => f.code)).toEqual([
      'no-signin-traffic',
      'tls-handshake-rejected',
    ]);
    expect(proxy.tlsRejections()).toEqual([
      expect.objectContaining({ host: 'login.microsoftonline.com', count: 1 }),
    ]);

    // A client that trusts the CA: the session is judged, the refusal stays a finding.
    await exec('curl', [
      '-sS',
      '--max-time',
      '10',
      '-x',
      proxy.url,
      '--cacert',
      proxy.caPath,
      '-d',
      'grant_type=client_credentials&client_id=55555555-5555-5555-5555-555555555555&client_secret=PLANTED-H4B&scope=x',
      '-o',
      '/dev/null',
      'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    ]);
    const report = await proxy.report();
    expect(report.summary.findings?.map((f) => f.code)).toEqual(['tls-handshake-rejected']);
    // The session log has the refusal as an event line (not an exchange), once the notes flush.
    await new Promise((r) => setTimeout(r, 400));
    await proxy.settle();
    const lines = readFileSync(join(dir, 'session.ndjson'), 'utf8').trim().split('\n');
    const events = lines
      .map((l) => JSON.parse(l) as { type?: string })
      .filter((l) => l.type === 'tls-rejected');
    expect(events).toEqual([
      expect.objectContaining({
        host: 'login.microsoftonline.com',
        error: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
        count: 1,
      }),
    ]);
    expect(report.exchanges).toHaveLength(1);
  });
});
