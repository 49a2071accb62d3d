/**
 * The CA on disk: `DIR/ca.pem` (public, 0644) and `DIR/ca-key.pem` (private, 0600) in a folder of
 * mode 0700. Created on first use, reused after. Nothing else is ever written here: leaf
 * certificates live in memory only.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ToolError } from '../core/errors.js';
import { createCertificateAuthority, type CertPair } from './certs.js';

export interface CaFiles extends CertPair {
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** True when this call created the CA. */
  readonly created: boolean;
}

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    // Missing (or unreadable): treated as absent; the read below reports real problems.
    return false;
  }
}

/** Writes `text` to `path` with `mode`, atomically (temp file + rename), never group/world readable first. */
async function writeFileMode(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** Loads the CA from `dir`, creating it (and the folder) when missing. */
export async function loadOrCreateCa(dirArg: string): Promise<CaFiles> {
  const dir = resolve(dirArg);
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await stat(dir);
    // Tighten a folder we own that is open to others (the CA key lives here).
    if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) await chmod(dir, 0o700);
  } catch (err) {
    throw new ToolError('ERR_CA_LOAD', `--certs ${dir}: cannot create the folder`, { cause: err });
  }
  const haveCert = await exists(certPath);
  const haveKey = await exists(keyPath);
  if (haveCert !== haveKey) {
    throw new ToolError(
      'ERR_CA_LOAD',
      `${dir}: found ${haveCert ? CA_CERT_FILE : CA_KEY_FILE} without ${haveCert ? CA_KEY_FILE : CA_CERT_FILE}; remove it or restore its pair`,
    );
  }
  if (!haveCert) {
    const ca = await createCertificateAuthority();
    try {
      await writeFileMode(keyPath, ca.keyPem, 0o600);
      await writeFileMode(certPath, ca.certPem, 0o644);
    } catch (err) {
      throw new ToolError('ERR_CA_LOAD', `${dir}: cannot write the CA`, { cause: err });
    }
    return { ...ca, dir, certPath, keyPath, created: true };
  }
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const keyStat = await stat(keyPath);
    if ((keyStat.mode & 0o077) !== 0 && keyStat.uid === process.getuid?.())
      await chmod(keyPath, 0o600);
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
  return { certPem, keyPem, dir, certPath, keyPath, created: false };
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo (Chromium's --ignore-certificate-errors-spki-list). */
export function spkiSha256(certPem: string): string {
  const cert = new X509Certificate(certPem);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** SHA-256 fingerprint of a certificate, colon-separated hex (as browsers show it). */
export function certFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
