import { describe, expect, it } from 'vitest';
import { detectLibrary } from '../../../../src/classifiers/parse/library.js';

const headers = (h: Record<string, string>) => (name: string) => h[name.toLowerCase()];

describe('detectLibrary', () => {
  it.each([
    [
      'header (MSAL.NET)',
      { 'x-client-sku': 'MSAL.NetCore', 'x-client-ver': '4.61.3.0' },
      {},
      {},
      { sku: 'MSAL.NetCore', version: '4.61.3.0' },
    ],
    [
      'body (msal-browser, x-client-VER)',
      {},
      { 'x-client-SKU': 'msal.js.browser', 'x-client-VER': '3.10.0' },
      {},
      { sku: 'msal.js.browser', version: '3.10.0' },
    ],
    [
      'query (MSAL.NET /authorize, x-client-Ver)',
      {},
      {},
      { 'x-client-SKU': 'MSAL.Desktop', 'x-client-Ver': '4.0.0.0' },
      { sku: 'MSAL.Desktop', version: '4.0.0.0' },
    ],
    [
      'odd casing in query',
      {},
      {},
      { 'X-CLIENT-SKU': 'MSAL.JS', 'X-Client-Ver': '1.4.18' },
      { sku: 'MSAL.JS', version: '1.4.18' },
    ],
    [
      'header wins over query, version from the same source',
      { 'x-client-sku': 'MSAL.Python', 'x-client-ver': '1.28.0' },
      {},
      { 'x-client-SKU': 'other', 'x-client-Ver': '9' },
      { sku: 'MSAL.Python', version: '1.28.0' },
    ],
    [
      'version from another source when the SKU source has none',
      { 'x-client-sku': 'MSAL.Go' },
      {},
      { 'x-client-ver': '1.2.0' },
      { sku: 'MSAL.Go', version: '1.2.0' },
    ],
    ['no version', {}, { 'x-client-SKU': 'ID_NET472' }, {}, { sku: 'ID_NET472', version: null }],
    ['blank SKU is no SKU', { 'x-client-sku': '  ' }, {}, {}, null],
    ['nothing', {}, {}, {}, null],
  ])('%s', (_name, h, form, query, expected) => {
    expect(detectLibrary(headers(h), form, query)).toEqual(expected);
  });

  it('caps absurd values', () => {
    const r = detectLibrary(headers({ 'x-client-sku': 'x'.repeat(10_000) }), {}, {});
    expect(r?.sku.length).toBe(200);
  });
});
