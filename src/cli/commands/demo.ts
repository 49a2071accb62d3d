/**
 * `demo`: a simulated Entra ID on loopback, the real proxy in front of it, and real client
 * libraries (MSAL Node, Azure Identity, plain HTTP for browser-shaped flows) driving one flow of
 * every kind through it. Writes the reports in every format; a newcomer sees the product in one go.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../core/errors.js';
import {
  REPORT_FORMAT_IDS,
  extensionNames,
  formatOfFile,
  orList,
  ownExtension,
} from '../../report/formats.js';
import { worstVerdict } from '../../core/verdict.js';
import { startProxy } from '../../proxy/server.js';
import { startEntraSim } from '../../../sim/entra-sim.js';
import { FLOWS, SIM_HOSTS } from '../../../sim/flows.js';
import { cliLogger, summaryLine } from '../common.js';
import { DEFAULT_OUT, sessionPathFor, type CommonOptions, type Parsed } from '../options.js';

const DEMO_DIR = 'demo-out';

/**
 * Where the demo writes: `--out DIR` (anything without a report extension; default demo-out) gets
 * the report in every format and the session log; report files given with --out are written as
 * they are, the session log beside the first (or at --session).
 */
export function demoOutputs(o: CommonOptions): { out: string[]; dirs: string[]; session: string } {
  const given = o.out.length === 1 && o.out[0] === DEFAULT_OUT ? [DEMO_DIR] : o.out;
  const out: string[] = [];
  const dirs: string[] = [];
  for (const f of given) {
    if (formatOfFile(f) !== null) {
      out.push(f);
      continue;
    }
    dirs.push(f);
    for (const format of REPORT_FORMAT_IDS)
      out.push(join(f, `entra-bas-report${ownExtension(format)}`));
  }
  const first = dirs[0];
  const session =
    o.session ??
    (first !== undefined
      ? join(first, 'entra-bas-report.session.ndjson')
      : sessionPathFor({ ...o, out }));
  return { out, dirs, session };
}

export async function demoCommand(p: Parsed): Promise<number> {
  const o = p.options;
  if (p.positionals.length > 0)
    throw new ToolError('ERR_USAGE', `demo takes no arguments, got '${p.positionals[0] ?? ''}'`);
  const { out, dirs, session } = demoOutputs(o);
  for (const f of out) await refuseExistingDir(f);
  for (const d of dirs) {
    const st = await stat(d).catch(() => null);
    if (st && !st.isDirectory())
      throw new ToolError(
        'ERR_USAGE',
        `--out ${d}: not a folder, and not a ${orList(extensionNames({ hints: false }), ' ')} file`,
      );
  }
  const log = cliLogger({ ...o, quiet: true });
  const sim = await startEntraSim();
  const work = await mkdtemp(join(tmpdir(), 'entra-bas-demo-'));
  const mapRemote: Record<string, string> = {};
  for (const h of SIM_HOSTS.https) mapRemote[h] = sim.httpsUrl;
  for (const h of SIM_HOSTS.http) mapRemote[h] = sim.httpUrl;
  const proxy = await startProxy({
    port: o.portGiven ? o.port : 0,
    certsDir: o.certs,
    javaTrustStore: false, // demo starts no child: no keytool run
    mapRemote,
    upstreamCa: [sim.caPem],
    sessionLogPath: session,
    ui: o.noUi ? false : { port: o.uiPort ?? 0 },
    logger: log,
  });
  process.stdout.write(`entra-bas-proxy listening on ${proxy.url} (CA: ${proxy.caPath})\n`);
  process.stdout.write(`simulated Entra ID on ${sim.httpsUrl} (IMDS on ${sim.httpUrl})\n\n`);
  let failed = 0;
  process.stdout.write(`  ${'verdict'.padEnd(15)}${'flow'.padEnd(62)}reasons\n`);
  try {
    for (const flow of FLOWS) {
      const before = proxy.recorder.count();
      try {
        await flow.run({ proxyUrl: proxy.url, proxyCaPem: proxy.caPem, sim, workDir: work });
        await proxy.settle();
        const seen = await proxy.live.recent(proxy.recorder.count() - before);
        // The flow's own verdict: the worst of its sign-in exchanges (metadata fetched on the way
        // is not-applicable and left out unless that is all there is).
        const verdict = worstVerdict(seen.map((r) => r.verdict));
        const codes = new Set(
          seen.filter((r) => r.verdict === verdict).flatMap((r) => r.reasons.map((x) => x.code)),
        );
        process.stdout.write(
          `  ${verdict.padEnd(15)}${clip(flow.title, 60).padEnd(62)}${[...codes].join(', ')}\n`,
        );
      } catch (err) {
        failed++;
        process.stdout.write(
          `  ${'FAILED'.padEnd(15)}${clip(flow.title, 60).padEnd(62)}${err instanceof Error ? err.message : String(err)}\n`,
        );
      }
    }
  } finally {
    await proxy.close({ drainMs: 2_000 });
    await sim.close();
    await rm(work, { recursive: true, force: true });
  }
  await proxy.writeReports(out);
  process.stdout.write(`\n`);
  process.stderr.write(summaryLine((await proxy.live.snapshot()).summary, out));
  process.stdout.write(
    `Open ${out.find((f) => formatOfFile(f) === 'html') ?? out[0] ?? ''} in a browser for the full report.\n`,
  );
  return failed > 0 ? 1 : 0;
}

/** A report path that is an existing folder is bad usage, said before anything starts. */
async function refuseExistingDir(file: string): Promise<void> {
  const st = await stat(file).catch(() => null);
  if (st?.isDirectory())
    throw new ToolError('ERR_USAGE', `--out ${file}: is a folder, not a report file`);
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
