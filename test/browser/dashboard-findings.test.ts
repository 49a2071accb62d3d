/**
 * The dashboard's session findings in a real Chromium over a real proxy: "no sign-in traffic seen"
 * from the start (never a quiet not-applicable), then a refused TLS handshake (real curl without
 * the proxy's CA) pushed without a reload, its client label (a header: untrusted) shown as text.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';
import { simMapRemote, startEntraSim, type EntraSim } from '../../sim/entra-sim.js';
import { hasChromium, launch, watchErrors } from './chromium.js';

const exec = promisify(execFile);

describe.skipIf(!hasChromium)('dashboard session findings in Chromium', () => {
  let browser: Browser;
  let sim: EntraSim;
  let proxy: RunningProxy;
  let dir: string;
  let simCaFile: string;

  beforeAll(async () => {
    browser = await launch();
    sim = await startEntraSim();
    dir = mkdtempSync(join(tmpdir(), 'ebp-dash-find-'));
    simCaFile = join(dir, 'sim-ca.pem');
    writeFileSync(simCaFile, sim.caPem);
    proxy = await startProxy({
      certsDir: join(dir, 'certs'),
      mapRemote: simMapRemote(sim),
      upstreamCa: [sim.caPem],
      ui: true,
    });
  });
  afterAll(async () => {
    await browser.close();
    await proxy.close({ drainMs: 500 });
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says no sign-in traffic was seen, then shows a refused handshake live', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = watchErrors(page);
    await page.goto(proxy.dashboardUrl ?? '');
    await page.locator('#status[data-state=live]').waitFor();
    const box = page.locator('#session-findings');
    await box.waitFor({ state: 'visible' });
    expect(await box.textContent()).toContain('no-signin-traffic');
    expect(await box.getAttribute('data-severity')).toBe('error');

    await expect(
      exec('curl', [
        '-sS',
        '--max-time',
        '10',
        '-x',
        proxy.url,
        '--cacert',
        simCaFile,
        '-A',
        'curl-x<img src=x onerror=alert(1)>',
        'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
      ]),
    ).rejects.toThrow();
    await expect.poll(() => box.locator('li').count()).toBe(2);
    const text = (await box.textContent()) ?? '';
    expect(text).toContain('tls-handshake-rejected');
    expect(text).toContain('curl-x<img src=x onerror=alert(1)>');
    expect(text).toContain('alert unknown_ca');
    expect(await box.locator('img').count()).toBe(0);
    if (process.env.H4_SHOT) await page.screenshot({ path: process.env.H4_SHOT });
    expect(problems).toEqual([]);
    await page.close();
  });
});
