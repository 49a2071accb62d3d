import { describe, expect, it } from 'vitest';
import { renderPage } from '../../../src/ui/page.js';

const NONCE = 'AAAAAAAAAAAAAAAAAAAAAA==';

function inlineScript(html: string): string {
  const m = /<script nonce="[^"]+">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no inline script');
  return m[1];
}

describe('renderPage', () => {
  const html = renderPage(NONCE);

  it('is one self-contained document: no external resource of any kind', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<img\b|<iframe\b|<object\b|<embed\b|<base\b/i);
    const css = /<style[^>]*>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(css.length).toBeGreaterThan(100);
    expect(css).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/(src|href|action)=["']?(https?:)?\/\//i);
    // Only same-origin links: the report downloads.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual([
      '/report.json',
      '/report.md',
      '/report.html',
      '/report.xml',
      '/report.har',
    ]);
  });

  it('has no inline event handlers or style attributes (both would need unsafe-inline)', () => {
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<style/g)).toHaveLength(1);
  });

  it('inlines a script that parses and never writes HTML from data', () => {
    const script = inlineScript(html);
    expect(() => new Function(script)).not.toThrow();
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    // Links built from data are checked to be https before use.
    expect(script).toMatch(/protocol !== ["']https:["']/);
    // Self-contained: no bundler helpers or imports leaked into the inlined function.
    expect(script).not.toMatch(/\b__\w+\(|\bimport\b|\brequire\(/);
  });

  it('carries the nonce on both inline elements and refuses a non-base64 nonce', () => {
    expect(html).toContain(`<script nonce="${NONCE}">`);
    expect(html).toContain(`<style nonce="${NONCE}">`);
    expect(() => renderPage('"><script>')).toThrow();
  });

  it('holds no session data: the page is the same whatever the session', () => {
    expect(renderPage(NONCE)).toBe(html);
  });
});
