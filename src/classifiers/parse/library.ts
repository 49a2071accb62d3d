/**
 * Client library identification from x-client-SKU / x-client-Ver (headers, body or query), and
 * MSAL's CCS routing hint (X-AnchorMailbox), which marks an MSAL-family client.
 */
import type { RoutingHintKind } from '../../core/types.js';
import type { LibraryInfo, Params } from '../parsed.js';
import { findParam } from './params.js';

const MAX_FIELD = 200;

function clean(v: string | undefined): string | null {
  if (v === undefined) return null;
  const t = v.trim();
  if (t.length === 0) return null;
  return t.length > MAX_FIELD ? t.slice(0, MAX_FIELD) : t;
}

/**
 * The library as sent. Sources in order: request headers, form body, query; the version comes
 * from the same source as the SKU when it has one, else from any other source.
 */
export function detectLibrary(
  header: (name: string) => string | undefined,
  form: Params,
  query: Params,
): LibraryInfo | null {
  const skus = [
    clean(header('x-client-sku')),
    clean(findParam(form, 'x-client-sku')),
    clean(findParam(query, 'x-client-sku')),
  ];
  const vers = [
    clean(header('x-client-ver')),
    clean(findParam(form, 'x-client-ver')),
    clean(findParam(query, 'x-client-ver')),
  ];
  for (let i = 0; i < skus.length; i++) {
    const sku = skus[i];
    if (sku !== null && sku !== undefined) {
      const version = vers[i] ?? vers.find((v) => v !== null) ?? null;
      return { sku, version };
    }
  }
  return null;
}

/**
 * The kind of MSAL's CCS routing hint, when one was sent: `X-AnchorMailbox: Oid:<oid>@<tid>` or
 * `UPN:<upn>` (case and a space after the colon vary by library), as a request header (msal-node,
 * MSAL.NET, MSAL Python, msal4j) or as a body/query parameter (msal-browser, whose
 * `preventCorsPreflight` moves it out of the headers). Sources: msal-common `Token.ts`
 * `createTokenRequestHeaders` and `RequestParameterBuilder.addCcsOid/addCcsUpn`; MSAL.NET docs
 * "backup authentication system" (the hint lets the backup system find the cached session).
 * Only the kind is returned: the value is personal data and never leaves this function.
 */
export function detectRoutingHint(
  header: (name: string) => string | undefined,
  form: Params,
  query: Params,
): RoutingHintKind | null {
  const v =
    header('x-anchormailbox') ??
    findParam(form, 'x-anchormailbox') ??
    findParam(query, 'x-anchormailbox');
  return v === undefined || v.trimStart() === '' ? null : routingHintKind(v);
}

/** The kind of an X-AnchorMailbox value, by its `Oid:` / `UPN:` prefix (any case). */
export function routingHintKind(v: string): RoutingHintKind {
  const t = v.trimStart().slice(0, 4).toLowerCase();
  return t === 'oid:' ? 'oid' : t === 'upn:' ? 'upn' : 'other';
}

/** Library families whose telemetry api ids are known (entra-wire.md §5.3). */
export type LibraryFamily = 'net' | 'python' | 'java' | 'node' | 'browser' | 'android' | 'ios';

/** The family of an x-client-SKU value, or null when unknown. */
export function libraryFamily(sku: string): LibraryFamily | null {
  const s = sku.toLowerCase();
  if (s === 'msal.js.browser') return 'browser';
  if (s === 'msal.js.node') return 'node';
  if (s === 'msal.python') return 'python';
  if (s === 'msal.java') return 'java';
  if (s === 'msal.android' || s === 'msal.xplat.android') return 'android';
  if (s === 'msal.ios' || s === 'msal.osx' || s === 'msal.xplat.ios' || s === 'msal.xplat.macos') {
    return 'ios';
  }
  if (
    s === 'msal.desktop' ||
    s === 'msal.netcore' ||
    s === 'msal.coreclr' ||
    s.startsWith('msal.xamarin.')
  ) {
    return 'net';
  }
  return null;
}
