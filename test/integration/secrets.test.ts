/**
 * "Never in any output" (CONTRACT.md), proven end to end: every flow of the product runs through
 * the real CLI (debug logging, dashboard on) against the simulated Entra ID, which keeps a ledger
 * of every secret that crossed the wire in either direction (client secrets, passwords,
 * assertions, codes, device and user codes, tokens, SAML responses, cookies, Authorization and
 * managed-identity headers). Planted secrets are added on top. Then every output is searched:
 * the reports in all five formats, the session log, the dashboard's API, pages, event stream and
 * downloads, and the process's own stdout and stderr.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/types.js';
import { simMapRemote, startEntraSim, type EntraSim } from '../../src/sim/entra-sim.js';
import { FLOWS } from '../../src/sim/flows.js';
import { startCli, type RunningCli } from '../helpers/cli.js';

const PLANTED = {
  cookie: 'PLANTED-COOKIE-9f1c2e',
  bearer: 'PLANTED-BEARER-4d7a0b',
  identityHeader: 'PLANTED-IDENTITY-HEADER-77aa',
  password: 'PLANTED-PASSWORD-13e5',
  secret: 'PLANTED-CLIENT-SECRET-c0ffee',
};

let sim: EntraSim;
let cli: RunningCli;
let dir: string;
let events = '';
let eventsAbort: AbortController;
const outs = ['json', 'md', 'html', 'xml', 'har'];

beforeAll(async () => {
  sim = await startEntraSim();
  dir = mkdtempSync(join(tmpdir(), 'ebp-secrets-'));
  writeFileSync(join(dir, 'sim-ca.pem'), sim.caPem);
  const args = [
    'start',
    '--port',
    '0',
    '--ui-port',
    '0',
    '--certs',
    join(dir, 'certs'),
    '--log-level',
    'debug',
    '--upstream-ca',
    join(dir, 'sim-ca.pem'),
  ];
  for (const [h, url] of Object.entries(simMapRemote(sim)))
    args.push('--map-remote', `${h}=${url}`);
  for (const ext of outs) args.push('--out', join(dir, `report.${ext}`));
  cli = await startCli(args, { waitForDashboard: true });
  eventsAbort = new AbortController();
  void fetch(`${cli.dashboardUrl ?? ''}api/events`, { signal: eventsAbort.signal })
    .then(async (res) => {
      if (!res.body) return;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        events += Buffer.from(chunk).toString('utf8');
    })
    .catch(() => undefined);
}, 60_000);

afterAll(async () => {
  eventsAbort?.abort();
  if (cli && cli.proc.exitCode === null) await cli.stop('SIGKILL');
  await sim?.close();
});

describe('no secret reaches any output', () => {
  it('runs every flow plus planted secrets, then searches every output', async () => {
    const caPem = readFileSync(cli.caPath, 'utf8');
    for (const flow of FLOWS)
      await flow.run({ proxyUrl: cli.url, proxyCaPem: caPem, sim, workDir: dir });

    // Planted on top: a cookie and a bearer token on an Entra request, a ROPC password and a
    // client secret, and an App Service managed-identity header.
    const agent = new ProxyAgent({ uri: cli.url, requestTls: { ca: caPem } });
    const tenant = sim.tenantId;
    const r1 = await request(`https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `ESTSAUTH=${PLANTED.cookie}; x-ms-gateway-slice=estsfd`,
        authorization: `Bearer ${PLANTED.bearer}`,
      },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: '0badf00d-0000-4000-8000-000000000001',
        username: 'alice@contoso.example',
        password: PLANTED.password,
        scope: 'openid',
        client_secret: PLANTED.secret,
      }).toString(),
    });
    await r1.body.text();
    const r2 = await request(
      `${sim.httpUrl.replace('127.0.0.1', 'localhost')}/MSI/token?resource=https%3A%2F%2Fvault.azure.net&api-version=2019-08-01`,
      {
        dispatcher: agent,
        headers: { 'x-identity-header': PLANTED.identityHeader },
      },
    );
    await r2.body.text();
    await agent.close();

    // Wait until the proxy has recorded everything, then read the dashboard's every view.
    const dash = cli.dashboardUrl ?? '';
    let snapshot = '';
    for (let i = 0; i < 50; i++) {
      snapshot = await (await fetch(`${dash}api/snapshot?limit=2000`)).text();
      if (
        (JSON.parse(snapshot) as { snapshot: { summary: { exchanges: number } } }).snapshot.summary
          .exchanges >= 30
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const dashboard: Record<string, string> = {
      '/api/snapshot': snapshot,
      '/': await (await fetch(dash)).text(),
    };
    for (const ext of outs)
      dashboard[`/report.${ext}`] = await (await fetch(`${dash}report.${ext}`)).text();
    const live = JSON.parse(dashboard['/report.json']!) as Report;
    for (const x of live.exchanges)
      dashboard[`/api/exchanges/${x.id}`] = await (
        await fetch(`${dash}api/exchanges/${encodeURIComponent(x.id)}`)
      ).text();
    // The detail view serves full records (evidence included) from the classification worker.
    const detail = JSON.parse(
      dashboard[`/api/exchanges/${live.exchanges[0]?.id ?? ''}`] ?? '{}',
    ) as {
      evidence?: { requestHeaders?: Record<string, string> };
    };
    expect(Object.keys(detail.evidence?.requestHeaders ?? {}).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 700)); // one more throttled snapshot event
    dashboard['/api/events'] = events;

    expect(await cli.stop('SIGTERM')).toBe(0);
    const outputs: Record<string, string> = {
      stdout: cli.stdout(),
      stderr: cli.stderr(),
      'session log': readFileSync(join(dir, 'report.session.ndjson'), 'utf8'),
      ...Object.fromEntries(
        outs.map((ext) => [`report.${ext}`, readFileSync(join(dir, `report.${ext}`), 'utf8')]),
      ),
      ...Object.fromEntries(Object.entries(dashboard).map(([k, v]) => [`dashboard ${k}`, v])),
    };

    // The run really did exercise the flows and produce evidence.
    const report = JSON.parse(outputs['report.json']!) as Report;
    expect(report.exchanges.map((x) => `${x.host}${x.path}`)).toContain('localhost/MSI/token');
    expect(report.exchanges.length).toBeGreaterThanOrEqual(30);
    expect(outputs['stderr']!.length).toBeGreaterThan(1000);
    expect(events).toContain('event: record');

    const secrets = [...new Set([...sim.secretsSeen(), ...Object.values(PLANTED)])];
    expect(secrets.length).toBeGreaterThan(40);
    for (const p of Object.values(PLANTED)) expect(sim.secretsSeen()).toContain(p);
    const leaks: string[] = [];
    for (const s of secrets) {
      const forms = new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]);
      for (const [name, text] of Object.entries(outputs)) {
        for (const f of forms) if (text.includes(f)) leaks.push(`${name}: ${s.slice(0, 24)}...`);
      }
    }
    expect(leaks).toEqual([]);
    // No JWT of any kind survives either (decoded, non-secret claims are the evidence).
    for (const [name, text] of Object.entries(outputs)) {
      expect(text, name).not.toMatch(
        /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
      );
    }
  });
});
