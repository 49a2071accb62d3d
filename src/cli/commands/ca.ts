/** `ca`: create the CA if missing, print where its public certificate is and how to trust it. */
import { writeCaBundle } from '../../child/ca-bundle.js';
import { javaTrustStore } from '../../child/java-truststore.js';
import { ToolError } from '../../core/errors.js';
import { certFingerprint, loadOrCreateCa } from '../../proxy/ca-store.js';
import { keySpkiSha256 } from '../../proxy/certs.js';
import type { Parsed } from '../options.js';
import { proxyUrlOf, trustHelp } from '../trust-help.js';
import { nodePreloadUrl } from '../../child/prepare.js';

export async function caCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0)
    throw new ToolError('ERR_USAGE', `ca takes no arguments, got '${p.positionals[0] ?? ''}'`);
  const ca = await loadOrCreateCa(p.options.certs);
  const bundlePath = await writeCaBundle(ca.dir, ca.certPem);
  const java = await javaTrustStore({
    certsDir: ca.dir,
    caPath: ca.certPath,
    caPem: ca.certPem,
    base: process.env,
  });
  process.stdout.write(`${ca.certPath}\n`);
  process.stderr.write(
    trustHelp({
      caPath: ca.certPath,
      fingerprint: certFingerprint(ca.certPem),
      created: ca.created,
      bundlePath,
      leafSpki: keySpkiSha256(ca.leafKeyPem),
      java: java.ok ? { path: java.path } : { reason: java.reason },
      proxyUrl: proxyUrlOf(p.options.host, p.options.port),
      nodePreload: nodePreloadUrl(),
    }),
  );
  return 0;
}
