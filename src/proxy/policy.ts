/**
 * The interception policy, as data plus two small decisions:
 * - `connect(host, port)`: decrypt this CONNECT tunnel, or pass its bytes through untouched;
 * - `record(host, port, path)`: turn this decrypted (or plain-HTTP) request into an exchange, or
 *   just forward it (Graph API calls that are not UserInfo, the My Apps portal's static files...):
 *   src/core/recorded.ts, the decision the HAR reader shares, plus the hosts given here.
 * Host facts come from src/core/hosts.ts; `--intercept HOST` adds hosts (exact, or `*.suffix`).
 */
import { hostFacts, isInterceptedByDefault } from '../core/hosts.js';
import { hostMatcher, isLocalHost, isRecorded } from '../core/recorded.js';

/** mtlsauth.microsoft.com, {region}.mtlsauth.microsoft.com, mtlsauth.microsoftonline.us, ... */
const MTLS_HOST = /(?:^|\.)mtlsauth\./;

/**
 * intercept: decrypt (or read plain HTTP); tunnel: raw bytes; peek: look at the first bytes — plain
 * HTTP inside the tunnel is read like any proxied request (nothing to decrypt, nothing to break),
 * TLS is tunneled untouched (local HTTPS endpoints, e.g. Service Fabric's, pin their certificate).
 */
export type ConnectDecision = 'intercept' | 'tunnel' | 'peek';

export interface InterceptionPolicy {
  connect(host: string, port: number): ConnectDecision;
  record(host: string, port: number, path: string): boolean;
  /** The extra hosts given with --intercept (for NO_PROXY cleaning and the help text). */
  readonly extraHosts: readonly string[];
}

export function createPolicy(opts: {
  intercept?: readonly string[];
  /** Hosts of local managed-identity endpoints (from IDENTITY_ENDPOINT / MSI_ENDPOINT). */
  managedIdentityHosts?: readonly string[];
}): InterceptionPolicy {
  const extraHosts = [...(opts.intercept ?? [])];
  const isExtra = hostMatcher(extraHosts);
  const isMiHost = hostMatcher(opts.managedIdentityHosts ?? []);
  const scope = { isExtra, isManagedIdentityHost: isMiHost };
  return {
    extraHosts,
    connect(host, port) {
      const h = host.toLowerCase();
      if (hostFacts(h, port).role === 'client-cert') return 'tunnel';
      // mTLS PoP endpoints authenticate the client by its certificate: decrypting would break them.
      if (MTLS_HOST.test(h)) return 'tunnel';
      if (isExtra(h)) return 'intercept';
      // Local managed-identity endpoints (App Service, Arc, Service Fabric) and other loopback
      // services: only their plain-HTTP requests are read.
      if (isLocalHost(h) || isMiHost(h)) return 'peek';
      return isInterceptedByDefault(h, port) ? 'intercept' : 'tunnel';
    },
    record: (host, port, path) => isRecorded(host, port, path, scope),
  };
}
