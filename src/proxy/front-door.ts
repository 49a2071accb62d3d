/**
 * The proxy's front door: every CONNECT, request and upgrade is admitted here before anything is
 * forwarded (the rules are in admission.ts). What is for the proxy itself, for its dashboard,
 * misdirected or looping is answered here; the rest is handed back to the adapter with the one
 * target it may go to. Nothing is ever forwarded or tunneled to ourselves (self-address.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/logger.js';
import {
  admitDirect,
  admitTunneled,
  authorityText,
  parseAuthority,
  type Admission,
  type Target,
  type Tunnel,
} from './admission.js';
import { createSelfAddresses, type SelfKind } from './self-address.js';
import { rawAnswer, refuseDashboard, sendLine, serveSelf, type SelfInfo } from './self-page.js';
import type { Route } from './upstream.js';

export interface FrontDoor {
  /** Says which port we listen on (once known) and where the dashboard is (or none). */
  listening(port: number): void;
  setDashboard(url: string | null): void;
  /** A request: inside a tunnel (what its CONNECT named) or sent straight to us (null). */
  request(tunnel: Tunnel | null, tls: boolean, req: IncomingMessage, res: ServerResponse): void;
  /** An HTTP upgrade (WebSocket), admitted like a request. */
  upgrade(
    tunnel: Tunnel | null,
    tls: boolean,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): void;
  /** A CONNECT to `authority`: `open` is called with the tunnel, or the CONNECT is answered here. */
  connect(authority: string, socket: Duplex, open: (tunnel: Tunnel) => void): void;
  /** Is host:port one of us? null (no lookup) when its port is none of ours. */
  which(t: Target): Promise<SelfKind | null> | null;
  /**
   * After routing (--map-remote): null when `route` is where `target` was anyway or cannot be us
   * (no lookup), else whether it is one of us.
   */
  loop(target: Target, route: Route): Promise<SelfKind | null> | null;
  /** Answers a request that --map-remote would send to us. */
  refuseLoop(kind: SelfKind, host: string, req: IncomingMessage, res: ServerResponse): void;
}

export function createFrontDoor(opts: {
  readonly caPem: string;
  readonly logger: Logger;
  /** Where a CONNECT's bytes would go (map-remote applies to tunnels too). */
  readonly route: (target: Target) => Route;
  /** Admitted: the library takes the request to `target` (pinned: its Host is not looked at). */
  readonly forward: (tls: boolean, req: IncomingMessage, res: ServerResponse, to: Target) => void;
  readonly relay: (
    tls: boolean,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    to: Target,
  ) => void;
}): FrontDoor {
  const { logger: log } = opts;
  const own = createSelfAddresses();
  let dashboardUrl: string | null = null;
  const info: SelfInfo = { caPem: opts.caPem, dashboardUrl: () => dashboardUrl };

  /** Is host:port one of us? Only our ports need a lookup; null when it cannot be. */
  function which(t: Target): Promise<SelfKind | null> | null {
    return own.ours(t.port) ? own.which(t.host, t.port) : null;
  }

  /** Does `target` route back to one of us (a --map-remote loop)? Only a rerouted target can. */
  function loopTo(target: Target, route: Target): Promise<SelfKind | null> | null {
    return route.host !== target.host || route.port !== target.port ? which(route) : null;
  }

  function admit(tunnel: Tunnel | null, tls: boolean, req: IncomingMessage) {
    const url = req.url ?? '/';
    return tunnel ? admitTunneled(tunnel, tls, url, req.headers.host) : admitDirect(url, which);
  }

  function answer(
    a: Exclude<Admission, { to: 'upstream' }>,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    switch (a.to) {
      case 'proxy':
        return serveSelf(req, res, info);
      case 'dashboard':
        return refuseDashboard(req, res, info);
      case 'misdirected': {
        const opened = authorityText(a.tunnel);
        log.debug({ asked: a.asked, tunnel: opened }, 'misdirected request: 421');
        const line = `this connection was opened for ${opened}, not ${a.asked}`;
        return sendLine(req, res, 421, line, { connection: 'close' });
      }
      case 'bad-request':
        return sendLine(req, res, 400, `bad request (${a.why})`, { connection: 'close' });
    }
  }

  function loopLine(what: string): string {
    log.warn({ target: what }, '--map-remote sends this host to the proxy itself');
    return `--map-remote sends ${what} to this proxy itself`;
  }

  return {
    listening: (port) => own.listen('proxy', port),
    which,
    setDashboard(url) {
      dashboardUrl = url;
      own.listen('dashboard', url ? Number(new URL(url).port) || 80 : null);
    },
    request(tunnel, tls, req, res) {
      const go = (a: Admission): void =>
        a.to === 'upstream' ? opts.forward(tls, req, res, a.target) : answer(a, req, res);
      const a = admit(tunnel, tls, req);
      if (a instanceof Promise) a.then(go, () => res.destroy());
      else go(a);
    },
    upgrade(tunnel, tls, req, socket, head) {
      const go = (a: Admission): void => {
        if (a.to === 'upstream') return opts.relay(tls, req, socket, head, a.target);
        const [status, reason] =
          a.to === 'misdirected'
            ? [421, 'Misdirected Request']
            : a.to === 'bad-request'
              ? [400, 'Bad Request']
              : [403, 'Forbidden'];
        socket.end(rawAnswer(status, reason, 'no WebSocket here'));
      };
      const a = admit(tunnel, tls, req);
      if (a instanceof Promise) a.then(go, () => socket.destroy());
      else go(a);
    },
    connect(authority, socket, open) {
      const target = parseAuthority(authority, 443);
      if (!target) return void socket.end(rawAnswer(400, 'Bad Request', 'CONNECT needs HOST:PORT'));
      const route = opts.route(target);
      const self = which(target);
      const loop = loopTo(target, route);
      if (!self && !loop) return open({ ...target, self: null });
      // Meanwhile the socket buffers what the client sends (nothing reads it yet).
      Promise.all([self, loop]).then(
        ([kind, loopKind]) => {
          if (kind === 'dashboard' || loopKind === 'dashboard')
            socket.end(
              rawAnswer(403, 'Forbidden', 'the dashboard is not served through the proxy'),
            );
          else if (loopKind)
            socket.end(rawAnswer(508, 'Loop Detected', loopLine(authorityText(target))));
          else open({ ...target, self: kind });
        },
        () => socket.destroy(),
      );
    },
    loop: loopTo,
    refuseLoop(kind, host, req, res) {
      if (kind === 'dashboard') refuseDashboard(req, res, info);
      else sendLine(req, res, 508, loopLine(host));
    },
  };
}
