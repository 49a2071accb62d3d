/**
 * Certificates (the CA and its leaves) assembled directly in DER and signed with node:crypto
 * (native, synchronous, about 1 ms for RSA-2048). For leaves, everything that does not depend on the host (issuer name, the shared
 * leaf key, the constant extensions, the validity window) is encoded once per issuer; a new host
 * costs a subject, a SubjectAltName, a serial number and one signature. Building the same
 * certificate through a general-purpose X.509 library took 12-170 ms on a busy 2-core machine,
 * which the first request to every new intercepted host would pay.
 */
import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

/** DER length octets. */
function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime (years before 2050) or GeneralizedTime, to the second. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(iso, 'ascii'));
}

const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
const VERSION_3 = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);
const CN = oid('2.5.4.3');
const SKI = oid('2.5.29.14');

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [Buffer.from([0x01, 0x01, 0xff])] : []), tlv(0x04, value));
}

/** The constant extensions of every leaf: CA:false, digitalSignature+keyEncipherment, serverAuth, SKI, AKI. */
function constantExtensions(caKeyId: Buffer, leafKeyId: Buffer): Buffer {
  return Buffer.concat([
    extension('2.5.29.19', true, seq()),
    // KeyUsage BIT STRING: digitalSignature (bit 0) + keyEncipherment (bit 2) = 0xa0, 5 unused bits.
    extension('2.5.29.15', true, Buffer.from([0x03, 0x02, 0x05, 0xa0])),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
    extension('2.5.29.14', false, tlv(0x04, leafKeyId)),
    extension('2.5.29.35', false, seq(tlv(0x80, caKeyId))),
  ]);
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and pack 8 groups.
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

/** A positive random 128-bit serial number. */
function serialNumber(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  if (serial[0] === 0) serial[0] = 1;
  return tlv(0x02, serial);
}

/** A signed v3 certificate; `issuer` and `subject` are DER Names, `spki` a DER SubjectPublicKeyInfo. */
function certificate(
  key: KeyObject,
  issuer: Buffer,
  validity: Buffer,
  subject: Buffer,
  spki: Buffer,
  extensions: Buffer,
): Buffer {
  const tbs = seq(
    VERSION_3,
    serialNumber(),
    SHA256_WITH_RSA,
    issuer,
    validity,
    subject,
    spki,
    tlv(0xa3, seq(extensions)),
  );
  return seq(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), sign('sha256', tbs, key)));
}

/** The key identifier of a public key: SHA-1 of its subjectPublicKey bits (RFC 5280 4.2.1.2 (1)). */
export function keyId(spki: Buffer): Buffer {
  const bits = inner(children(spki)[1] ?? Buffer.alloc(0));
  return createHash('sha1').update(bits.subarray(1)).digest();
}

/**
 * A self-signed CA certificate (subject CN=`commonName`, O=entra-bas-proxy): basicConstraints
 * CA:true pathlen:0 and keyUsage digitalSignature+keyCertSign+cRLSign (both critical), and a
 * subject key identifier.
 */
export function caCertificate(opts: {
  commonName: string;
  key: KeyObject;
  notBefore: Date;
  notAfter: Date;
}): Buffer {
  const cn = opts.commonName.slice(0, 64);
  const name = seq(
    tlv(0x31, seq(CN, tlv(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(cn) ? 0x13 : 0x0c, Buffer.from(cn)))),
    tlv(0x31, seq(oid('2.5.4.10'), tlv(0x13, Buffer.from('entra-bas-proxy')))),
  );
  const spki = createPublicKey(opts.key).export({ type: 'spki', format: 'der' });
  const extensions = Buffer.concat([
    extension('2.5.29.19', true, seq(Buffer.from([0x01, 0x01, 0xff, 0x02, 0x01, 0x00]))),
    // KeyUsage BIT STRING: digitalSignature (bit 0) + keyCertSign (5) + cRLSign (6) = 0x86, 1 unused bit.
    extension('2.5.29.15', true, Buffer.from([0x03, 0x02, 0x01, 0x86])),
    extension('2.5.29.14', false, tlv(0x04, keyId(spki))),
  ]);
  const validity = seq(time(opts.notBefore), time(opts.notAfter));
  return certificate(opts.key, name, validity, name, spki, extensions);
}

export interface LeafTemplate {
  /** A DER certificate for `hosts` (DNS names and IP literals), signed by the CA. */
  issue(hosts: readonly string[]): Buffer;
}

/**
 * caCertDer: the CA certificate, whose subject becomes the leaves' issuer and whose subject key
 * identifier (else its key's) the leaves' authority key identifier; leafPublicKey: the shared key.
 */
export function leafTemplate(opts: {
  caCertDer: Buffer;
  caKey: KeyObject;
  leafPublicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}): LeafTemplate {
  const tbs = children(children(opts.caCertDer)[0] ?? Buffer.alloc(0));
  // [0] version, serial, signature, issuer, validity, subject, spki, ..., [3] extensions
  const [, , , , , issuer, caSpki] = tbs[0]?.[0] === 0xa0 ? tbs : [undefined, ...tbs];
  if (!issuer || !caSpki) throw new Error('CA certificate: no subject');
  const exts = tbs.find((t) => t[0] === 0xa3);
  const ski = exts && children(inner(exts)).find((e) => children(e)[0]?.equals(SKI));
  const caKeyId = ski ? inner(inner(children(ski).at(-1)!)) : keyId(caSpki);
  const spki = opts.leafPublicKey.export({ type: 'spki', format: 'der' });
  const validity = seq(time(opts.notBefore), time(opts.notAfter));
  const fixedExt = constantExtensions(caKeyId, keyId(spki));
  return {
    issue(hosts) {
      const subject = seq(
        tlv(0x31, seq(CN, tlv(0x0c, Buffer.from((hosts[0] ?? 'localhost').slice(0, 64), 'utf8')))),
      );
      const names = hosts.map((h) =>
        isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii')),
      );
      const extensions = [fixedExt, extension('2.5.29.17', false, seq(...names))];
      return certificate(opts.caKey, issuer, validity, subject, spki, Buffer.concat(extensions));
    },
  };
}

/** Reads one TLV at `at`: [tag, start of content, end]. */
function readTlv(der: Buffer, at: number): [number, number, number] {
  const tag = der[at] ?? 0;
  let l = der[at + 1] ?? 0;
  let start = at + 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + (der[start + i] ?? 0);
    start += n;
  }
  return [tag, start, start + l];
}

/** The content of the TLV `der` starts with. */
function inner(der: Buffer): Buffer {
  const [, start, end] = readTlv(der, 0);
  return der.subarray(start, end);
}

/** The TLVs inside the constructed TLV `der` starts with. */
function children(der: Buffer): Buffer[] {
  const body = inner(der);
  const out: Buffer[] = [];
  for (let at = 0; at < body.length;) {
    const [, , end] = readTlv(body, at);
    out.push(body.subarray(at, end));
    at = end;
  }
  return out;
}
