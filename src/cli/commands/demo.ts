/**
 * `demo`: a simulated Entra ID on loopback, the real proxy in front of it, and real client
 * libraries (MSAL Node, Azure Identity, plain HTTP for browser-shaped flows) driving one flow of
 * every kind through it. Writes the reports in every format; a newcomer sees the product in one go.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { worstVerdict } from '../../core/verdict.js';
import { startProxy } from '../../proxy/server.js';
import { startEntraSim } from '../../sim/entra-sim.js';
import { FLOWS, SIM_HOSTS } from '../../sim/flows.js';
import { cliLogger, quietLibraryConsole, summaryLine } from '../common.js';
import { DEFAULT_OUT, type Parsed } from '../options.js';

const DEMO_DIR = 'demo-out';

export async function demoCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const explicitOut = !(o.out.length === 1 && o.out[0] === DEFAULT_OUT);
  const out = explicitOut
    ? o.out
    : ['json', 'md', 'html', 'xml', 'har'].map((ext) => join(DEMO_DIR, `entra-bas-report.${ext}`));
  const log = cliLogger({ ...o, quiet: true });
  quietLibraryConsole(log);
  const sim = await startEntraSim();
  const work = await mkdtemp(join(tmpdir(), 'entra-bas-demo-'));
  const mapRemote: Record<string, string> = {};
  for (const h of SIM_HOSTS.https) mapRemote[h] = sim.httpsUrl;
  for (const h of SIM_HOSTS.http) mapRemote[h] = sim.httpUrl;
  const proxy = await startProxy({
    port: o.portGiven ? o.port : 0,
    certsDir: o.certs,
    mapRemote,
    upstreamCa: [sim.caPem],
    sessionLogPath:
      o.session ?? join(explicitOut ? '.' : DEMO_DIR, 'entra-bas-report.session.ndjson'),
    ui: o.noUi ? false : { port: o.uiPort ?? 0 },
    logger: log,
  });
  process.stdout.write(`entra-bas-proxy listening on ${proxy.url} (CA: ${proxy.caPath})\n`);
  process.stdout.write(`simulated Entra ID on ${sim.httpsUrl} (IMDS on ${sim.httpUrl})\n\n`);
  let failed = 0;
  process.stdout.write(`  ${pad('verdict', 15)}${pad('flow', 62)}reasons\n`);
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
          `  ${pad(verdict, 15)}${pad(clip(flow.title, 60), 62)}${[...codes].join(', ')}\n`,
        );
      } catch (err) {
        failed++;
        process.stdout.write(
          `  ${pad('FAILED', 15)}${pad(clip(flow.title, 60), 62)}${err instanceof Error ? err.message : String(err)}\n`,
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
    `Open ${out.find((f) => f.endsWith('.html')) ?? out[0] ?? ''} in a browser for the full report.\n`,
  );
  return failed > 0 ? 1 : 0;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
