/**
 * Where a request that reached the proxy may go, decided before anything is forwarded:
 * - inside a CONNECT tunnel, only to the host:port the CONNECT named (the leaf was issued for
 *   it): a request naming another authority is misdirected (421), never routed by its Host;
 * - sent straight to the proxy (origin form), it is for the proxy itself: its own page;
 * - proxied in absolute form, to the URL's host:port, unless that is this proxy or its dashboard.
 * Pure, except for the "is this me" answer it is given.
 */
import type { SelfKind } from './self-address.js';

export interface Target {
  /** Lowercase, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

/** What a CONNECT opened: its target and whether that target is one of us. */
export interface Tunnel extends Target {
  readonly self: SelfKind | null;
}

export type Admission =
  | { readonly to: 'upstream'; readonly target: Target }
  | { readonly to: 'proxy' }
  | { readonly to: 'dashboard' }
  | { readonly to: 'misdirected'; readonly asked: string; readonly tunnel: Target }
  | { readonly to: 'bad-request'; readonly why: string };

/** `Host`-style authority -> target; undefined when malformed. */
export function parseAuthority(text: string, defaultPort: number): Target | undefined {
  const v = text.trim().toLowerCase();
  const m = /^(?:\[([0-9a-f:.]+)\]|([^\s:/?#@[\]]+))(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  const host = (m[1] ?? m[2] ?? '').replace(/\.$/, '');
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!host || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** The authority of an absolute-form request target (`http://h:p/x`), or undefined. */
function absoluteAuthority(url: string): { text: string; tls: boolean } | undefined {
  const m = /^(https?):\/\/([^/?#]*)/i.exec(url);
  if (!m) return undefined;
  return { text: (m[2] ?? '').replace(/^[^@]*@/, ''), tls: (m[1] ?? '').toLowerCase() === 'https' };
}

export function authorityText(t: Target): string {
  return `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/**
 * A request inside a tunnel. Its authority (the absolute-form URL's, else the Host header) must
 * name the tunnel's host and port, case-insensitively; a missing port means the scheme's default.
 */
export function admitTunneled(
  tunnel: Tunnel,
  tls: boolean,
  url: string,
  hostHeader: string | undefined,
): Admission {
  const abs = absoluteAuthority(url);
  const text = abs?.text ?? hostHeader;
  if (text === undefined) return { to: 'bad-request', why: 'no Host header' };
  const asked = parseAuthority(text, (abs?.tls ?? tls) ? 443 : 80);
  if (!asked) return { to: 'bad-request', why: 'malformed Host' };
  if (asked.host !== tunnel.host || asked.port !== tunnel.port)
    return { to: 'misdirected', asked: authorityText(asked), tunnel };
  if (tunnel.self) return { to: tunnel.self };
  return { to: 'upstream', target: { host: tunnel.host, port: tunnel.port } };
}

/**
 * A request sent straight to the proxy (no tunnel). `which` answers "is host:port one of us".
 * Returns synchronously unless a name on one of our ports must be resolved.
 */
export function admitDirect(
  url: string,
  which: (t: Target) => Promise<SelfKind | null> | null,
): Admission | Promise<Admission> {
  const abs = absoluteAuthority(url);
  // Origin form (`GET / HTTP/1.1`), `*`, or anything not a URL: addressed to the proxy itself.
  if (!abs) return { to: 'proxy' };
  const target = parseAuthority(abs.text, abs.tls ? 443 : 80);
  if (!target) return { to: 'bad-request', why: 'malformed URL' };
  const self = which(target);
  if (!self) return { to: 'upstream', target };
  return self.then((kind) => (kind ? { to: kind } : { to: 'upstream', target }));
}
