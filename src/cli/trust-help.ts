/** What `ca` and `start` print so that any client can trust the proxy: paths, hashes, per-platform steps. */

export interface TrustFacts {
  readonly caPath: string;
  /** SHA-256 of the CA certificate, colon-separated hex. */
  readonly fingerprint: string;
  readonly created: boolean;
  /** System roots plus the CA (for tools whose CA setting replaces their trust store). */
  readonly bundlePath: string;
  /** base64 SHA-256 of the leaves' SubjectPublicKeyInfo (stable: the leaf key is kept). */
  readonly leafSpki: string;
  /** The Java truststore (JDK cacerts + CA), or why there is none. */
  readonly java: { readonly path: string } | { readonly reason: string };
  /** The proxy's URL (`ca` does not know the port: the default one). */
  readonly proxyUrl: string;
  /** file: URL of the preload that routes Node's fetch (null when not built). */
  readonly nodePreload: string | null;
}

/** `http://HOST:PORT`, IPv6 literals bracketed. */
export function proxyUrlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function javaLines(f: TrustFacts): string {
  const hostPort = new URL(f.proxyUrl);
  const props = `-Dhttps.proxyHost=${hostPort.hostname} -Dhttps.proxyPort=${hostPort.port || '80'}`;
  if ('path' in f.java) {
    return `  Java               a copy of the JDK's cacerts plus this CA: ${f.java.path}
                     JAVA_TOOL_OPTIONS="-Djavax.net.ssl.trustStore=${f.java.path} -Djavax.net.ssl.trustStorePassword=changeit ${props}"`;
  }
  return `  Java               (${f.java.reason}) copy the JDK's cacerts and add this CA to the copy:
                     cp "$JAVA_HOME/lib/security/cacerts" test-cacerts && keytool -importcert -noprompt -alias entra-bas-proxy -file ${f.caPath} -keystore test-cacerts -storepass changeit
                     JAVA_TOOL_OPTIONS="-Djavax.net.ssl.trustStore=test-cacerts -Djavax.net.ssl.trustStorePassword=changeit ${props}"`;
}

export function trustHelp(f: TrustFacts): string {
  const ca = f.caPath;
  const b = f.bundlePath;
  return `
${f.created ? 'Created a new' : 'Using the'} entra-bas-proxy CA: ${ca}
SHA-256 fingerprint: ${f.fingerprint}
Leaf SPKI (sha256, base64): ${f.leafSpki}   (the same across restarts; Chromium's --ignore-certificate-errors-spki-list)
CA bundle (system roots + this CA): ${b}
Its private keys (ca-key.pem, leaf-key.pem, mode 0600) stay beside it: never share or commit them.

Trust the CA only in the test environment that runs through the proxy
(\`entra-bas-proxy run -- CMD\` sets the variables below for CMD, proxy included):
  Node.js            NODE_EXTRA_CA_CERTS=${ca}${f.nodePreload ? `\n                     fetch on Node 20 (ignores HTTPS_PROXY): NODE_OPTIONS="--import ${f.nodePreload}"` : ''}
  Python             requests: REQUESTS_CA_BUNDLE=${b}   httpx, ssl: SSL_CERT_FILE=${b}
  curl               CURL_CA_BUNDLE=${b}   or   curl --cacert ${b} -x ${f.proxyUrl} URL
  wget               wget --ca-certificate=${b} -e use_proxy=on -e https_proxy=${f.proxyUrl} URL
  Go, Ruby, git      SSL_CERT_FILE=${b}   (git: GIT_SSL_CAINFO=${b})
  .NET               Linux: SSL_CERT_FILE=${b} with HTTPS_PROXY=${f.proxyUrl}; Windows/macOS: the system store below
${javaLines(f)}
  Chromium / Chrome  chromium --proxy-server=${f.proxyUrl} --ignore-certificate-errors-spki-list=${f.leafSpki}
  Firefox            Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import ${ca}
                     (or in a test profile: certutil -A -d sql:PROFILE_DIR -n entra-bas-proxy -t C,, -i ${ca})
System stores (every program of the machine trusts it then: remove it when done, the key on this
disk can sign for any site):
  Debian/Ubuntu      sudo cp ${ca} /usr/local/share/ca-certificates/entra-bas-proxy.crt && sudo update-ca-certificates
  RHEL/Fedora        sudo cp ${ca} /etc/pki/ca-trust/source/anchors/entra-bas-proxy.pem && sudo update-ca-trust
  macOS              security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db ${ca}
  Windows            certutil -user -addstore Root ${ca}
`;
}
