/**
 * `sim`: the simulated Entra ID and IMDS (sim/entra-sim.ts) on loopback by themselves, until
 * SIGINT/SIGTERM. Writes the simulator's test CA (public certificate only; its key stays in
 * memory) into a temporary folder removed on exit, and prints the `--map-remote`/`--upstream-ca`
 * flags that send the proxy's Entra and IMDS traffic there, with a client command to try. Anyone
 * can then sign in with any client, in any language, through the real proxy, with no tenant.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../core/errors.js';
import { simMapRemote, startEntraSim, type EntraSim } from '../../../sim/entra-sim.js';
import { cliLogger, untilSignal } from '../common.js';
import { isLoopback, type Parsed } from '../options.js';

/** A client id and a secret the simulator accepts (any GUID is a client; nothing is real). */
const EXAMPLE_CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const EXAMPLE_SECRET = 'sim-not-a-real-secret';

export async function simCommand(p: Parsed): Promise<number> {
  const o = p.options;
  if (p.positionals.length > 0)
    throw new ToolError('ERR_USAGE', `sim takes no arguments, got '${p.positionals[0] ?? ''}'`);
  if (o.portGiven && o.port === 65535)
    throw new ToolError('ERR_USAGE', '--port: IMDS listens on the next port, so at most 65534');
  const log = cliLogger(o);
  if (!isLoopback(o.host)) {
    log.warn(
      `listening on ${o.host}, not loopback: anyone who can reach this address can get the simulator's test tokens`,
    );
  }
  // Listened for from the start: a signal while the simulator starts still removes the folder.
  const stopped = untilSignal();
  const dir = await mkdtemp(join(tmpdir(), 'entra-bas-sim-'));
  let sim: EntraSim | null = null;
  try {
    try {
      sim = await startEntraSim({
        host: o.host,
        httpsPort: o.portGiven ? o.port : 0,
        httpPort: o.portGiven && o.port !== 0 ? o.port + 1 : 0,
        onServed: (s) => log.info(`sim answered ${s.method} ${s.host}${s.path}: ${s.status}`),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const where = o.portGiven ? ` port ${o.port} or ${o.port + 1}` : '';
      throw new ToolError('ERR_LISTEN', `cannot listen on ${o.host}${where} (${code})`, {
        cause: err,
      });
    }
    const caFile = join(dir, 'sim-ca.pem');
    await writeFile(caFile, sim.caPem, { mode: 0o644 });
    process.stdout.write(simInstructions(sim, caFile));
    await stopped;
    return 0;
  } finally {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `--map-remote HOST=URL ... --upstream-ca FILE`: the simulator's flags for `start` and `run`. */
export function simFlags(sim: EntraSim, caFile: string): string[] {
  const flags: string[] = [];
  for (const [host, url] of Object.entries(simMapRemote(sim)))
    flags.push('--map-remote', `${host}=${url}`);
  flags.push('--upstream-ca', caFile);
  return flags;
}

function simInstructions(sim: EntraSim, caFile: string): string {
  const flags = simFlags(sim, caFile).map(shellQuote).join(' ');
  const curl = [
    'curl',
    '-sS',
    'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
    '-d',
    'grant_type=client_credentials',
    '-d',
    `client_id=${EXAMPLE_CLIENT_ID}`,
    '-d',
    `client_secret=${EXAMPLE_SECRET}`,
    '-d',
    'scope=https://graph.microsoft.com/.default',
  ]
    .map(shellQuote)
    .join(' ');
  return `entra-bas-proxy sim listening on ${sim.httpsUrl} (IMDS: ${sim.httpUrl}, CA: ${caFile})

Flags for entra-bas-proxy start or run (the Entra hosts and IMDS go to the simulator, whose test CA the proxy trusts upstream):

  ${flags}

Try it with any client in any language; for example:

  entra-bas-proxy run ${flags} -- ${curl}

Any GUID is a client id here, and nothing it hands out is a real token. Ctrl-C stops the simulator and removes its CA file.
`;
}

/** A word as a POSIX shell reads it back. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
