/**
 * The HTML report in a real Chromium (skipped when none is installed): it runs under its own
 * strict CSP without a violation, planted payloads never execute, the exchange table pages and
 * filters client-side, and a click shows a record's reasons and redacted evidence.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportInput } from '../../../src/report/build.js';
import { writeReports } from '../../../src/report/writer.js';
import {
  CLIENT,
  FLOWS,
  applicationsOf,
  makeInput,
  manyRecords,
  resetIds,
  sampleInput,
  xssInput,
} from '../../helpers/report-fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('HTML report in Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM });
    dir = await mkdtemp(join(tmpdir(), 'ebp-html-'));
  });
  afterAll(async () => {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(
    name: string,
    input: ReportInput,
  ): Promise<{ page: Page; problems: string[] }> {
    const file = join(dir, `${name}.html`);
    await writeReports(input, [file]);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href);
    return { page, problems };
  }

  it('renders the table, filters, and shows details on click, with no CSP violation', async () => {
    resetIds();
    const { page, problems } = await open('sample', sampleInput());
    await expect.poll(() => page.locator('#ex-rows tr').count()).toBe(14);
    await page.selectOption('#f-verdict', 'not-covered');
    await expect.poll(() => page.locator('#ex-rows tr').count()).toBe(4);
    await page.locator('#ex-rows tr').first().click();
    const detail = page.locator('#detail');
    await expect.poll(() => detail.isVisible()).toBe(true);
    const text = await detail.innerText();
    expect(text).toContain('ropc');
    expect(text).toContain('[redacted sha256:');
    await page.selectOption('#f-verdict', '');
    await page.fill('#f-text', 'c0ffee00-0000-4000-8000-000000000009');
    await expect.poll(() => page.locator('#ex-rows tr').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('keeps every exchange on one line, full values on hover, details expanded under the row', async () => {
    resetIds();
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const records = [FLOWS.ropc(), FLOWS.spaPkce(), FLOWS.nativeSilent()].map((r) => ({
      ...r,
      path: `/${tenant}/oauth2/v2.0/token`,
    }));
    const apps = applicationsOf(records).map((a) =>
      a.clientId === CLIENT.legacyCli
        ? { ...a, name: 'Legacy Payroll Sync (ROPC, do not use)' }
        : a,
    );
    const { page, problems } = await open('fit', makeInput(records, apps));
    await page.setViewportSize({ width: 1280, height: 800 });
    const rows = page.locator('#ex-rows tr.row');
    await expect.poll(() => rows.count()).toBe(3);
    const heights = await rows.evaluateAll((trs) =>
      trs.map((tr) => tr.getBoundingClientRect().height),
    );
    for (const h of heights) expect(h).toBeLessThan(40);
    // Shortened on screen, whole on hover.
    const path = rows.first().locator('td').nth(4);
    expect(await path.textContent()).toBe('/72f9\u2026/oauth2/v2.0/token');
    expect(await path.getAttribute('title')).toBe(`/${tenant}/oauth2/v2.0/token`);
    const app = rows.first().locator('td').nth(6);
    expect(await app.textContent()).toBe('Legacy Payroll Sync (ROPC, do not use)');
    expect(await app.getAttribute('title')).toBe(
      `Legacy Payroll Sync (ROPC, do not use) (${CLIENT.legacyCli})`,
    );
    expect(await rows.nth(1).locator('td').nth(6).textContent()).toBe('8f1c2d3e\u20261111');
    // A click expands the record right under its row; a second click folds it.
    await rows.nth(1).click();
    const next = page.locator('#ex-rows tr.row.selected + tr.detail-row #detail');
    await expect.poll(() => next.isVisible()).toBe(true);
    expect(await next.innerText()).toContain(CLIENT.spa);
    expect(await rows.nth(1).getAttribute('aria-expanded')).toBe('true');
    await rows.nth(1).click();
    await expect.poll(() => page.locator('#ex-rows tr.detail-row').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('never executes planted payloads', async () => {
    resetIds();
    const { page, problems } = await open('xss', xssInput());
    await expect.poll(() => page.locator('#ex-rows tr').count()).toBe(1);
    // The application's name (markup inside) is text in its cell and in the chart.
    expect(await page.locator('#ex-rows tr td').nth(6).textContent()).toContain(
      'app<script>alert(1)</script>',
    );
    expect(await page.locator('#chart svg').textContent()).toContain(
      'app<script>alert(1)</script>',
    );
    await page.locator('#ex-rows tr').first().click();
    expect(await page.locator('#detail').innerText()).toContain('<script>alert(1)</script>');
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('pages through 20,000 exchanges', async () => {
    const input: ReportInput = { head: sampleInput().head, exchanges: () => manyRecords(20_000) };
    const { page, problems } = await open('many', input);
    await expect.poll(() => page.locator('#p-info').innerText()).toContain('of 20000');
    expect(await page.locator('#ex-rows tr').count()).toBe(100);
    await page.click('#p-next');
    await expect.poll(() => page.locator('#p-info').innerText()).toContain('page 2 of 200');
    await page.selectOption('#f-verdict', 'unknown');
    await expect.poll(() => page.locator('#p-info').innerText()).toMatch(/of \d+ \(page 1 of/);
    expect(problems).toEqual([]);
    await page.close();
  });
});
