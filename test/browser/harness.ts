/**
 * The end-to-end rig of the browser tests: the simulated Entra ID, the proxy in front of it (with
 * its dashboard) and a Chromium that sends everything but loopback through the proxy.
 *
 * Trust: Chromium is not given the proxy's CA. The proxy signs every leaf with one shared key, so
 * `--ignore-certificate-errors-spki-list=<base64 SHA-256 of that SPKI>` makes Chromium accept
 * exactly the proxy's leaves and nothing else (the flag is honoured because Playwright always
 * passes --user-data-dir). The proxy itself trusts the sim's test CA through `upstreamCa`.
 */
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import {
  simMapRemote,
  startEntraSim,
  type EntraSim,
  type EntraSimOptions,
} from '../../sim/entra-sim.js';
import { launch } from './chromium.js';
import { tempDir } from '../helpers/temp.js';

export interface Rig {
  readonly sim: EntraSim;
  readonly proxy: RunningProxy;
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function startRig(simOptions?: EntraSimOptions): Promise<Rig> {
  const certsDir = tempDir('bas-browser-certs-');
  const sim = await startEntraSim(simOptions);
  const proxy = await startProxy({
    certsDir,
    mapRemote: simMapRemote(sim),
    upstreamCa: [sim.caPem],
    sessionLogPath: null,
    ui: true,
  });
  const browser = await launch([
    `--proxy-server=${proxy.url}`,
    `--ignore-certificate-errors-spki-list=${proxy.leafSpkiSha256}`,
  ]);
  return {
    sim,
    proxy,
    browser,
    async close() {
      await browser.close();
      await proxy.close({ drainMs: 1000 });
      await sim.close();
      rmSync(certsDir, { recursive: true, force: true });
    },
  };
}
