/**
 * Certificates for interception: a self-signed CA and leaves issued by it.
 *
 * Keys come from node:crypto's async key generation (libuv thread pool, off the main thread).
 * The CA is made once with @peculiar/x509; leaves are assembled in DER and signed natively
 * (leaf-der.ts). All leaves share ONE key pair (kept beside the CA key by ca-store.ts, so its
 * SPKI hash is stable across restarts), so a leaf for a new host costs one RSA signature (~1 ms).
 * Leaf certificates live in memory only.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { promisify } from 'node:util';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';
import { leafTemplate, type LeafTemplate } from './leaf-der.js';

export interface CertPair {
  certPem: string;
  keyPem: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);
const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const SIGN_ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Browsers reject server certificates valid for more than 398 days. */
const LEAF_DAYS = 397;
/** Bound on cached leaves; far above the number of hosts a sign-in session touches. */
const LEAF_CACHE_MAX = 2000;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A fresh RSA-2048 key pair: PEM texts plus WebCrypto keys for signing/embedding. */
async function newRsaKeys(): Promise<{ keyPem: string; keys: CryptoKeyPair }> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const keys: CryptoKeyPair = {
    privateKey: await subtle.importKey('pkcs8', privateKey, SIGN_ALG, true, ['sign']),
    publicKey: await subtle.importKey('spki', publicKey, SIGN_ALG, true, ['verify']),
  };
  return { keyPem: derToPem(privateKey, 'PRIVATE KEY'), keys };
}

/**
 * A new key for the leaves (RSA-2048, PKCS#8 PEM). Kept beside the CA key so that the leaves'
 * SPKI hash (Chromium's --ignore-certificate-errors-spki-list) survives restarts.
 */
export async function createLeafKey(): Promise<string> {
  return (await newRsaKeys()).keyPem;
}

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

/** base64 SHA-256 of the SubjectPublicKeyInfo of a private key's public half. */
export function keySpkiSha256(keyPem: string): string {
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** The WebCrypto keys of an existing RSA private key (PEM). */
async function importRsaKeys(keyPem: string): Promise<{ keyPem: string; keys: CryptoKeyPair }> {
  const priv = createPrivateKey(keyPem);
  const pkcs8 = priv.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  const keys: CryptoKeyPair = {
    privateKey: await subtle.importKey('pkcs8', pkcs8, SIGN_ALG, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, SIGN_ALG, true, ['verify']),
  };
  return { keyPem: derToPem(pkcs8, 'PRIVATE KEY'), keys };
}

function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A positive random 128-bit serial number in hex. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

/** Escapes a value for an RFC 4514 distinguished-name string. */
function dnValue(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).slice(0, 64);
}

/** Creates a self-signed RSA-2048 CA certificate suitable for issuing TLS server leaves. */
export async function createCertificateAuthority(opts?: {
  commonName?: string;
  days?: number;
}): Promise<CertPair> {
  const cn = opts?.commonName ?? 'entra-bas-proxy local CA';
  const days = opts?.days ?? 3650;
  const { keyPem, keys } = await newRsaKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${dnValue(cn)}, O=entra-bas-proxy`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    signingAlgorithm: SIGN_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
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
    const caCert = new x509.X509Certificate(ca.certPem);
    const caSki = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
    const caKeyId =
      caSki?.keyId ?? (await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey)).keyId;
    if (!caKeyId) throw new Error('CA certificate: no key identifier');
    const leaf = leafKeyPem === undefined ? await newRsaKeys() : await importRsaKeys(leafKeyPem);
    const leafSki = await x509.SubjectKeyIdentifierExtension.create(leaf.keys.publicKey);
    const now = Date.now();
    const template = leafTemplate({
      caCertDer: Buffer.from(caCert.rawData),
      caKey: createPrivateKey(ca.keyPem),
      caKeyId: Buffer.from(caKeyId, 'hex'),
      leafPublicKey: createPublicKey(leaf.keyPem),
      leafKeyId: Buffer.from(leafSki.keyId, 'hex'),
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    });
    return new LeafIssuer(template, leaf.keyPem);
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
