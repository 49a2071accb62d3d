/**
 * The environment a child process needs to send its traffic through the proxy and trust its CA,
 * for every common stack: Node (NODE_EXTRA_CA_CERTS, and fetch through a NODE_OPTIONS preload),
 * Python requests/httpx, curl, wget (WGETRC), Go, .NET on Linux, Ruby, git, and Java
 * (JAVA_TOOL_OPTIONS with a truststore of the JDK's roots plus our CA). Pure: the files it names
 * are made by src/child/prepare.ts.
 */

/** Hosts that must not stay in NO_PROXY, or the child would bypass the proxy for them. */
const ALWAYS_PROXIED = ['169.254.169.254', 'login.microsoftonline.com', 'login.microsoftonline.us'];

/** The password of every JDK's cacerts, kept for our copy of it (it holds public certificates only). */
export const JAVA_TRUSTSTORE_PASSWORD = 'changeit';

export interface ChildEnvOptions {
  proxyUrl: string;
  caPath: string;
  /** System roots plus the proxy CA (src/child/ca-bundle.ts). */
  bundlePath: string;
  interceptHosts: readonly string[];
  base: NodeJS.ProcessEnv;
  /** file: URL of the Node preload that routes fetch (dist/src/child/node-preload.js), if built. */
  nodePreloadUrl?: string | null;
  /** The generated wgetrc (src/child/wgetrc.ts). */
  wgetrcPath?: string | null;
  /** The Java truststore: the JDK's cacerts plus our CA (src/child/java-truststore.ts). */
  javaTrustStore?: string | null;
}

export function childEnv(opts: ChildEnvOptions): Record<string, string> {
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
  const intercepted = [...ALWAYS_PROXIED, ...managedIdentityHosts(env), ...opts.interceptHosts];
  const noProxy = cleanNoProxy(env.NO_PROXY ?? env.no_proxy ?? '', intercepted);
  env.NO_PROXY = noProxy;
  env.no_proxy = noProxy;
  env.NODE_EXTRA_CA_CERTS = opts.caPath;
  // Node 24+ honours the *_PROXY variables for fetch when asked to; older Node gets the preload.
  env.NODE_USE_ENV_PROXY = '1';
  if (opts.nodePreloadUrl) env.NODE_OPTIONS = withPreload(env.NODE_OPTIONS, opts.nodePreloadUrl);
  // These replace the trust store, so they get the bundle (system roots + proxy CA), never the CA alone.
  for (const k of [
    'REQUESTS_CA_BUNDLE', // Python requests
    'SSL_CERT_FILE', // OpenSSL: Python httpx and ssl, Go, Ruby, .NET on Linux
    'CURL_CA_BUNDLE', // curl
    'AWS_CA_BUNDLE',
    'GIT_SSL_CAINFO', // git
  ]) {
    env[k] = opts.bundlePath;
  }
  if (opts.wgetrcPath) env.WGETRC = opts.wgetrcPath;
  if (opts.javaTrustStore) {
    const extra = javaToolOptions(opts.proxyUrl, opts.javaTrustStore, noProxy, intercepted);
    env.JAVA_TOOL_OPTIONS = env.JAVA_TOOL_OPTIONS ? `${env.JAVA_TOOL_OPTIONS} ${extra}` : extra;
  }
  env.ENTRA_BAS_PROXY_URL = opts.proxyUrl;
  env.ENTRA_BAS_PROXY_CA = opts.caPath;
  return env;
}

/** NODE_OPTIONS with `--import URL` added once (a nested `run` does not stack it). */
export function withPreload(existing: string | undefined, url: string): string {
  const ours = `--import ${url}`;
  if (!existing?.trim()) return ours;
  return existing.includes(url) ? existing : `${existing} ${ours}`;
}

/** A JVM option, quoted when the value has white space (JAVA_TOOL_OPTIONS splits on it). */
function jvmProp(name: string, value: string): string {
  return /\s/.test(value) ? `"-D${name}=${value}"` : `-D${name}=${value}`;
}

/**
 * JAVA_TOOL_OPTIONS for the proxy: http(s).proxyHost/Port, http.nonProxyHosts from NO_PROXY, and
 * the truststore. Setting http.nonProxyHosts replaces the JDK's default (localhost|127.*|[::1]...),
 * so those are kept unless an intercepted host (a local managed-identity endpoint) is among them.
 */
export function javaToolOptions(
  proxyUrl: string,
  trustStore: string,
  noProxy: string,
  intercepted: readonly string[],
): string {
  const u = new URL(proxyUrl);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port || '80';
  return [
    jvmProp('https.proxyHost', host),
    jvmProp('https.proxyPort', port),
    jvmProp('http.proxyHost', host),
    jvmProp('http.proxyPort', port),
    jvmProp('http.nonProxyHosts', javaNonProxyHosts(noProxy, intercepted)),
    jvmProp('javax.net.ssl.trustStore', trustStore),
    jvmProp('javax.net.ssl.trustStorePassword', JAVA_TRUSTSTORE_PASSWORD),
  ].join(' ');
}

const JAVA_DEFAULT_NON_PROXY = ['localhost', '127.*', '[::1]', '0.0.0.0', '[::0]'];

/** NO_PROXY (comma list, suffix semantics) as Java's http.nonProxyHosts (`|` list, `*` wildcards). */
export function javaNonProxyHosts(noProxy: string, intercepted: readonly string[]): string {
  const hosts = intercepted.map((h) => h.toLowerCase());
  const out: string[] = JAVA_DEFAULT_NON_PROXY.filter((pattern) => {
    const re = new RegExp(
      `^${pattern.replace(/[[\]]/g, '').replace(/\./g, '\\.').replace(/\*/g, '.*')}$`,
    );
    return !hosts.some((h) => re.test(h));
  });
  for (const raw of noProxy.split(',')) {
    const e = raw.trim().toLowerCase();
    if (!e || e.includes('/') || e.includes('|')) continue; // CIDR ranges: Java has no such form
    const host = e.startsWith('[') ? e.replace(/\]:\d+$/, ']') : e.replace(/:\d+$/, '');
    const bare = host.replace(/^\*?\./, '');
    if (host.startsWith('*') || host.startsWith('.')) out.push(`*.${bare}`);
    else if (/^[\d.]+$/.test(host) || host.startsWith('[')) out.push(host);
    else out.push(host, `*.${host}`);
  }
  return [...new Set(out)].join('|');
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
