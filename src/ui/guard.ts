/**
 * What every dashboard response carries, and which requests are refused before routing:
 * only GET/HEAD, only a loopback Host header (DNS-rebinding defence), no cross-site fetches of
 * data (a page on another origin may not read or trigger downloads), no CORS headers ever.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isLoopbackHostHeader, isLoopbackName } from './loopback.js';

/** Security headers for every response; `nonce` only for the page. */
export function securityHeaders(nonce?: string): OutgoingHttpHeaders {
  const scripts = nonce === undefined ? "'none'" : `'nonce-${nonce}'`;
  return {
    'content-security-policy': [
      "default-src 'none'",
      `script-src ${scripts}`,
      `style-src ${scripts}`,
      "connect-src 'self'",
      "img-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** A whole response with the security headers (`nonce`: the page's), then `headers`. */
export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  o: { readonly nonce?: string; readonly headers?: OutgoingHttpHeaders } = {},
): void {
  res.writeHead(status, {
    ...securityHeaders(o.nonce),
    'content-type': type,
    'content-length': Buffer.byteLength(body, 'utf8'),
    ...o.headers,
  });
  res.end(body);
}

/** A one-line plain-text answer. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: OutgoingHttpHeaders = {},
): void {
  send(res, status, 'text/plain; charset=utf-8', `${text}\n`, { headers });
}

export interface Refusal {
  readonly status: 403 | 405;
  readonly message: string;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    return (u.protocol === 'http:' || u.protocol === 'https:') && isLoopbackName(host);
  } catch {
    // Not a parseable origin ("null" from sandboxed frames and file: pages): not ours.
    return false;
  }
}

/** Why a request is refused, or undefined when it may be routed. */
export function refusal(req: IncomingMessage, path: string): Refusal | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return { status: 405, message: 'only GET and HEAD' };
  }
  if (!isLoopbackHostHeader(req.headers.host)) {
    return { status: 403, message: 'the dashboard answers only to a loopback Host' };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return { status: 403, message: 'cross-origin requests are refused' };
  }
  // Browsers say where a request comes from; data and reports are for our own page only. The page
  // itself may be opened from anywhere (a link in a terminal, a bookmark).
  const site = req.headers['sec-fetch-site'];
  if (path !== '/' && site === 'cross-site') {
    return { status: 403, message: 'cross-site requests are refused' };
  }
  return undefined;
}
