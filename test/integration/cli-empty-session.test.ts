/**
 * Never green on nothing (issue 14), through the real CLI `run` with real clients and the
 * simulated Entra ID behind --map-remote: a client that refuses the proxy's CA, a client that
 * bypasses the proxy, an empty session, a session of discovery documents only. Each fails under
 * --fail-on with exit 3 and one line that says what to check; --allow-empty opts out; without
 * --fail-on the closing summary warns. Refused handshakes are counted per host and client, warned
 * about with the fix and the TLS alert, and kept in every report and the session log.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, SessionFinding } from '../../src/core/types.js';
import { startEntraSim, type EntraSim } from '../../sim/entra-sim.js';
import { runCli, type CliResult } from '../helpers/cli.js';

let sim: EntraSim;
let dir: string;
let simCaFile: string;

beforeAll(async () => {
  sim = await startEntraSim();
  dir = mkdtempSync(join(tmpdir(), 'ebp-empty-'));
  simCaFile = join(dir, 'sim-ca.pem');
  writeFileSync(simCaFile, sim.caPem);
});

afterAll(async () => {
  await sim.close();
  // The proxy's CA key lives under `dir`.
  rmSync(dir, { recursive: true, force: true });
});

const DISCOVERY = 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration';
const TOKEN = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';

function run(name: string, flags: readonly string[], cmd: readonly string[]): Promise<CliResult> {
  return runCli([
    'run',
    '--certs',
    join(dir, 'certs'),
    '--out',
    join(dir, `${name}.json`),
    '--map-remote',
    `login.microsoftonline.com=${sim.httpsUrl}`,
    '--upstream-ca',
    simCaFile,
    '--no-ui',
    ...flags,
    '--',
    ...cmd,
  ]);
}

function report(name: string): Report {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Report;
}

/** Our lines on stderr (the wrapped command writes there too). */
function ours(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('entra-bas-proxy: '));
}

function finding(rep: Report, code: string): SessionFinding | undefined {
  return rep.summary.findings?.find((f) => f.code === code);
}

const schema = JSON.parse(
  readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
) as object;

describe('run with --fail-on: a client that refuses the proxy CA', () => {
  it('curl (TLS alert unknown_ca): exit 3, one line naming the refusal, the fix warned with the alert', async () => {
    // --cacert replaces curl's trust with the simulator's CA: our leaf is refused.
    const r = await run(
      'curl-refuses',
      ['--fail-on', 'not-covered', '--out', join(dir, 'curl-refuses.xml')],
      ['curl', '-sS', '--max-time', '10', '--cacert', simCaFile, DISCOVERY],
    );
    expect(r.code).toBe(3);
    const fail = ours(r).filter((l) => l.startsWith('entra-bas-proxy: --fail-on'));
    expect(fail).toHaveLength(1);
    expect(fail[0]).toMatch(
      /--fail-on not-covered: no sign-in traffic seen \(0 exchanges\), nothing to judge; 1 TLS handshake for login\.microsoftonline\.com refused by curl\/[\d.]+ \(alert unknown_ca\): the client does not trust the proxy's CA/,
    );
    expect(fail[0]).toMatch(/--allow-empty/);
    // Warned at the default level, with the TLS alert shown (not `[redacted]`) and the fix.
    expect(r.stderr).toContain('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    expect(r.stderr).not.toContain('[redacted]');
    expect(r.stderr).toMatch(/refused the proxy's certificate \(alert unknown_ca\)/);
    expect(r.stderr).toContain(`CURL_CA_BUNDLE=${join(dir, 'certs', 'ca-bundle.pem')}`);

    const rep = report('curl-refuses');
    expect(finding(rep, 'no-signin-traffic')?.severity).toBe('error');
    const refused = finding(rep, 'tls-handshake-rejected');
    expect(refused).toMatchObject({
      severity: 'warning',
      host: 'login.microsoftonline.com',
      count: 1,
      errors: { ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 1 },
    });
    expect(Object.keys(refused?.clients ?? {})).toEqual([expect.stringMatching(/^curl\//)]);
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(rep)).toBe(true);
    expect(readFileSync(join(dir, 'curl-refuses.xml'), 'utf8')).toContain(
      'name="tls-handshake-rejected login.microsoftonline.com"',
    );

    // `report SESSION` re-renders the refusal from the session log.
    const again = await runCli([
      'report',
      join(dir, 'curl-refuses.session.ndjson'),
      '--out',
      join(dir, 'curl-again.json'),
      '--out',
      join(dir, 'curl-again.md'),
    ]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/warning: no sign-in traffic seen/);
    expect(finding(report('curl-again'), 'tls-handshake-rejected')).toMatchObject({
      count: 1,
      errors: { ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 1 },
    });
    expect(readFileSync(join(dir, 'curl-again.md'), 'utf8')).toMatch(
      /## Session findings[\s\S]*`tls-handshake-rejected`: 1 TLS handshake for login\.microsoftonline\.com was refused by curl/,
    );
  });

  it('the same curl trusting the proxy (run sets CURL_CA_BUNDLE) is judged: no warning, no refusal', async () => {
    const r = await run(
      'curl-trusts',
      [],
      [
        'curl',
        '-sS',
        '--max-time',
        '10',
        '-d',
        'grant_type=client_credentials&client_id=44444444-4444-4444-4444-444444444444&client_secret=PLANTED-H4&scope=x',
        '-o',
        '/dev/null',
        TOKEN,
      ],
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/no sign-in traffic|refused/);
    const rep = report('curl-trusts');
    expect(rep.summary.exchanges).toBe(1);
    expect(rep.summary.findings).toEqual([]);
  });

  it('node (hangs up after the ServerHello): exit 3, the refusal counted for the command run started', async () => {
    const script = join(dir, 'refuse.cjs');
    writeFileSync(
      script,
      `const http = require('node:http'); const tls = require('node:tls'); const fs = require('node:fs');
const p = new URL(process.env.HTTPS_PROXY);
const req = http.request({ host: p.hostname, port: p.port, method: 'CONNECT', path: 'login.microsoftonline.com:443' });
req.on('connect', (_res, socket) => {
  const s = tls.connect({ socket, servername: 'login.microsoftonline.com', ca: fs.readFileSync(process.argv[2]) });
  s.on('secureConnect', () => { console.error('trusted the proxy?'); process.exit(9); });
  s.on('error', (e) => { console.error('refused: ' + e.code); process.exit(0); });
});
req.end();
`,
    );
    const r = await run(
      'node-refuses',
      ['--fail-on', 'not-covered'],
      [process.execPath, script, simCaFile],
    );
    expect(r.stderr).toMatch(/refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(r.code).toBe(3);
    expect(ours(r).filter((l) => l.includes('--fail-on'))).toEqual([
      expect.stringMatching(
        /no sign-in traffic seen \(0 exchanges\).*refused by node \(closed after the ServerHello\)/,
      ),
    ]);
    expect(r.stderr).toMatch(/NODE_EXTRA_CA_CERTS=/);
    expect(finding(report('node-refuses'), 'tls-handshake-rejected')).toMatchObject({
      clients: { node: 1 },
      errors: { 'closed-during-handshake': 1 },
    });
  });

  it.skipIf(!hasCommand('wget'))(
    'wget (GnuTLS: hangs up after the handshake): counted as refused',
    async () => {
      const r = await run(
        'wget-refuses',
        ['--fail-on', 'not-covered'],
        ['wget', '-q', '-O', '/dev/null', '--tries=1', `--ca-certificate=${simCaFile}`, DISCOVERY],
      );
      expect(r.code).toBe(3);
      const refused = finding(report('wget-refuses'), 'tls-handshake-rejected');
      expect(refused?.errors).toEqual({ 'closed-after-handshake': 1 });
      expect(Object.keys(refused?.clients ?? {})).toEqual([expect.stringMatching(/^Wget\//)]);
    },
  );
});

describe('run with --fail-on: nothing to judge', () => {
  it('a client that bypasses the proxy: exit 3 and what to check', async () => {
    // Straight to the simulator: the proxy sees nothing (curl still succeeds).
    const r = await run(
      'bypass',
      ['--fail-on', 'not-covered'],
      [
        'curl',
        '-sS',
        '--max-time',
        '10',
        '--noproxy',
        '*',
        '--cacert',
        simCaFile,
        '-o',
        '/dev/null',
        `${sim.httpsUrl}/common/v2.0/.well-known/openid-configuration`,
      ],
    );
    expect(r.code).toBe(3);
    const lines = ours(r).filter((l) => l.includes('--fail-on'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^entra-bas-proxy: --fail-on not-covered: no sign-in traffic seen \(0 exchanges\), nothing to judge; check that the client picked up the proxy environment \(HTTPS_PROXY; NO_PROXY must not list the Entra hosts\), trusts the proxy's CA \(entra-bas-proxy ca\) and does not bypass the proxy \(--allow-empty accepts an empty session\)$/,
      ),
    ]);
    expect(finding(report('bypass'), 'no-signin-traffic')?.message).toMatch(
      /No sign-in traffic seen.*This is not a pass/,
    );
    expect(finding(report('bypass'), 'tls-handshake-rejected')).toBeUndefined();
  });

  it('an empty session: exit 3; --allow-empty gives the command its status back, with a warning', async () => {
    const empty = await run('empty', ['--fail-on', 'unknown'], ['sh', '-c', 'exit 0']);
    expect(empty.code).toBe(3);
    expect(ours(empty).filter((l) => l.includes('no sign-in traffic'))).toEqual([
      expect.stringMatching(/^entra-bas-proxy: --fail-on unknown: no sign-in traffic seen/),
    ]);
    const allowed = await run(
      'allowed',
      ['--fail-on', 'unknown', '--allow-empty'],
      ['sh', '-c', 'exit 7'],
    );
    expect(allowed.code).toBe(7);
    expect(allowed.stderr).toMatch(
      /entra-bas-proxy: warning: no sign-in traffic seen \(0 exchanges\)/,
    );
    expect(allowed.stderr).not.toMatch(/--fail-on/);
  });

  it('without --fail-on the closing summary warns and the exit status is the command’s', async () => {
    const r = await run('warn', [], ['sh', '-c', 'exit 0']);
    expect(r.code).toBe(0);
    expect(ours(r).at(-1)).toMatch(
      /^entra-bas-proxy: warning: no sign-in traffic seen \(0 exchanges\), nothing was judged/,
    );
    expect(finding(report('warn'), 'no-signin-traffic')?.severity).toBe('error');
  });

  it('discovery documents only count as nothing to judge', async () => {
    const r = await run(
      'discovery',
      ['--fail-on', 'not-covered'],
      ['curl', '-sS', '--max-time', '10', '-o', '/dev/null', DISCOVERY],
    );
    expect(r.code).toBe(3);
    expect(ours(r).join('\n')).toMatch(
      /--fail-on not-covered: no sign-in traffic seen \(1 exchange, all not-applicable\)/,
    );
    const rep = report('discovery');
    expect(rep.summary.byVerdict['not-applicable']).toBe(1);
    expect(finding(rep, 'no-signin-traffic')?.message).toMatch(/all not applicable/);
  });
});

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
