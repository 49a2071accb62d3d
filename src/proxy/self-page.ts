/**
 * What the proxy answers itself instead of forwarding: its own page for a request naming the
 * proxy (as mitmproxy's mitm.it: what this is, the CA's public certificate to download, the
 * dashboard link), a 403 for the dashboard asked for through the proxy, and one-line refusals
 * (421 misdirected, 508 loop, 400 bad request). No scripts, nothing from elsewhere.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { esc } from '../report/html-escape.js';

export interface SelfInfo {
  /** The CA's public certificate (PEM). Never the key. */
  readonly caPem: string;
  /** The dashboard's URL, when there is one. */
  readonly dashboardUrl: () => string | null;
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em;color:#222}' +
  'code{background:#f3f3f3;padding:0 .2em}h1{font-size:1.5em}';
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function html(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`
  );
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: OutgoingHttpHeaders = {},
): void {
  // The request body (if any) is not wanted: read it away so the connection stays usable.
  req.resume();
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': CSP,
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A one-line plain-text answer from the proxy itself. */
export function sendLine(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  line: string,
  extra: OutgoingHttpHeaders = {},
): void {
  send(req, res, status, 'text/plain; charset=utf-8', `entra-bas-proxy: ${line}\n`, extra);
}

function fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    // Not our business to fail here: the page just says less.
    return 'unavailable';
  }
}

/** The proxy's own page (`/`), its CA certificate (`/ca.pem`); 404 for anything else. */
export function serveSelf(req: IncomingMessage, res: ServerResponse, info: SelfInfo): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendLine(req, res, 405, 'this is the proxy itself: only GET and HEAD', { allow: 'GET, HEAD' });
    return;
  }
  let path = '/';
  try {
    path = new URL(req.url ?? '/', 'http://self.invalid').pathname;
  } catch {
    // An unparseable target: treated as the page.
  }
  if (path === '/ca.pem') {
    send(req, res, 200, 'application/x-pem-file', info.caPem, {
      'content-disposition': 'attachment; filename="entra-bas-proxy-ca.pem"',
    });
    return;
  }
  if (path === '/favicon.ico') {
    req.resume();
    res.writeHead(204, { 'cache-control': 'no-store' }).end();
    return;
  }
  const dashboard = info.dashboardUrl();
  const page = html(
    'entra-bas-proxy',
    `<h1>entra-bas-proxy</h1>` +
      `<p>You reached the proxy itself, not a website through it. entra-bas-proxy records ` +
      `Microsoft Entra sign-in traffic that passes through it and reports which flows the ` +
      `backup authentication system (BAS) would keep serving during an outage.</p>` +
      `<h2>Trust its certificate authority</h2>` +
      `<p><a href="/ca.pem" download="entra-bas-proxy-ca.pem">Download the CA certificate ` +
      `(ca.pem)</a>: the public certificate only. Trust it on test machines only.<br>` +
      `SHA-256 fingerprint: <code>${esc(fingerprint(info.caPem))}</code></p>` +
      (dashboard
        ? `<h2>Live dashboard</h2><p><a href="${esc(dashboard)}">${esc(dashboard)}` +
          `</a> (on the machine running the proxy; it is not served through the proxy)</p>`
        : '') +
      `<h2>Use the proxy</h2><p>Set <code>HTTPS_PROXY</code> and <code>HTTP_PROXY</code> to ` +
      `this address, or run your program with <code>entra-bas-proxy run -- CMD</code>.</p>`,
  );
  send(
    req,
    res,
    path === '/' || path === '/index.html' ? 200 : 404,
    'text/html; charset=utf-8',
    page,
  );
}

/** The dashboard asked for through the proxy: refused, so it stays on the proxy's machine. */
export function refuseDashboard(req: IncomingMessage, res: ServerResponse, info: SelfInfo): void {
  const dashboard = info.dashboardUrl() ?? 'the dashboard';
  const page = html(
    'Forbidden: entra-bas-proxy dashboard',
    `<h1>403 Forbidden</h1><p>The entra-bas-proxy dashboard is not served through the proxy. ` +
      `Open <code>${esc(dashboard)}</code> in a browser on the machine running the ` +
      `proxy, without the proxy.</p>`,
  );
  send(req, res, 403, 'text/html; charset=utf-8', page);
}

/** A raw HTTP/1.1 answer on a socket with no HTTP server behind it (CONNECT, upgrades). */
export function rawAnswer(status: number, reason: string, line: string): string {
  const body = `entra-bas-proxy: ${line}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
