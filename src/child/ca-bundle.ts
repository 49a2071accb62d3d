/**
 * `ca-bundle.pem`: the system's trusted roots plus the proxy CA, for the tools whose CA variable
 * replaces their trust store (curl, wget, Python, Go, Ruby, git, OpenSSL). A bundle with only our
 * CA would break every host the proxy tunnels instead of intercepting.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { join, resolve } from 'node:path';
import { writeFileMode } from '../core/write-file-mode.js';

export const CA_BUNDLE_FILE = 'ca-bundle.pem';

/** Where Linux/BSD/macOS distributions keep their PEM bundle of trusted roots. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine, Arch, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // RHEL, Fedora, CentOS
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL 7+
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/ssl/cert.pem', // macOS, Alpine, OpenBSD
];

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The roots the child would trust without us, as PEM blocks: the bundle its SSL_CERT_FILE names
 * (unless that is our own bundle, as in a nested `run`), else the system's, else Node's built-in
 * Mozilla roots. Returns where they came from too.
 */
export function systemRoots(
  base: NodeJS.ProcessEnv,
  ownBundle: string,
): { pems: string[]; source: string } {
  const fromEnv = base.SSL_CERT_FILE;
  const candidates = [
    ...(fromEnv && resolve(fromEnv) !== resolve(ownBundle) ? [fromEnv] : []),
    ...SYSTEM_BUNDLES,
  ];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    try {
      const pems = readFileSync(file, 'utf8').match(PEM_CERT) ?? [];
      if (pems.length > 0) return { pems, source: file };
    } catch {
      // Unreadable: the next candidate (at worst Node's roots) stands in.
    }
  }
  return { pems: [...rootCertificates], source: "Node's built-in roots" };
}

/** Writes `ca-bundle.pem` (roots + the proxy CA) into `certsDir`, atomically, and returns its path. */
export async function writeCaBundle(
  certsDir: string,
  caPem: string,
  base: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = join(certsDir, CA_BUNDLE_FILE);
  const { pems } = systemRoots(base, path);
  await writeFileMode(path, [...pems, caPem.trim()].join('\n') + '\n', 0o644);
  return path;
}
