/**
 * How a client that refused the proxy's certificate is made to trust it: the setting its
 * ecosystem reads, told from the client's label (a CONNECT User-Agent such as `curl/8.5.0`, or the
 * command `run` ran). Pure data and one lookup.
 */

interface Hint {
  /** Matched against the lowercased client label. */
  readonly match: RegExp;
  readonly fix: (p: TrustPaths) => string;
}

/** Where the proxy's CA lives, when known (the warning names the files; reports do not). */
export interface TrustPaths {
  /** The CA's public certificate (ca.pem). */
  readonly ca: string;
  /** System roots plus the CA (for tools that replace their trust store). */
  readonly bundle: string;
}

/** In reports (read elsewhere): the files as `ca` names them, in the CA folder (`--certs`). */
const GENERIC_PATHS: TrustPaths = { ca: '<certs>/ca.pem', bundle: '<certs>/ca-bundle.pem' };

const HINTS: readonly Hint[] = [
  { match: /\bcurl\b/, fix: (p) => `curl: CURL_CA_BUNDLE=${p.bundle} (or --cacert ${p.ca})` },
  {
    match: /\bwget\b/,
    fix: (p) => `wget: --ca-certificate=${p.ca} (or ca_certificate = ${p.ca} in a WGETRC file)`,
  },
  {
    match: /\b(python|pip|pytest|requests|urllib3?|httpx|aiohttp)\b/,
    fix: (p) => `Python: REQUESTS_CA_BUNDLE=${p.bundle} and SSL_CERT_FILE=${p.bundle}`,
  },
  {
    match: /\b(java|jdk|mvn|maven|gradlew?|sbt|kotlin)\b/,
    fix: () =>
      'Java: JAVA_TOOL_OPTIONS="-Djavax.net.ssl.trustStore=STORE -Djavax.net.ssl.trustStorePassword=changeit" with STORE a copy of cacerts plus the proxy CA (keytool -importcert)',
  },
  {
    match: /\b(node|npm|npx|yarn|pnpm|bun|deno|vitest|jest|mocha|playwright|undici|axios)\b/,
    fix: (p) => `Node.js: NODE_EXTRA_CA_CERTS=${p.ca}`,
  },
  { match: /\b(dotnet|\.net)\b/, fix: (p) => `.NET on Linux: SSL_CERT_FILE=${p.bundle}` },
  { match: /\b(go|go-http-client)\b/, fix: (p) => `Go: SSL_CERT_FILE=${p.bundle}` },
  { match: /\bgit\b/, fix: (p) => `git: GIT_SSL_CAINFO=${p.bundle}` },
  { match: /\bruby\b/, fix: (p) => `Ruby: SSL_CERT_FILE=${p.bundle}` },
];

/**
 * The fix for a client that does not trust the proxy's CA: its ecosystem's setting when the label
 * tells it, else the usual ones; always ending with the system-wide way (`entra-bas-proxy ca`).
 */
export function trustFix(client: string | null, paths: TrustPaths = GENERIC_PATHS): string {
  const label = (client ?? '').toLowerCase();
  const hint = label === '' ? undefined : HINTS.find((h) => h.match.test(label));
  const specific = hint
    ? hint.fix(paths)
    : `NODE_EXTRA_CA_CERTS=${paths.ca} (Node.js), REQUESTS_CA_BUNDLE=${paths.bundle} (Python), SSL_CERT_FILE=${paths.bundle} (curl, Go, OpenSSL), a truststore for Java`;
  return `${specific}; or trust the CA system-wide (entra-bas-proxy ca says how)`;
}
