import { describe, expect, it } from 'vitest';
import { parseTelemetry, telemetryKind } from '../../../../src/classifiers/parse/telemetry.js';
import { libraryFamily } from '../../../../src/classifiers/parse/library.js';

const lib = (sku: string) => ({ sku, version: null });

describe('telemetryKind', () => {
  it.each([
    // MSAL.NET
    ['MSAL.NetCore', 1007, 'silent'],
    ['MSAL.Desktop', 1001, 'by-refresh-token'],
    ['MSAL.CoreCLR', 1005, 'interactive'],
    ['MSAL.Xamarin.iOS', 1008, 'device-code'],
    ['MSAL.NetCore', 1000, 'auth-code'],
    ['MSAL.NetCore', 1002, 'iwa'],
    ['MSAL.NetCore', 1003, 'ropc'],
    ['MSAL.NetCore', 1004, 'client-credentials'],
    ['MSAL.NetCore', 1006, 'obo'],
    ['MSAL.NetCore', 1017, 'obo'],
    ['MSAL.NetCore', 1016, 'managed-identity'],
    ['MSAL.NetCore', 1019, null],
    ['MSAL.NetCore', 84, null],
    // MSAL Python
    ['MSAL.Python', 84, 'silent'],
    ['MSAL.Python', 85, 'by-refresh-token'],
    ['MSAL.Python', 169, 'interactive'],
    ['MSAL.Python', 622, 'device-code'],
    ['MSAL.Python', 730, 'client-credentials'],
    ['MSAL.Python', 1007, null],
    // msal4j
    ['MSAL.Java', 800, 'silent'],
    ['MSAL.Java', 82, 'by-refresh-token'],
    ['MSAL.Java', 168, 'interactive'],
    ['MSAL.Java', 400, 'iwa'],
    ['MSAL.Java', 805, 'managed-identity'],
    // msal-node / msal-browser
    ['msal.js.node', 62, 'silent'],
    ['msal.js.node', 872, 'by-refresh-token'],
    ['msal.js.node', 871, 'auth-code'],
    ['msal.js.node', 371, 'ropc'],
    ['msal.js.node', 671, 'device-code'],
    ['msal.js.node', 771, 'client-credentials'],
    ['msal.js.node', 61, null],
    ['msal.js.browser', 61, 'silent'],
    ['msal.js.browser', 861, 'interactive'],
    ['msal.js.browser', 866, 'interactive'],
    ['msal.js.browser', 62, null],
    // mobile
    ['MSAL.Android', 21, 'silent'],
    ['MSAL.xplat.Android', 130, 'interactive'],
    ['MSAL.Android', 651, 'device-code'],
    ['MSAL.iOS', 30, 'silent'],
    ['MSAL.OSX', 165, 'interactive'],
    ['MSAL.iOS', 130, null],
  ] as const)('%s api %d -> %s', (sku, apiId, kind) => {
    expect(telemetryKind(apiId, lib(sku))).toBe(kind);
  });

  it.each([
    [1007, 'silent'],
    [62, 'silent'],
    [61, 'silent'],
    [84, 'silent'],
    [800, 'silent'],
    [32, 'silent'],
    [863, 'interactive'],
    [9999, null],
  ] as const)('unknown library: merged table, api %d -> %s', (apiId, kind) => {
    expect(telemetryKind(apiId, null)).toBe(kind);
    expect(telemetryKind(apiId, lib('ID_NET472'))).toBe(kind);
  });
});

describe('parseTelemetry', () => {
  it.each([
    [
      '5|1007,2,,,|0,1,1,,,0',
      'MSAL.NetCore',
      { schema: '5', apiId: 1007, cacheInfo: 2, kind: 'silent' },
    ],
    ['5|61,0,,,|,', 'msal.js.browser', { schema: '5', apiId: 61, cacheInfo: 0, kind: 'silent' }],
    ['4|84,3|', 'MSAL.Python', { schema: '4', apiId: 84, cacheInfo: 3, kind: 'silent' }],
    [
      '2|130,0|android,13',
      'MSAL.Android',
      { schema: '2', apiId: 130, cacheInfo: 0, kind: 'interactive' },
    ],
    ['5|800|', null, { schema: '5', apiId: 800, cacheInfo: null, kind: 'silent' }],
    ['5||', null, { schema: '5', apiId: null, cacheInfo: null, kind: null }],
    ['5|abc,x|', null, { schema: '5', apiId: null, cacheInfo: null, kind: null }],
    [
      ' 5 | 1005 , 0 |',
      'MSAL.Desktop',
      { schema: '5', apiId: 1005, cacheInfo: 0, kind: 'interactive' },
    ],
  ])('%j (%s)', (value, sku, expected) => {
    expect(parseTelemetry(value, sku === null ? null : lib(sku))).toEqual(expected);
  });

  it.each(['', 'garbage', '|1007,0|', 'v5|1007|', '5'.repeat(5000) + '|1|'])(
    '%j -> null',
    (value) => {
      expect(parseTelemetry(value, null)).toBeNull();
    },
  );
});

describe('libraryFamily', () => {
  it.each([
    ['MSAL.Desktop', 'net'],
    ['msal.netcore', 'net'],
    ['MSAL.Xamarin.Android', 'net'],
    ['MSAL.JS', null],
    ['msal.js.common', null],
    ['MSAL.xplat.macOS', 'ios'],
    ['PCL.Desktop', null],
  ] as const)('%s -> %s', (sku, family) => {
    expect(libraryFamily(sku)).toBe(family);
  });
});
