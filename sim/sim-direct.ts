/**
 * An undici dispatcher that talks to the simulator directly (no proxy) while the request URLs keep
 * their real host names: every HTTPS connection goes to the sim's HTTPS port (TLS checked against
 * the sim's CA, SNI = the real host) and every plain-HTTP one to its HTTP port. For tests, and for
 * seeding state "from an earlier session" before the proxy is watching.
 */
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { EntraSim } from './entra-sim.js';

export function createSimDirectDispatcher(sim: EntraSim): Agent {
  const https = new URL(sim.httpsUrl);
  const http = new URL(sim.httpUrl);
  const tlsConnect = buildConnector({ ca: sim.caPem });
  const plainConnect = buildConnector({});
  return new Agent({
    connect(opts, cb) {
      if (opts.protocol === 'https:') {
        tlsConnect(
          {
            ...opts,
            hostname: https.hostname,
            port: https.port,
            ...(isIP(opts.hostname) === 0 ? { servername: opts.hostname } : {}),
          },
          cb,
        );
      } else {
        plainConnect({ ...opts, hostname: http.hostname, port: http.port }, cb);
      }
    },
  });
}
