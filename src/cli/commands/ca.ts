/** `ca`: create the CA if missing, print where its public certificate is and how to trust it. */
import { ToolError } from '../../core/errors.js';
import { certFingerprint, loadOrCreateCa } from '../../proxy/ca-store.js';
import type { Parsed } from '../options.js';

export async function caCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0)
    throw new ToolError('ERR_USAGE', `ca takes no arguments, got '${p.positionals[0] ?? ''}'`);
  const ca = await loadOrCreateCa(p.options.certs);
  process.stdout.write(`${ca.certPath}\n`);
  process.stderr.write(trustHelp(ca.certPath, certFingerprint(ca.certPem), ca.created));
  return 0;
}

export function trustHelp(caPath: string, fingerprint: string, created: boolean): string {
  return `
${created ? 'Created a new' : 'Using the'} entra-bas-proxy CA: ${caPath}
SHA-256 fingerprint: ${fingerprint}
Its private key (ca-key.pem, mode 0600) stays beside it: never share or commit it.

Trust the CA only in the test environment that runs through the proxy
(\`entra-bas-proxy run -- CMD\` sets all of the variables below for CMD):
  Node.js            NODE_EXTRA_CA_CERTS=${caPath}
  Python requests    REQUESTS_CA_BUNDLE=<bundle>   (system roots + this CA; \`run\` writes certs/ca-bundle.pem)
  Python httpx, curl SSL_CERT_FILE=<bundle>  /  curl --cacert ${caPath}
  .NET (Linux)       SSL_CERT_FILE=<bundle>, or: sudo cp ${caPath} /usr/local/share/ca-certificates/entra-bas-proxy.crt && sudo update-ca-certificates
  Java               keytool -importcert -noprompt -alias entra-bas-proxy -file ${caPath} -keystore test-truststore.jks -storepass changeit
                     then JAVA_TOOL_OPTIONS="-Djavax.net.ssl.trustStore=test-truststore.jks -Djavax.net.ssl.trustStorePassword=changeit"
  Chromium / Chrome  chromium --proxy-server=http://127.0.0.1:8080 --ignore-certificate-errors-spki-list=<spki>
                     or certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n entra-bas-proxy -i ${caPath}
  Firefox            Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import
  Debian/Ubuntu      sudo cp ${caPath} /usr/local/share/ca-certificates/entra-bas-proxy.crt && sudo update-ca-certificates
                     (remove it again when done: the key on this disk can then sign for any site)
`;
}
