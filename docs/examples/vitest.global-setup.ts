// vitest.config.ts:  test: { globalSetup: ['./vitest.global-setup.ts'], setupFiles: ['./vitest.setup.ts'], pool: 'forks' }
//
// Starts entra-bas-proxy once for the whole test run. Test workers are forked after this runs, so
// they inherit HTTPS_PROXY and NODE_EXTRA_CA_CERTS (Node reads the CA variable at start-up only).
import { startProxy } from 'entra-bas-proxy';

export default async function setup(): Promise<() => Promise<void>> {
  const proxy = await startProxy({
    port: 0,
    certsDir: '.entra-bas-certs',
    sessionLogPath: 'bas.session.ndjson',
    ui: true, // the live dashboard; its URL is proxy.dashboardUrl
  });
  Object.assign(process.env, proxy.env);
  console.log(`entra-bas-proxy ${proxy.url}, dashboard ${proxy.dashboardUrl ?? 'off'}`);
  return async () => {
    await proxy.close();
    await proxy.writeReports(['bas.json', 'bas.md', 'bas.html', 'bas.xml']);
    const report = await proxy.report();
    // Nothing to judge is never a pass (the client missed the proxy, or refused its CA).
    const empty = report.summary.findings?.find((f) => f.code === 'no-signin-traffic');
    if (empty) throw new Error(`${empty.message} ${empty.remediation}`);
    const failing = report.applications.filter((a) => a.verdict === 'not-covered');
    if (failing.length > 0) {
      throw new Error(
        `${failing.length} application(s) would not survive an Entra outage: ${failing.map((a) => a.clientId).join(', ')} (see bas.html)`,
      );
    }
  };
}
