/**
 * The dashboard page in a real Chromium, over a test LiveSession: it renders, streams new
 * exchanges without a reload, shows a record's reasons and evidence on click, filters, keeps the
 * DOM bounded and stays responsive while 10,000 exchanges stream in, all under its strict CSP.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { Finding } from '../../src/core/types.js';
import { startDashboard, type RunningDashboard } from '../../src/ui/server.js';
import { createFakeLive, makeRecord, type FakeLive } from '../unit/ui/fake-live.js';
import { hasChromium, launch, watchErrors } from './chromium.js';

const DOC = 'https://learn.microsoft.com/entra/identity-platform/backup-authentication-system';

function findings(app: string): Finding[] {
  if (app !== 'app-native') return [];
  return [
    {
      code: 'native-interactive',
      severity: 'warning',
      message: 'Only interactive sign-ins seen; BAS serves silent ones.',
      remediation: 'Call acquireTokenSilent before acquireTokenInteractive.',
      docUrl: DOC,
      exchangeIds: ['n1'],
    },
    {
      code: 'non-msal-client',
      severity: 'info',
      message: 'Click <b>me</b>',
      remediation: '',
      docUrl: 'javascript:alert(1)',
      exchangeIds: ['n1'],
    },
  ];
}

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  let browser: Browser;
  let dashboard: RunningDashboard | undefined;
  let live: FakeLive;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser.close();
  });
  afterEach(async () => {
    await page.close();
    await dashboard?.close();
    dashboard = undefined;
  });

  async function open(): Promise<void> {
    live = createFakeLive({ findings });
    live.add(makeRecord({ id: 's1', clientId: 'app-spa' }));
    live.add(
      makeRecord({
        id: 'n1',
        clientId: 'app-native',
        appType: 'native',
        verdict: 'conditional',
        grantType: 'authorization_code',
        reasons: [{ code: 'native-interactive', message: '<img src=x onerror=alert(1)>' }],
      }),
    );
    dashboard = await startDashboard({ live, logger: silentLogger() });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    problems = watchErrors(page);
    await page.goto(dashboard.url);
    await page.locator('#status[data-state=live]').waitFor();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(2);
  }

  it('renders application cards and exchanges, escaping everything', async () => {
    await open();
    await expect.poll(() => page.locator('#cards .card').count()).toBe(2);
    const native = page.locator('.card[data-client-id="app-native"]');
    expect(await native.getAttribute('data-verdict')).toBe('conditional');
    expect(await native.textContent()).toContain('Call acquireTokenSilent');
    // Data shows as text, never as markup; only https doc links become links.
    expect(await native.textContent()).toContain('Click <b>me</b>');
    expect(await native.locator('b').count()).toBe(0);
    const links = await native
      .locator('a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual([DOC]);
    expect(await page.locator('#s-exchanges').textContent()).toBe('2');
    expect(problems).toEqual([]);
  });

  it('shows a new exchange without a reload, and its reasons and evidence on click', async () => {
    await open();
    live.add(makeRecord({ id: 'late-1', clientId: 'app-late', verdict: 'covered' }));
    await page.locator('#rows tr[data-id="late-1"]').waitFor();
    await expect.poll(() => page.locator('#s-exchanges').textContent()).toBe('3');
    await page.locator('#rows tr[data-id="n1"]').click();
    const detail = page.locator('#detail');
    await detail.locator('pre.evidence').waitFor();
    expect(await detail.locator('#d-title').textContent()).toBe('n1');
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('native-interactive');
    expect(text).toContain('<img src=x onerror=alert(1)>');
    expect(await detail.locator('img').count()).toBe(0);
    const evidence = JSON.parse((await detail.locator('pre.evidence').textContent()) ?? '') as {
      form: Record<string, string>;
    };
    expect(evidence.form.code).toBe('[redacted sha256:0a1b2c3d]');
    await page.keyboard.press('Escape');
    expect(await detail.isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('names applications (as text) in cards, rows and the filter, with the client id beside', async () => {
    await open();
    const id = '0a1b2c3d-0000-4000-8000-00000000c1e7';
    live.add(makeRecord({ id: 'named-1', clientId: id, appName: 'Payroll <b>Sync</b>' }));
    const card = page.locator(`.card[data-client-id="${id}"]`);
    await card.waitFor();
    expect(await card.locator('h3 .name').textContent()).toBe('Payroll <b>Sync</b>');
    expect(await card.locator('h3 .cid').textContent()).toBe(id);
    expect(await card.locator('b').count()).toBe(0);
    const cell = page.locator('#rows tr[data-id="named-1"] td').nth(8);
    expect(await cell.textContent()).toBe('Payroll <b>Sync</b> 0a1b2c3d…c1e7');
    expect(await cell.getAttribute('title')).toBe(`Payroll <b>Sync</b> (${id})`);
    await expect
      .poll(() => page.locator(`#f-app option[value="${id}"]`).textContent())
      .toBe(`Payroll <b>Sync</b> (${id})`);
    // A record whose client has no name shows its client id.
    expect(await page.locator('#rows tr[data-id="s1"] td').nth(8).textContent()).toBe('app-spa');
    expect(problems).toEqual([]);
  });

  it('filters by verdict and by application', async () => {
    await open();
    await page.locator('#f-verdict').selectOption('conditional');
    await expect.poll(() => page.locator('#rows tr').count()).toBe(1);
    await page.locator('#f-verdict').selectOption('');
    await page.locator('.card[data-client-id="app-spa"] button').click();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(1);
    expect(await page.locator('#rows tr').getAttribute('data-id')).toBe('s1');
    expect(await page.locator('#f-app').inputValue()).toBe('app-spa');
  });

  it('stays responsive and bounded while 10,000 exchanges stream in', async () => {
    await open();
    const verdicts = ['covered', 'not-covered', 'conditional', 'unknown'] as const;
    for (let i = 0; i < 10_000; i++) {
      live.add(
        makeRecord({
          id: `bulk-${i}`,
          clientId: `bulk-app-${i % 40}`,
          verdict: verdicts[i % verdicts.length] ?? 'unknown',
        }),
      );
    }
    await expect
      .poll(() => page.locator('#s-exchanges').textContent(), { timeout: 20_000 })
      .toBe('10002');
    await page.locator('#rows tr[data-id="bulk-9999"]').waitFor();
    expect(await page.locator('#rows tr').count()).toBeLessThanOrEqual(200);
    expect(await page.locator('#cards .card').count()).toBeLessThanOrEqual(60);
    // Responsive whatever the machine: the page keeps at most 5,000 records (what a filter change
    // scans) and a filter change builds one page of rows (counted), never one per record.
    const kept = /· (\d+) kept in this page ·/.exec(
      (await page.locator('#t-count').textContent()) ?? '',
    );
    expect(Number(kept?.[1])).toBeGreaterThan(0);
    expect(Number(kept?.[1])).toBeLessThanOrEqual(5000);
    await page.evaluate(() => {
      const w = window as unknown as { rowsAdded: number };
      w.rowsAdded = 0;
      new MutationObserver((ms) => {
        for (const m of ms) w.rowsAdded += m.addedNodes.length;
      }).observe(document.querySelector('#rows')!, { childList: true });
    });
    await page.locator('#f-verdict').selectOption('covered');
    await expect
      .poll(
        () =>
          page
            .locator('#rows tr')
            .evaluateAll((rows) =>
              rows.every((r) => r.querySelector('.badge')?.textContent === 'covered'),
            ),
        { timeout: 20_000 },
      )
      .toBe(true);
    const added = await page.evaluate(() => (window as unknown as { rowsAdded: number }).rowsAdded);
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThanOrEqual(200);
    await page.locator('#t-more').click();
    await expect.poll(() => page.locator('#rows tr').count()).toBe(400);
    expect(problems).toEqual([]);
  });
});
