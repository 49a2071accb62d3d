/**
 * The interception policy, as data plus two small decisions:
 * - `connect(host, port)`: decrypt this CONNECT tunnel, or pass its bytes through untouched;
 * - `record(host, port, path)`: turn this decrypted (or plain-HTTP) request into an exchange, or
 *   just forward it (Graph API calls that are not UserInfo, the My Apps portal's static files...).
 * Host facts come from src/core/hosts.ts; `--intercept HOST` adds hosts (exact, or `*.suffix`).
 */
import { hostFacts, isInterceptedByDefault } from '../core/hosts.js';

/** mtlsauth.microsoft.com, {region}.mtlsauth.microsoft.com, mtlsauth.microsoftonline.us, ... */
const MTLS_HOST = /(?:^|\.)mtlsauth\./;

/**
 * intercept: decrypt (or read plain HTTP); tunnel: raw bytes; peek: look at the first bytes — plain
 * HTTP inside the tunnel is read like any proxied request (nothing to decrypt, nothing to break),
 * TLS is tunneled untouched (local HTTPS endpoints, e.g. Service Fabric's, pin their certificate).
 */
export type ConnectDecision = 'intercept' | 'tunnel' | 'peek';

/** Paths worth recording on hosts that also serve other traffic. */
const RECORDED_PATHS: Readonly<Record<'userinfo' | 'launcher', RegExp>> = {
  userinfo: /^\/oidc\/userinfo\b/i,
  launcher: /^\/(?:api\/signin\/|signin\/|applications\/redirecttofederatedapplication)/i,
};

/** Local managed-identity token paths (App Service/Functions IDENTITY_ENDPOINT, IMDS, Arc, Cloud Shell). */
const LOCAL_MI_PATH = /^\/(?:msi\/token|metadata\/identity\/|oauth2\/token)/i;

export interface InterceptionPolicy {
  connect(host: string, port: number): ConnectDecision;
  record(host: string, port: number, path: string): boolean;
  /** The extra hosts given with --intercept (for NO_PROXY cleaning and the help text). */
  readonly extraHosts: readonly string[];
}

function matcher(patterns: readonly string[]): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const p of patterns) {
    const h = p.trim().toLowerCase();
    if (!h) continue;
    if (h.startsWith('*.')) suffixes.push(h.slice(1));
    else exact.add(h);
  }
  return (host) => exact.has(host) || suffixes.some((s) => host.endsWith(s));
}

function isLocal(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function createPolicy(opts: {
  intercept?: readonly string[];
  /** Hosts of local managed-identity endpoints (from IDENTITY_ENDPOINT / MSI_ENDPOINT). */
  managedIdentityHosts?: readonly string[];
}): InterceptionPolicy {
  const extraHosts = [...(opts.intercept ?? [])];
  const isExtra = matcher(extraHosts);
  const isMiHost = matcher(opts.managedIdentityHosts ?? []);
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
      if (isLocal(h) || isMiHost(h)) return 'peek';
      return isInterceptedByDefault(h, port) ? 'intercept' : 'tunnel';
    },
    record(host, port, path) {
      const h = host.toLowerCase();
      if (isExtra(h)) return true;
      const role = hostFacts(h, port).role;
      switch (role) {
        case 'sts':
        case 'managed-identity':
          return true;
        case 'userinfo':
        case 'launcher':
          return RECORDED_PATHS[role].test(path);
        case 'client-cert':
          return false;
        case 'other':
          return (isMiHost(h) || isLocal(h)) && LOCAL_MI_PATH.test(path);
      }
    },
  };
}
