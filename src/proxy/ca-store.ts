/**
 * The CA on disk: `DIR/ca.pem` (public, 0644), `DIR/ca-key.pem` (private, 0600) and
 * `DIR/leaf-key.pem` (the key every leaf shares, 0600, so the leaves' SPKI hash is stable across
 * restarts) in a folder of mode 0700. Created on first use, reused after. A folder this module
 * creates gets a `.gitignore` of `*`, so `git add -A` in a project never picks up the keys. Leaf
 * certificates are never written: they live in memory.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ToolError } from '../core/errors.js';
import { writeFileMode } from '../core/write-file-mode.js';
import { checkLeafKey, createCertificateAuthority, createLeafKey, type CertPair } from './certs.js';
import { ensureDir } from './ensure-dir.js';

export interface CaFiles extends CertPair {
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** The shared leaf key (PKCS#8 PEM) and its file. */
  readonly leafKeyPem: string;
  readonly leafKeyPath: string;
  /** True when this call created the CA. */
  readonly created: boolean;
}

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const LEAF_KEY_FILE = 'leaf-key.pem';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    // Missing (or unreadable): treated as absent; the read below reports real problems.
    return false;
  }
}

/** Reads a private key file, tightening it to 0600 when it is ours and open to others. */
async function readPrivate(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) await chmod(path, 0o600);
  return text;
}

/** Loads the CA from `dir`, creating it (and the folder) when missing. */
export async function loadOrCreateCa(dirArg: string): Promise<CaFiles> {
  const dir = resolve(dirArg);
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const leafKeyPath = join(dir, LEAF_KEY_FILE);
  await ensureDir(dir, `--certs ${dir}`);
  const haveCert = await exists(certPath);
  const haveKey = await exists(keyPath);
  if (haveCert !== haveKey) {
    throw new ToolError(
      'ERR_CA_LOAD',
      `${dir}: found ${haveCert ? CA_CERT_FILE : CA_KEY_FILE} without ${haveCert ? CA_KEY_FILE : CA_CERT_FILE}; remove it or restore its pair`,
    );
  }
  if (!haveCert) {
    // A new CA gets a new leaf key too: whoever removed the CA wants a fresh start.
    const [ca, leafKeyPem] = await Promise.all([createCertificateAuthority(), createLeafKey()]);
    try {
      await writeFileMode(keyPath, ca.keyPem, 0o600);
      await writeFileMode(leafKeyPath, leafKeyPem, 0o600);
      await writeFileMode(certPath, ca.certPem, 0o644);
    } catch (err) {
      throw new ToolError('ERR_CA_LOAD', `${dir}: cannot write the CA`, { cause: err });
    }
    return { ...ca, dir, certPath, keyPath, leafKeyPem, leafKeyPath, created: true };
  }
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readPrivate(keyPath)]);
  } catch (err) {
    throw new ToolError('ERR_CA_LOAD', `${dir}: cannot read the CA`, { cause: err });
  }
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.ca) throw new Error('not a CA certificate');
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new Error('the key does not match the certificate');
    }
    if (Date.parse(cert.validTo) < Date.now()) throw new Error(`expired on ${cert.validTo}`);
  } catch (err) {
    throw new ToolError(
      'ERR_CA_LOAD',
      `${certPath}: unusable CA (${err instanceof Error ? err.message : String(err)}); remove ${CA_CERT_FILE} and ${CA_KEY_FILE} to make a new one`,
      { cause: err },
    );
  }
  const leafKeyPem = await loadOrCreateLeafKey(leafKeyPath);
  return { certPem, keyPem, dir, certPath, keyPath, leafKeyPem, leafKeyPath, created: false };
}

/** The shared leaf key: read and checked, or made once (a CA folder from before it was kept). */
async function loadOrCreateLeafKey(path: string): Promise<string> {
  if (!(await exists(path))) {
    const pem = await createLeafKey();
    try {
      await writeFileMode(path, pem, 0o600);
    } catch (err) {
      throw new ToolError('ERR_CA_LOAD', `${path}: cannot write the leaf key`, { cause: err });
    }
    return pem;
  }
  try {
    const pem = await readPrivate(path);
    checkLeafKey(pem);
    return pem;
  } catch (err) {
    throw new ToolError(
      'ERR_CA_LOAD',
      `${path}: unusable leaf key (${err instanceof Error ? err.message : String(err)}); remove it to make a new one (the leaf SPKI hash changes with it)`,
      { cause: err },
    );
  }
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo (Chromium's --ignore-certificate-errors-spki-list). */
export { keySpkiSha256 as spkiSha256 } from './certs.js';

/** SHA-256 fingerprint of a certificate, colon-separated hex (as browsers show it). */
export function certFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
