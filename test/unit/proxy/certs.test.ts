import { X509Certificate, createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, LeafIssuer, type CertPair } from '../../../src/proxy/certs.js';

let ca: CertPair;
let issuer: LeafIssuer;

beforeAll(async () => {
  ca = await createCertificateAuthority({ commonName: 'TEST-ONLY CA' });
  issuer = await LeafIssuer.create(ca);
});

describe('LeafIssuer', () => {
  it('issues a server leaf signed by the CA, for DNS names and IP literals', async () => {
    const leaf = await issuer.issue(['Login.MicrosoftOnline.com.', '127.0.0.1', '[::1]']);
    const cert = new X509Certificate(leaf.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.issuer).toBe(caCert.subject);
    expect(cert.checkHost('login.microsoftonline.com')).toBe('login.microsoftonline.com');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
    // browsers refuse server certificates valid for more than 398 days
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBeLessThanOrEqual(
      398 * 86_400_000,
    );
  });

  it('shares one key across leaves and caches per host set', async () => {
    const a = await issuer.issue(['a.example']);
    const b = await issuer.issue(['b.example']);
    expect(a.keyPem).toBe(b.keyPem);
    expect(a.certPem).not.toBe(b.certPem);
    expect(await issuer.issue(['A.example'])).toBe(a);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(
      new X509Certificate(b.certPem).serialNumber,
    );
  });

  it('encodes long names and many SANs (multi-byte DER lengths)', async () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.test`;
    const many = Array.from({ length: 40 }, (_, i) => `host-${i}.login.microsoftonline.com`);
    const leaf = await issuer.issue([long, ...many]);
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkHost(long)).toBe(long);
    expect(cert.checkHost('host-39.login.microsoftonline.com')).toBe(
      'host-39.login.microsoftonline.com',
    );
  });

  it('refuses an empty host list', async () => {
    await expect(issuer.issue(['', ' '])).rejects.toThrow(/no hostname/);
  });
});
