/**
 * Real SPAs in a real Chromium, signing in through the proxy against the simulated Entra ID:
 * @azure/msal-browser (auth code + PKCE) and the legacy msal 1.x (implicit id_token). Checks how
 * each exchange is classified, and that the dashboard shows a flow while it happens.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../../src/core/types.js';
import { startApp, type AppConfig } from './app-server.js';
import { hasChromium, watchErrors } from './chromium.js';
import { startRig, type Rig } from './harness.js';

const MSAL2_CLIENT = '5a1c0de2-0000-4000-8000-00000000b202';
const MSAL1_CLIENT = '5a1c0de1-0000-4000-8000-00000000b101';

/** Runs one SPA until it says it is signed in; returns the records the proxy made meanwhile. */
async function signIn(
  rig: Rig,
  app: 'msal1' | 'msal2',
  config: AppConfig,
  onPage?: (page: Page) => void,
): Promise<ExchangeRecord[]> {
  const before = new Set((await rig.proxy.live.recent(10_000)).map((r) => r.id));
  const server = await startApp(app, config);
  const context = await rig.browser.newContext();
  try {
    const page = await context.newPage();
    onPage?.(page);
    await page.goto(server.url);
    await page.waitForFunction(
      () => ['signed-in', 'error'].includes(document.body.dataset.state ?? ''),
      undefined,
      {
        timeout: 20_000,
      },
    );
    const state = await page.evaluate(() => document.body.dataset.state);
    const out = await page.locator('#out').textContent();
    expect(state, out ?? '').toBe('signed-in');
  } finally {
    await context.close();
    await server.close();
  }
  return (await rig.proxy.live.recent(10_000)).filter((r) => !before.has(r.id));
}

function describeRecords(records: readonly ExchangeRecord[]): string {
  return records
    .map(
      (r) =>
        `${r.method} ${r.host}${r.path} ${r.status} ${r.appType} ${r.verdict} [${r.reasons.map((x) => x.code).join(',')}]`,
    )
    .join('\n');
}

describe.skipIf(!hasChromium)('SPA flows through the proxy in Chromium', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('msal-browser loginRedirect: the token exchange is a SPA auth code + PKCE, not covered', async () => {
    const records = await signIn(rig, 'msal2', {
      clientId: MSAL2_CLIENT,
      authority: `https://login.microsoftonline.com/${rig.sim.tenantId}`,
      scopes: ['User.Read'],
    });
    const dump = describeRecords(records);
    const tokens = records.filter((r) => r.endpoint === 'token' && r.method === 'POST');
    expect(tokens, dump).toHaveLength(1);
    const token = tokens[0];
    expect(token?.clientId).toBe(MSAL2_CLIENT);
    expect(token?.grantType).toBe('authorization_code');
    expect(token?.pkce).toBe(true);
    expect(token?.appType, dump).toBe('spa');
    expect(token?.verdict, dump).toBe('not-covered');
    expect(token?.reasons.map((r) => r.code)).toContain('spa-auth-code-pkce');
    expect(token?.library?.toLowerCase()).toContain('msal');
    const authorize = records.find((r) => r.endpoint === 'authorize');
    expect(authorize?.clientId, dump).toBe(MSAL2_CLIENT);
    for (const preflight of records.filter((r) => r.method === 'OPTIONS')) {
      expect(preflight.verdict, dump).toBe('not-applicable');
      expect(
        preflight.reasons.map((r) => r.code),
        dump,
      ).toContain('metadata');
    }
    // Nothing secret in what the proxy kept.
    const kept = JSON.stringify(records);
    expect(kept).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(kept).not.toMatch(/"code":"1\.AXkA/);
  });

  it('msal 1.x loginRedirect with an implicit id_token only: covered', async () => {
    const records = await signIn(rig, 'msal1', {
      clientId: MSAL1_CLIENT,
      authority: `https://login.microsoftonline.com/${rig.sim.tenantId}`,
      scopes: ['openid', 'profile'],
    });
    const dump = describeRecords(records);
    const authorize = records.filter(
      (r) => r.endpoint === 'authorize' && r.clientId === MSAL1_CLIENT,
    );
    expect(authorize, dump).toHaveLength(1);
    const a = authorize[0];
    expect(a?.grantType, dump).toBe('implicit');
    expect(a?.appType, dump).toBe('spa');
    expect(a?.verdict, dump).toBe('covered');
    expect(
      a?.reasons.map((r) => r.code),
      dump,
    ).toContain('spa-implicit-id-token');
    expect(
      records.filter((r) => r.endpoint === 'token'),
      dump,
    ).toHaveLength(0);
  });

  it('the dashboard shows a flow driven during the test without a reload', async () => {
    const dashboardUrl = rig.proxy.dashboardUrl;
    expect(dashboardUrl).not.toBeNull();
    const page = await rig.browser.newPage();
    const problems = watchErrors(page);
    try {
      await page.goto(dashboardUrl ?? '');
      await page.locator('#status[data-state=live]').waitFor();
      const clientId = '5a1c0de2-0000-4000-8000-00000000d202';
      let navigations = 0;
      page.on('framenavigated', () => navigations++);
      await signIn(rig, 'msal2', {
        clientId,
        authority: `https://login.microsoftonline.com/${rig.sim.tenantId}`,
        scopes: ['User.Read'],
      });
      const card = page.locator(`.card[data-client-id="${clientId}"]`);
      await card.waitFor({ timeout: 10_000 });
      expect(await card.getAttribute('data-verdict')).toBe('not-covered');
      await page.locator('#f-app').selectOption(clientId);
      await expect.poll(() => page.locator('#rows tr').count()).toBeGreaterThanOrEqual(2);
      const tokenRow = page.locator('#rows tr', { hasText: '/oauth2/v2.0/token' }).first();
      await tokenRow.click();
      const detail = page.locator('#detail');
      await detail.locator('pre.evidence').waitFor();
      expect(await detail.textContent()).toContain('spa-auth-code-pkce');
      expect(navigations).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
