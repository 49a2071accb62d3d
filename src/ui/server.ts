/**
 * The live dashboard: a loopback-only HTTP server over a LiveSession.
 *
 *   /                      the page (self-contained HTML, CSP with a per-response nonce)
 *   /api/snapshot          compact aggregates + the most recent compact records (?limit=, max 2000)
 *   /api/events            server-sent events: `record` (compact) and throttled `snapshot`
 *   /api/exchanges/:id     one full record (already redacted upstream, evidence included)
 *   /report.EXT            the report so far, as a download, one per format of REPORT_FORMATS
 *                          (src/report/formats.ts; EXT its own extension); streamed, a few at a
 *                          time: downloads.ts
 *
 * Refused before routing (guard.ts): other methods, non-loopback Host headers, foreign origins.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveSession } from '../core/live.js';
import { ToolError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { compactRecord } from './compact.js';
import { Downloads, type DownloadsOptions } from './downloads.js';
import { EventHub, type EventHubOptions } from './event-hub.js';
import { refusal, securityHeaders, send, sendText } from './guard.js';
import { isLoopbackBindAddress, urlHost } from './loopback.js';
import { REPORT_FORMAT_IDS, type ReportFormat } from '../report/formats.js';
import { renderPage, reportPath } from './page.js';

export interface DashboardOptions {
  readonly live: LiveSession;
  /** Listen address; loopback only (default 127.0.0.1). */
  readonly host?: string;
  /** Listen port; 0 (the default) picks a free one. */
  readonly port?: number;
  readonly logger: Logger;
  /** Limits of the event streams (tests). */
  readonly events?: Pick<EventHubOptions, 'maxClients' | 'maxBufferedBytes' | 'heartbeatMs'>;
  /** Limits of the report downloads (tests). */
  readonly downloads?: Pick<DownloadsOptions, 'maxActive' | 'maxQueued' | 'queueTimeoutMs'>;
}

export interface RunningDashboard {
  /** http://HOST:PORT/ */
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULT_RECENT = 500;
const MAX_RECENT = 2000;

function sendJson(res: ServerResponse, status: number, data: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(data));
}

function recentLimit(params: URLSearchParams): number {
  const raw = params.get('limit');
  if (raw === null || !/^\d{1,6}$/.test(raw)) return DEFAULT_RECENT;
  return Math.min(Number(raw), MAX_RECENT);
}

function reportFormat(path: string): ReportFormat | undefined {
  return REPORT_FORMAT_IDS.find((f) => reportPath(f) === path);
}

function exchangeId(path: string): string | undefined {
  if (!path.startsWith('/api/exchanges/')) return undefined;
  try {
    const id = decodeURIComponent(path.slice('/api/exchanges/'.length));
    return id.length > 0 && id.length <= 200 ? id : undefined;
  } catch {
    // Malformed percent-encoding: no such exchange.
    return undefined;
  }
}

export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackBindAddress(host)) {
    throw new ToolError('ERR_USAGE', `the dashboard listens on loopback only, not ${host}`);
  }
  const { live } = opts;
  const log = opts.logger.child({ component: 'dashboard' });
  const hub = new EventHub({ live, logger: log, ...opts.events });
  const downloads = new Downloads({ live, logger: log, ...opts.downloads });

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/' || path === '/index.html') {
      const nonce = randomBytes(16).toString('base64');
      send(res, 200, 'text/html; charset=utf-8', renderPage(nonce), { nonce });
      return;
    }
    if (path === '/api/snapshot') {
      const [snapshot, recent] = await Promise.all([
        live.compactSnapshot(),
        live.recent(recentLimit(url.searchParams)),
      ]);
      sendJson(res, 200, {
        snapshot,
        recent: recent.map(compactRecord),
      });
      return;
    }
    if (path === '/api/events') {
      if (req.method === 'HEAD') {
        send(res, 200, 'text/event-stream; charset=utf-8', '');
        return;
      }
      hub.attach(res);
      return;
    }
    const id = exchangeId(path);
    if (id !== undefined) {
      const record = await live.get(id);
      if (record === undefined) sendText(res, 404, 'no such exchange');
      else sendJson(res, 200, record);
      return;
    }
    const format = reportFormat(path);
    if (format !== undefined) {
      await downloads.serve(req.method, res, format);
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204, securityHeaders());
      res.end();
      return;
    }
    sendText(res, 404, 'not found');
  }

  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      sendText(res, 400, 'bad request');
      return;
    }
    const refused = refusal(req, url.pathname);
    if (refused !== undefined) {
      if (refused.status === 405) res.setHeader('allow', 'GET, HEAD');
      sendText(res, refused.status, refused.message);
      return;
    }
    route(req, res, url).catch((err: unknown) => {
      log.warn(
        { err: err instanceof Error ? err.message : String(err), path: url.pathname },
        'dashboard request failed',
      );
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new ToolError(
          'ERR_LISTEN',
          `dashboard cannot listen on ${host}:${opts.port ?? 0}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${urlHost(address.address)}:${address.port}/`;
  log.debug({ url }, 'dashboard listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        hub.close();
        downloads.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
