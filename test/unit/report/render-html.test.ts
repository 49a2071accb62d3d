import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { VERDICTS } from '../../../src/core/types.js';
import { renderToString } from '../../../src/report/writer.js';
import {
  CLIENT,
  DOC_URL,
  FLOWS,
  XSS,
  emptyInput,
  makeApplication,
  makeInput,
  resetIds,
  sampleInput,
  sampleRecords,
  xssInput,
} from '../../helpers/report-fixtures.js';

beforeEach(() => resetIds());

function scriptBlock(html: string, id: string): string {
  const m = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(
    html,
  );
  if (!m?.[1]) throw new Error(`no ${id}`);
  return m[1];
}

/** Every URL-ish reference that would make the browser fetch or navigate. */
function references(html: string): string[] {
  const out: string[] = [];
  for (const re of [
    /\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?([^"'\s>]*)/gi,
    /url\(\s*['"]?([^'")]*)/gi,
    /@import\s+['"]?([^'";]*)/gi,
  ]) {
    for (const m of html.matchAll(re)) out.push(m[1] ?? '');
  }
  return out;
}

describe('renderHtml', () => {
  it('is one self-contained document: no external script, style, font or image', async () => {
    const html = await renderToString('html', sampleInput());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    const refs = references(html);
    expect(refs.length).toBeGreaterThan(0); // the doc links
    for (const ref of refs) expect(ref).toBe(DOC_URL);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
  });

  it('has the overall verdict, counts, generator meta and footer version', async () => {
    const html = await renderToString('html', sampleInput());
    expect(html).toContain('<meta name="generator" content="entra-bas-proxy 0.1.0-test">');
    expect(html).toContain('Overall verdict: <span class="badge v-not-covered">not-covered</span>');
    expect(html).toMatch(/<footer>[\s\S]*entra-bas-proxy 0\.1\.0-test[\s\S]*<\/footer>/);
    expect(html).toContain(
      '<tr><th scope="row"><span class="badge v-covered">covered</span></th><td>2</td><td>6</td></tr>',
    );
  });

  it('draws an accessible SVG of verdicts per application with a legend', async () => {
    const html = await renderToString('html', sampleInput());
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="chart-title chart-desc"');
    expect(svg).toContain('<title id="chart-title">');
    for (const v of VERDICTS) expect(svg).toContain(`<text x="20" y="12">${v}</text>`);
    // 7 applications, one bar each; the native app has conditional + covered segments, and the
    // accessible description spells out every bar.
    expect(svg.match(/<g class="bar"/g)).toHaveLength(7);
    expect(svg).toMatch(
      /<desc id="chart-desc">[^<]*04b07795-8ddb-461a-bbee-02f9e1bf7b46: 1 conditional, 2 covered\./,
    );
    expect(svg).toContain('<title>04b07795-8ddb-461a-bbee-02f9e1bf7b46: 1 conditional</title>');
  });

  it('draws stacked bars on one scale of exchanges, with round ticks, not full-width bars', async () => {
    const html = await renderToString('html', sampleInput());
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    const bars = [...svg.matchAll(/<g class="bar"[\s\S]*?<\/g>/g)].map((m) => {
      const segs = [...m[0].matchAll(/<rect class="v-([a-z-]+)"[^>]*width="([\d.]+)"/g)].map(
        (x) => ({ verdict: x[1] ?? '', width: Number(x[2]) }),
      );
      const count = Number(/<text class="count"[^>]*>(\d+)<\/text>/.exec(m[0])?.[1]);
      return { segs, count, width: segs.reduce((n, x) => n + x.width, 0) };
    });
    expect(bars).toHaveLength(7);
    // One scale: a bar's length is proportional to its exchange count, so bars differ.
    const perExchange = bars.map((b) => b.width / b.count);
    for (const w of perExchange) expect(w).toBeCloseTo(perExchange[0] ?? 0, 0);
    expect(new Set(bars.map((b) => Math.round(b.width))).size).toBeGreaterThan(1);
    // The native app: 1 conditional + 2 covered, stacked worst first.
    const native = bars.find((b) => b.count === 3);
    expect(native?.segs.map((x) => x.verdict)).toEqual(['conditional', 'covered']);
    expect((native?.segs[1]?.width ?? 0) / (native?.segs[0]?.width ?? 1)).toBeCloseTo(2, 2);
    // An axis of exchanges from 0 to the largest count.
    const ticks = [...svg.matchAll(/<text class="tick"[^>]*>(\d+)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(['0', '1', '2', '3']);
  });

  it('names applications in the chart, the sections, the filter and the rows, beside their client id', async () => {
    const records = [FLOWS.ropc(), FLOWS.spaPkce()];
    const named = makeApplication([records[0]!], { name: 'Payroll Sync' });
    const unnamed = makeApplication([records[1]!]);
    const html = await renderToString('html', makeInput(records, [named, unnamed]));
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).toContain(
      '<tspan class="name">Payroll Sync</tspan> <tspan class="cid">1950a258\u20265fc2</tspan>',
    );
    expect(svg).toContain(`<title>Payroll Sync (${CLIENT.legacyCli}): 1 not-covered</title>`);
    expect(svg).toContain(`<tspan class="cid">${CLIENT.spa}</tspan>`);
    expect(html).toContain(
      `<span class="app-name">Payroll Sync</span> <code class="cid">${CLIENT.legacyCli}</code>`,
    );
    expect(html).toContain(
      `<option value="${CLIENT.legacyCli}">Payroll Sync (${CLIENT.legacyCli})</option>`,
    );
    expect(html).toContain(`<option value="${CLIENT.spa}">${CLIENT.spa}</option>`);
    const meta = JSON.parse(scriptBlock(html, 'ebp-meta')) as { names: Record<string, string> };
    expect(meta.names).toEqual({ [CLIENT.legacyCli]: 'Payroll Sync' });
  });

  it('lays the exchange table out in fixed columns', async () => {
    const html = await renderToString('html', sampleInput());
    expect(html).toMatch(/<colgroup>(<col class="c-[a-z]+">){9}<\/colgroup>/);
    expect(html).toContain('table.exchanges{width:100%;table-layout:fixed');
    expect(html).toMatch(
      /table\.exchanges th,table\.exchanges td\{white-space:nowrap;overflow:hidden;text-overflow:ellipsis/,
    );
  });

  it('has per-application sections with findings, severity, remediation and doc links', async () => {
    const html = await renderToString('html', sampleInput());
    expect(html.match(/<section class="app"/g)).toHaveLength(7);
    expect(html).toContain('<span class="sev">error</span> <code>ropc</code>');
    expect(html).toContain('<strong>Remediation:</strong>');
    expect(html).toContain(`<a href="${DOC_URL}" rel="noopener noreferrer">Documentation</a>`);
    expect(html).toContain('tokenIssuerType = AzureADBackupAuth');
  });

  it('embeds every exchange as JSON rows for the client-side table', async () => {
    const html = await renderToString('html', sampleInput());
    const rows = JSON.parse(scriptBlock(html, 'ebp-rows')) as unknown[][];
    const meta = JSON.parse(scriptBlock(html, 'ebp-meta')) as { strings: string[] };
    expect(rows).toHaveLength(sampleRecords().length);
    const first = rows[0] ?? [];
    expect(first[0]).toBe('ex-0001');
    expect(meta.strings[first[3] as number]).toBe('login.microsoftonline.com');
    expect(html).toContain('<select id="f-verdict">');
    expect(html).toContain('<select id="f-app">');
    expect(html).toContain('<select id="f-host">');
  });

  it('escapes XSS payloads planted in host, path, client id, library and messages', async () => {
    const html = await renderToString('html', xssInput());
    expect(html).not.toContain(XSS.script);
    expect(html).not.toContain('<img');
    expect(html).not.toContain(XSS.close);
    expect(html).not.toContain('javascript:');
    expect(html.match(/<script\b/gi)).toHaveLength(3); // two JSON blocks + the app script
    expect(html.match(/<\/script>/gi)).toHaveLength(3);
    // The embedded JSON still decodes to the original strings.
    const meta = JSON.parse(scriptBlock(html, 'ebp-meta')) as { strings: string[] };
    expect(meta.strings).toContain(`evil${XSS.img}.example`);
    // The application's name carries markup too: escaped in the page, intact in the JSON.
    expect(html).toContain('app&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img');
    const names = (JSON.parse(scriptBlock(html, 'ebp-meta')) as { names: Record<string, string> })
      .names;
    expect(Object.values(names)).toEqual([`app${XSS.script}${XSS.img}`]);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('allows exactly its own script and style through the CSP', async () => {
    const html = await renderToString('html', sampleInput());
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = (s: string) => createHash('sha256').update(s).digest('base64');
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`script-src &#39;sha256-${hash(script)}&#39;`);
    expect(csp).toContain(`style-src &#39;sha256-${hash(style)}&#39;`);
    expect(csp).toContain('default-src &#39;none&#39;');
  });

  it('is print-friendly', async () => {
    const html = await renderToString('html', sampleInput());
    expect(html).toContain('@media print');
  });

  it('renders an empty session', async () => {
    const html = await renderToString('html', emptyInput());
    expect(html).toContain('No application signed in during this session.');
    expect(JSON.parse(scriptBlock(html, 'ebp-rows'))).toEqual([]);
  });
});
