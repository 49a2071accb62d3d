/**
 * Loopback checks for the dashboard: where it may listen, and which Host headers it answers.
 * Pure functions; the server uses them at bind time and on every request (DNS-rebinding defence).
 */

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv4Loopback(s: string): boolean {
  const m = IPV4_LOOPBACK.exec(s);
  if (!m) return false;
  return m.slice(1).every((part) => Number(part) <= 255);
}

function isIpv6Loopback(s: string): boolean {
  const v = s.toLowerCase();
  return v === '::1' || v === '0:0:0:0:0:0:0:1' || v === '::ffff:127.0.0.1';
}

/** True for names and addresses that can only mean this machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n === 'localhost' || n.endsWith('.localhost')) return true;
  return isIpv4Loopback(n) || isIpv6Loopback(n);
}

/** True when `host` is a loopback address or name the dashboard may bind (never 0.0.0.0 or ::). */
export function isLoopbackBindAddress(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isLoopbackName(h);
}

/**
 * Splits a Host header value into its hostname (brackets removed for IPv6) and port.
 * Returns undefined for malformed values.
 */
export function parseHostHeader(
  value: string,
): { hostname: string; port: number | null } | undefined {
  const v = value.trim();
  if (v.length === 0 || v.length > 300) return undefined;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return undefined;
    const hostname = v.slice(1, end);
    const rest = v.slice(end + 1);
    if (rest === '') return { hostname, port: null };
    if (!/^:\d{1,5}$/.test(rest)) return undefined;
    return { hostname, port: Number(rest.slice(1)) };
  }
  const parts = v.split(':');
  if (parts.length > 2) return undefined;
  const hostname = parts[0] ?? '';
  if (!/^[A-Za-z0-9.-]+$/.test(hostname)) return undefined;
  const portText = parts[1];
  if (portText === undefined) return { hostname, port: null };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  return { hostname, port: Number(portText) };
}

/** True when a request's Host header names this machine (any port); false when missing or foreign. */
export function isLoopbackHostHeader(value: string | undefined): boolean {
  if (value === undefined) return false;
  const parsed = parseHostHeader(value);
  return parsed !== undefined && isLoopbackName(parsed.hostname);
}

/** The URL host part for an address: IPv6 literals in brackets. */
export function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}
