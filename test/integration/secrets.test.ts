/**
 * "Never in any output" (CONTRACT.md), proven end to end: every flow of the product runs through
 * the real CLI (debug logging, dashboard on) against the simulated Entra ID, which keeps a ledger
 * of every secret that crossed the wire in either direction (client secrets, passwords,
 * assertions, codes, device and user codes, tokens, SAML responses, cookies, Authorization and
 * managed-identity headers). Planted secrets are added on top, including (issue 16) secrets under
 * header and parameter names no list knows, a token inside a WWW-Authenticate challenge and
 * secrets inside JSON error descriptions, sent by a hostile upstream (a real HTTPS server on
 * loopback standing in for login.windows-ppe.net) and echoed by the simulator. Then every output
 * is searched: the reports in all five formats, the session log, the dashboard's API, pages,
 * event stream and downloads, and the process's own stdout and stderr. With EBP_LEAK_TABLE=1 the
 * leaks per output are printed (issue 16's "secrets leaked / planted per output").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/core/types.js';
import { simMapRemote, startEntraSim, type EntraSim } from '../../sim/entra-sim.js';
import { FLOWS } from '../../sim/flows.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { startTestUpstream, type TestUpstream } from '../helpers/upstream.js';

const PLANTED = {
  cookie: 'PLANTED-COOKIE-9f1c2e',
  bearer: 'PLANTED-BEARER-4d7a0b',
  identityHeader: 'PLANTED-IDENTITY-HEADER-77aa',
  password: 'PLANTED-PASSWORD-13e5',
  secret: 'PLANTED-CLIENT-SECRET-c0ffee',
  // Issue 16: request headers under names no list knows, parameters likewise (values of any
  // shape: only the name rule can catch them), and a path segment the sim echoes back. Values
  // that land in free text (paths, error descriptions) have a token's shape, as the secrets that
  // really land there do (codes, tokens): the shape rule catches those.
  xClientSecret: 'PLANTED-X-CLIENT-SECRET-5e11',
  xMyToken: 'PLANTED-X-MY-TOKEN-a1b2c3',
  xApiKey: 'PLANTED-X-API-KEY-77f0d1',
  xFoo: 'planted-x-foo-value-without-digits',
  queryFoo: 'PLANTED-QUERY-FOO-3c3c3c',
  formBlob: 'PLANTED-FORM-BLOB-4d4d4d',
  pathSegment: 'PLANTED-PATH-5a5a5a0b1c2d3e4f5a6b',
  // Sent by the hostile upstream: custom response headers, a token inside WWW-Authenticate and
  // Proxy-Authenticate, secrets inside JSON error fields.
  resToken: 'PLANTED-RESPONSE-TOKEN-6b6b6b',
  resFoo: 'planted-response-foo-without-digits',
  challengeDesc: 'PLANTED-CHALLENGE-7c7c7c0b1c2d3e4f5a6b',
  proxyRealm: 'PLANTED-PROXY-REALM-8d8d8d',
  bodyDesc: 'PLANTED-BODY-DESC-9e9e9e0b1c2d3e4f5a6b',
  bodyError: 'PLANTED-BODY-ERROR-0f0f0f0b1c2d3e4f5a6b',
  challengeJwt: plantedJwt('challenge'),
  bodyJwt: plantedJwt('body'),
};

/** A JWT-shaped token whose payload and signature are unique to `label`. */
function plantedJwt(label: string): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ aud: 'api://planted', sub: `planted-${label}` })}.${Buffer.from(`planted-signature-${label}-0123456789`).toString('base64url')}`;
}

/** The hostile upstream: every answer carries planted secrets where a careless redactor keeps them. */
function hostileAnswer(
  req: import('node:http').IncomingMessage,
  _body: string,
  res: import('node:http').ServerResponse,
): void {
  const trace =
    'Trace ID: 0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70 Correlation ID: 5f2c1a9e-3b4d-4e6f-8a7b-9c0d1e2f3a4b Timestamp: 2026-12-06 07:05:13Z';
  const errorField = (req.url ?? '').includes('error-field');
  res.writeHead(401, {
    'content-type': 'application/json; charset=utf-8',
    'x-ms-request-id': '0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70',
    'www-authenticate': `Bearer realm="", error="invalid_token", error_description="AADSTS700024: The token ${PLANTED.challengeJwt} is not valid (${PLANTED.challengeDesc}). ${trace}"`,
    'proxy-authenticate': `Basic realm="${PLANTED.proxyRealm}"`,
    'x-ms-token': PLANTED.resToken,
    'x-foo': PLANTED.resFoo,
  });
  res.end(
    JSON.stringify({
      error: errorField ? PLANTED.bodyError : 'invalid_client',
      error_description: `AADSTS7000215: Invalid client secret provided: ${PLANTED.bodyDesc} ${PLANTED.bodyJwt}. ${trace}`,
      ...(errorField ? {} : { error_codes: [7000215] }),
    }),
  );
}

let sim: EntraSim;
let hostile: TestUpstream;
let cli: RunningCli;
let dir: string;
let events = '';
let eventsAbort: AbortController;
const outs = ['json', 'md', 'html', 'xml', 'har'];

beforeAll(async () => {
  sim = await startEntraSim();
  hostile = await startTestUpstream(hostileAnswer);
  dir = tempDir('ebp-secrets-');
  writeFileSync(join(dir, 'sim-ca.pem'), `${sim.caPem}\n${hostile.caPem}`);
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
  args.push('--map-remote', `login.windows-ppe.net=${hostile.url}`);
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
  await hostile?.close();
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

    // Issue 16: unexpected header and parameter names carrying secrets, to the sim and to the
    // hostile upstream (which answers with custom headers, challenges and error bodies).
    const custom = {
      'x-client-SKU': 'MSAL.Python',
      'x-client-VER': '1.31.0',
      'x-client-secret': PLANTED.xClientSecret,
      'x-my-token': PLANTED.xMyToken,
      'x-api-key': PLANTED.xApiKey,
      'x-foo': PLANTED.xFoo,
      'content-type': 'application/x-www-form-urlencoded',
    };
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: '0badf00d-0000-4000-8000-000000000002',
      scope: 'https://graph.microsoft.com/.default',
      my_blob: PLANTED.formBlob,
    }).toString();
    for (const url of [
      `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token?foo=${PLANTED.queryFoo}`,
      `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/${PLANTED.pathSegment}`,
      `https://login.windows-ppe.net/${tenant}/oauth2/v2.0/token?foo=${PLANTED.queryFoo}`,
      `https://login.windows-ppe.net/${tenant}/oauth2/v2.0/token?error-field=1`,
    ]) {
      const r = await request(url, {
        method: 'POST',
        dispatcher: agent,
        // A copy each time: undici's ProxyAgent adds `host` to the object it is given.
        headers: { ...custom },
        body: form,
      });
      await r.body.text();
    }
    // The sim really echoes the path into its error description (so it is in the ledger's reach).
    const echoed = await request(
      `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/${PLANTED.pathSegment}`,
      { dispatcher: agent },
    );
    expect(await echoed.body.text()).toContain(PLANTED.pathSegment);
    expect(hostile.seen.length).toBe(2);
    await agent.close();

    // Wait until the proxy has recorded everything, then read the dashboard's every view.
    const dash = cli.dashboardUrl ?? '';
    let snapshot = '';
    for (let i = 0; i < 50; i++) {
      snapshot = await (await fetch(`${dash}api/snapshot?limit=2000`)).text();
      if (
        (JSON.parse(snapshot) as { snapshot: { summary: { exchanges: number } } }).snapshot.summary
          .exchanges >= 35
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
    // The original five went to the sim (its ledger saw them); the new ones crossed the wire too.
    for (const p of [
      PLANTED.cookie,
      PLANTED.bearer,
      PLANTED.identityHeader,
      PLANTED.password,
      PLANTED.secret,
    ])
      expect(sim.secretsSeen()).toContain(p);
    expect(hostile.seen[0]?.headers['x-client-secret']).toBe(PLANTED.xClientSecret);
    expect(hostile.seen[0]?.headers['x-foo']).toBe(PLANTED.xFoo);
    expect(hostile.seen[0]?.body).toContain(PLANTED.formBlob);
    const leaks: string[] = [];
    const perOutput = new Map<string, Set<string>>();
    for (const s of secrets) {
      const forms = new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]);
      for (const [name, text] of Object.entries(outputs)) {
        for (const f of forms) {
          if (!text.includes(f)) continue;
          leaks.push(`${name}: ${s.slice(0, 24)}...`);
          const group = outputGroup(name);
          perOutput.set(group, (perOutput.get(group) ?? new Set()).add(s));
        }
      }
    }
    if (process.env['EBP_LEAK_TABLE'] === '1') {
      const groups = [...new Set(Object.keys(outputs).map(outputGroup))];
      process.stdout.write(
        `\nsecrets leaked / planted per output (${secrets.length} planted: ${Object.keys(PLANTED).length} named + ledger)\n` +
          groups
            .map((g) => `  ${g}: ${perOutput.get(g)?.size ?? 0} / ${secrets.length}`)
            .join('\n') +
          '\n',
      );
    }
    expect(leaks).toEqual([]);
    // The evidence shows what came (names kept, values fingerprinted; challenges cut).
    const ppe = report.exchanges.filter((x) => x.host === 'login.windows-ppe.net');
    expect(ppe).toHaveLength(2);
    const ev = ppe[0]!.evidence;
    expect(ev.requestHeaders['x-client-secret']).toMatch(/^\[redacted sha256:[0-9a-f]{8}\]$/);
    expect(ev.requestHeaders['x-foo']).toMatch(/^\[redacted sha256:[0-9a-f]{8}\]$/);
    expect(ev.responseHeaders['x-ms-token']).toMatch(/^\[redacted sha256:[0-9a-f]{8}\]$/);
    expect(ev.responseHeaders['www-authenticate']).toMatch(
      /^Bearer error="invalid_token", error_description="AADSTS700024: The token \[redacted sha256:[0-9a-f]{8}\] is not valid \(\[redacted sha256:[0-9a-f]{8}\]\)\. Trace ID: 0ad2b3c6-1d5e-4a7b-9f3c-2e1d0c9b8a70 Correlation ID: /,
    );
    expect(ev.responseHeaders['proxy-authenticate']).toBe('Basic');
    expect(ev.requestHeaders['x-client-sku']).toBe('MSAL.Python');

    // No JWT of any kind survives either (decoded, non-secret claims are the evidence).
    for (const [name, text] of Object.entries(outputs)) {
      expect(text, name).not.toMatch(
        /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
      );
    }
  });
});

/** The output an output name belongs to, for the per-output figure. */
function outputGroup(name: string): string {
  if (name === 'stdout' || name === 'stderr' || name === 'session log') return name;
  const ext = /report\.(json|md|html|xml|har)$/.exec(name)?.[1];
  const kind = { json: 'JSON', md: 'MD', html: 'HTML', xml: 'JUnit', har: 'HAR' }[ext ?? ''];
  if (name.startsWith('dashboard ')) {
    if (kind !== undefined) return `dashboard download ${kind}`;
    return name === 'dashboard /' ? 'dashboard page' : 'dashboard API';
  }
  return kind ?? name;
}
