/**
 * The environment a child process needs to send its traffic through the proxy and trust its CA,
 * for every common stack (Node, Python requests/httpx, curl/OpenSSL, Go, .NET on Linux, Java via
 * JAVA_TOOL_OPTIONS is not settable without a keystore, so it is documented instead).
 */
import { writeFileSync, chmodSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';

/** Hosts that must not stay in NO_PROXY, or the child would bypass the proxy for them. */
const ALWAYS_PROXIED = ['169.254.169.254', 'login.microsoftonline.com', 'login.microsoftonline.us'];

/** Writes `ca-bundle.pem` (the system roots plus the proxy CA) beside the CA and returns its path. */
export function writeCaBundle(certsDir: string, caPem: string): string {
  const path = join(certsDir, 'ca-bundle.pem');
  writeFileSync(path, [...rootCertificates, caPem.trim()].join('\n') + '\n');
  chmodSync(path, 0o644);
  return path;
}

export function childEnv(opts: {
  proxyUrl: string;
  caPath: string;
  bundlePath: string;
  interceptHosts: readonly string[];
  base: NodeJS.ProcessEnv;
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.base)) if (v !== undefined) env[k] = v;
  for (const k of [
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'https_proxy',
    'http_proxy',
    'ALL_PROXY',
    'all_proxy',
  ]) {
    env[k] = opts.proxyUrl;
  }
  const noProxy = cleanNoProxy(env.NO_PROXY ?? env.no_proxy ?? '', [
    ...ALWAYS_PROXIED,
    ...managedIdentityHosts(env),
    ...opts.interceptHosts,
  ]);
  env.NO_PROXY = noProxy;
  env.no_proxy = noProxy;
  env.NODE_EXTRA_CA_CERTS = opts.caPath;
  // Node 24+ and recent undici honour the *_PROXY variables for fetch when asked to.
  env.NODE_USE_ENV_PROXY = '1';
  // These replace the trust store, so they get the bundle (system roots + proxy CA), never the CA alone.
  for (const k of [
    'REQUESTS_CA_BUNDLE',
    'SSL_CERT_FILE',
    'CURL_CA_BUNDLE',
    'AWS_CA_BUNDLE',
    'GIT_SSL_CAINFO',
  ]) {
    env[k] = opts.bundlePath;
  }
  env.ENTRA_BAS_PROXY_URL = opts.proxyUrl;
  env.ENTRA_BAS_PROXY_CA = opts.caPath;
  return env;
}

/** Hosts of local managed-identity endpoints named by the environment (App Service, Arc, ML). */
export function managedIdentityHosts(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const k of ['IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'IMDS_ENDPOINT']) {
    const v = env[k];
    if (!v) continue;
    try {
      out.push(new URL(v).hostname.toLowerCase());
    } catch {
      // Not a URL: nothing to keep out of NO_PROXY for it.
    }
  }
  return out;
}

/** NO_PROXY without the entries that would let intercepted traffic bypass the proxy. */
export function cleanNoProxy(noProxy: string, intercepted: readonly string[]): string {
  const hosts = intercepted.map((h) => h.toLowerCase());
  return noProxy
    .split(',')
    .map((s) => s.trim())
    .filter((entry) => {
      if (!entry) return false;
      if (entry === '*') return false;
      const e = entry.toLowerCase().replace(/:\d+$/, '');
      const bare = e.replace(/^\*?\./, '');
      return !hosts.some((h) => h === e || h === bare || h.endsWith('.' + bare));
    })
    .join(',');
}
