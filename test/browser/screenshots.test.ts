/**
 * The README's screenshots (dashboard.png, dashboard-exchange.png, report-html.png,
 * report-html-exchanges.png), taken from a
 * real session: two browser SPAs (msal-browser, msal 1.x) plus a few server-side flows sent through
 * the proxy from Node (a confidential client with a secret, ROPC, managed identity). Written to
 * docs/screenshots/ when UPDATE_SCREENSHOTS=1, else to a temporary directory, so a normal test run
 * checks they can be made without touching the tree.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ProxyAgent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppConfig } from './app-server.js';
import { hasChromium } from './chromium.js';
import { startRig, type Rig } from './harness.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
const OUT = UPDATE ? join(ROOT, 'docs', 'screenshots') : tempDir('bas-screens-');
const VIEWPORT = { width: 1280, height: 800 };
/** Tall enough for the application cards and the first exchanges below them. */
const DASHBOARD_VIEWPORT = { width: 1280, height: 1000 };

async function spa(rig: Rig, app: 'msal1' | 'msal2', config: AppConfig): Promise<void> {
  const server = await startApp(app, config);
  const context = await rig.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    // The traffic is what matters here; the sign-in result is checked in spa-flows.test.ts.
    await page
      .locator('body[data-state=signed-in], body[data-state=error]')
      .waitFor({ timeout: 20_000 });
  } finally {
    await context.close();
    await server.close();
  }
}

/** Server-side flows from Node through the proxy (undici trusts the proxy's CA explicitly). */
async function serverFlows(rig: Rig): Promise<void> {
  const agent = new ProxyAgent({ uri: rig.proxy.url, requestTls: { ca: rig.proxy.caPem } });
  const tokenUrl = `https://login.microsoftonline.com/${rig.sim.tenantId}/oauth2/v2.0/token`;
  const post = (form: Record<string, string>) =>
    fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams(form),
      dispatcher: agent,
      headers: { 'x-client-sku': 'MSAL.Node', 'x-client-ver': '3.8.0' },
    });
  try {
    for (let i = 0; i < 2; i++) {
      const res = await post({
        grant_type: 'client_credentials',
        client_id: '0c0ffee0-5e4f-4000-8000-00000000c0c0',
        client_secret: 'not-a-real-secret-test-only',
        scope: 'https://graph.microsoft.com/.default',
      });
      await res.text();
    }
    const ropc = await post({
      grant_type: 'password',
      client_id: '0c0ffee0-5e4f-4000-8000-0000000009c0',
      username: 'alice@contoso.example',
      password: 'not-a-real-password-test-only',
      scope: 'User.Read openid profile offline_access',
    });
    await ropc.text();
    const mi = await fetch(
      'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net',
      { dispatcher: agent, headers: { metadata: 'true' } },
    );
    await mi.text();
  } finally {
    await agent.close();
  }
}

/** Display names the simulated Entra ID puts in v1 access tokens (app_displayname). */
const APP_NAMES = {
  '5a1c0de2-0000-4000-8000-0000000005a2': 'Contoso Web App (SPA)',
  '5a1c0de1-0000-4000-8000-0000000005a1': 'Contoso Marketing Site',
  '0c0ffee0-5e4f-4000-8000-00000000c0c0': 'Nightly Export Daemon',
  '0c0ffee0-5e4f-4000-8000-0000000009c0': 'Legacy Payroll Sync',
};

describe.skipIf(!hasChromium)('README screenshots', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ appNames: APP_NAMES });
    const authority = `https://login.microsoftonline.com/${rig.sim.tenantId}`;
    await spa(rig, 'msal2', {
      clientId: '5a1c0de2-0000-4000-8000-0000000005a2',
      authority,
      scopes: ['User.Read'],
    });
    await spa(rig, 'msal1', {
      clientId: '5a1c0de1-0000-4000-8000-0000000005a1',
      authority,
      scopes: ['openid', 'profile'],
    });
    await serverFlows(rig);
  });
  afterAll(async () => {
    await rig?.close();
    if (!UPDATE) rmSync(OUT, { recursive: true, force: true });
  });

  it('dashboard.png: the live dashboard with several applications', async () => {
    const page = await rig.browser.newPage({ viewport: DASHBOARD_VIEWPORT });
    try {
      await page.goto(rig.proxy.dashboardUrl ?? '');
      await page.locator('#status[data-state=live]').waitFor();
      await expect.poll(() => page.locator('#cards .card').count()).toBeGreaterThanOrEqual(4);
      await expect
        .poll(() => page.locator('#rows tr').count())
        .toBe(Math.min(200, (await rig.proxy.live.snapshot()).summary.exchanges));
      await page.screenshot({ path: join(OUT, 'dashboard.png') });
      // The exchanges, with one token exchange opened: its reasons and redacted evidence.
      await page.locator('#rows').scrollIntoViewIfNeeded();
      await page.locator('#rows tr', { hasText: 'spa-auth-code-pkce' }).first().click();
      await page.locator('#detail pre.evidence').waitFor();
      await page.screenshot({ path: join(OUT, 'dashboard-exchange.png') });
    } finally {
      await page.close();
    }
  });

  it('report-html.png: the HTML report opened in Chromium', async () => {
    const dir = tempDir('bas-report-');
    const file = join(dir, 'entra-bas-report.html');
    writeFileSync(file, await rig.proxy.live.render('html'));
    const page = await rig.browser.newPage({ viewport: VIEWPORT });
    try {
      await page.goto(pathToFileURL(file).href);
      expect(await page.title()).not.toBe('');
      // Applications are named (app_displayname of their v1 access tokens) in the chart.
      expect(await page.locator('#chart svg').textContent()).toContain('Contoso Web App (SPA)');
      await page.screenshot({ path: join(OUT, 'report-html.png') });
      // The exchange table: one line per exchange, one row expanded in place.
      const rows = page.locator('#ex-rows tr.row');
      await expect
        .poll(() => rows.count())
        .toBe((await rig.proxy.live.snapshot()).summary.exchanges);
      const heights = await rows.evaluateAll((trs) =>
        trs.map((tr) => tr.getBoundingClientRect().height),
      );
      expect(Math.max(...heights)).toBeLessThan(40);
      await page.evaluate(() => document.getElementById('exchanges')?.scrollIntoView());
      await rows.filter({ hasText: 'ropc' }).first().click();
      await page.locator('#detail').waitFor();
      await page.screenshot({ path: join(OUT, 'report-html-exchanges.png') });
    } finally {
      await page.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
