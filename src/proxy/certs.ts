/**
 * Certificates for interception: a self-signed CA and leaves issued by it.
 *
 * Keys come from node:crypto's async key generation (libuv thread pool, off the main thread).
 * The CA and the leaves are assembled in DER and signed natively (leaf-der.ts). All leaves share
 * ONE key pair (kept beside the CA key by ca-store.ts, so its SPKI hash is stable across
 * restarts), so a leaf for a new host costs one RSA signature (~1 ms).
 * Leaf certificates live in memory only.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
} from 'node:crypto';
import { promisify } from 'node:util';
import { caCertificate, leafTemplate, type LeafTemplate } from './leaf-der.js';

export interface CertPair {
  certPem: string;
  keyPem: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);
const DAY_MS = 86_400_000;
/** Browsers reject server certificates valid for more than 398 days. */
const LEAF_DAYS = 397;
/** Bound on cached leaves; far above the number of hosts a sign-in session touches. */
const LEAF_CACHE_MAX = 2000;

/** A fresh RSA-2048 private key (PKCS#8 PEM). */
async function newRsaKey(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * A new key for the leaves (RSA-2048, PKCS#8 PEM). Kept beside the CA key so that the leaves'
 * SPKI hash (Chromium's --ignore-certificate-errors-spki-list) survives restarts.
 */
export const createLeafKey = newRsaKey;

/** Throws unless `keyPem` is an RSA private key of at least 2048 bits (what leaves are signed for). */
export function checkLeafKey(keyPem: string): void {
  const key = createPrivateKey(keyPem);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048) {
    throw new Error(
      `not an RSA key of 2048 bits or more (${key.asymmetricKeyType ?? '?'}, ${bits})`,
    );
  }
}

/** base64 SHA-256 of the SubjectPublicKeyInfo of a private key's public half, or a certificate's key. */
export function keySpkiSha256(keyPem: string): string {
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Creates a self-signed RSA-2048 CA certificate suitable for issuing TLS server leaves. */
export async function createCertificateAuthority(opts?: {
  commonName?: string;
  days?: number;
}): Promise<CertPair> {
  const keyPem = await newRsaKey();
  const now = Date.now();
  const der = caCertificate({
    commonName: opts?.commonName ?? 'entra-bas-proxy local CA',
    key: createPrivateKey(keyPem),
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + (opts?.days ?? 3650) * DAY_MS),
  });
  return { certPem: derToPem(der, 'CERTIFICATE') + '\n', keyPem };
}

/** Lowercase, without IPv6 brackets or a trailing dot. */
function normalizeHost(h: string): string {
  let s = h.trim().toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.endsWith('.')) s = s.slice(0, -1);
  return s;
}

/**
 * Issues TLS server leaves signed by a CA. One key pair serves all leaves; certificates are
 * assembled in DER and signed natively (leaf-der.ts), cached in memory per host set (bounded) and
 * never written to disk.
 */
export class LeafIssuer {
  readonly #template: LeafTemplate;
  readonly #leafKeyPem: string;
  readonly #cache = new Map<string, Promise<CertPair>>();

  private constructor(template: LeafTemplate, leafKeyPem: string) {
    this.#template = template;
    this.#leafKeyPem = leafKeyPem;
  }

  /**
   * Loads the CA (throws on unreadable PEM); the shared leaf key is `leafKeyPem` when given (the
   * one kept beside the CA, so the leaves' SPKI is stable), else a new one.
   */
  static async create(ca: CertPair, leafKeyPem?: string): Promise<LeafIssuer> {
    const caCertDer = new X509Certificate(ca.certPem).raw;
    const leafKey = createPrivateKey(leafKeyPem ?? (await newRsaKey()));
    const now = Date.now();
    const template = leafTemplate({
      caCertDer,
      caKey: createPrivateKey(ca.keyPem),
      leafPublicKey: createPublicKey(leafKey),
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    });
    return new LeafIssuer(template, leafKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }

  /** The shared leaf private key (PKCS#8 PEM). */
  get leafKeyPem(): string {
    return this.#leafKeyPem;
  }

  /** A leaf certificate for `hostnames` (DNS names and/or IP literals); cached per host set. */
  issue(hostnames: readonly string[]): Promise<CertPair> {
    const hosts = [...new Set(hostnames.map(normalizeHost).filter((h) => h.length > 0))];
    if (hosts.length === 0)
      return Promise.reject(new Error('no hostname to issue a certificate for'));
    const key = hosts.length === 1 ? hosts[0]! : [...hosts].sort().join(',');
    const hit = this.#cache.get(key);
    if (hit) return hit;
    let p: Promise<CertPair>;
    try {
      const der = this.#template.issue(hosts);
      p = Promise.resolve({ certPem: derToPem(der, 'CERTIFICATE'), keyPem: this.#leafKeyPem });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (this.#cache.size >= LEAF_CACHE_MAX) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, p);
    return p;
  }
}
