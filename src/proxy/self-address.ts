/**
 * "Is this me?": whether a host and port name this proxy (or its dashboard), so that nothing is
 * ever forwarded to ourselves. Decided on addresses, not spellings: the port must be one we
 * listen on, and the host must resolve to an address of this machine (any loopback address, the
 * unspecified 0.0.0.0 / ::, or an address of a local interface). `localhost`, `127.1`, `[::1]`,
 * `0.0.0.0`, `2130706433` and the machine's own names all end up here.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export type SelfKind = 'proxy' | 'dashboard';

export interface SelfAddresses {
  /** Says that `kind` listens on `port` (null: it no longer does). */
  listen(kind: SelfKind, port: number | null): void;
  /** True when `port` is one we listen on: only then can host:port be us (no lookup needed). */
  ours(port: number): boolean;
  /** Which of us host:port reaches, or null. Resolves names (only for our ports). */
  which(host: string, port: number): Promise<SelfKind | null>;
}

export interface SelfAddressOptions {
  /** Every address `host` resolves to (default: dns.lookup, all families). */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  /** This machine's interface addresses (default: os.networkInterfaces()). */
  readonly interfaces?: () => readonly string[];
}

async function resolveAll(host: string): Promise<readonly string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

function interfaceAddresses(): readonly string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i ? [i.address] : []));
}

/** `[::1]` -> `::1`, `Example.COM.` -> `example.com`, zone ids dropped. */
function bareHost(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h.toLowerCase().replace(/\.$/, '').replace(/%.*$/, '');
}

/** Canonical text of an IP address (IPv6 compressed, IPv4-mapped IPv6 as IPv4). */
function canonicalIp(ip: string): string {
  const a = bareHost(ip);
  if (isIP(a) !== 6) return a;
  let v6: string;
  try {
    v6 = new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    // Not an address a URL accepts: compare it as it is.
    return a;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!mapped) return v6;
  const hi = parseInt(mapped[1] ?? '0', 16);
  const lo = parseInt(mapped[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Loopback, unspecified (connecting to it reaches this machine) or a local interface address. */
export function isLocalAddress(ip: string, interfaces: readonly string[]): boolean {
  const a = canonicalIp(ip);
  if (isIP(a) === 4 && (a.startsWith('127.') || a === '0.0.0.0')) return true;
  if (a === '::1' || a === '::') return true;
  return interfaces.some((i) => canonicalIp(i) === a);
}

/** Names that can only mean this machine (RFC 6761), whatever the resolver says. */
function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

export function createSelfAddresses(opts: SelfAddressOptions = {}): SelfAddresses {
  const ports = new Map<number, SelfKind>();
  const resolve = opts.resolve ?? resolveAll;
  const interfaces = opts.interfaces ?? interfaceAddresses;
  return {
    listen(kind, port) {
      for (const [p, k] of ports) if (k === kind) ports.delete(p);
      if (port !== null) ports.set(port, kind);
    },
    ours: (port) => ports.has(port),
    async which(host, port) {
      const kind = ports.get(port);
      if (kind === undefined) return null;
      const h = bareHost(host);
      if (isLoopbackName(h)) return kind;
      let addresses: readonly string[];
      if (isIP(h)) addresses = [h];
      else {
        try {
          addresses = await resolve(h);
        } catch {
          // A name that does not resolve cannot be reached, so it is not us either.
          return null;
        }
      }
      const local = interfaces();
      return addresses.some((a) => isLocalAddress(a, local)) ? kind : null;
    },
  };
}
