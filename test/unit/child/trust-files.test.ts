/** The files `run` makes for children: the CA bundle (roots + CA) and the Java truststore (cacerts + CA). */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  readdirSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCaBundle } from '../../../src/child/ca-bundle.js';
import { findJdk, javaTrustStore } from '../../../src/child/java-truststore.js';
import { createCertificateAuthority } from '../../../src/proxy/certs.js';
import { tempDir } from '../../helpers/temp.js';

const root = tempDir('ebp-trust-');
let caPem: string;
let caPath: string;
let otherCaPem: string;

beforeAll(async () => {
  caPem = (await createCertificateAuthority({ commonName: 'TEST-ONLY proxy CA' })).certPem;
  otherCaPem = (await createCertificateAuthority({ commonName: 'TEST-ONLY corp root' })).certPem;
  caPath = join(root, 'ca.pem');
  writeFileSync(caPath, caPem);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const count = (pem: string): number => pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;

describe('writeCaBundle', () => {
  it('holds the roots the child trusts (its SSL_CERT_FILE) plus the proxy CA', async () => {
    const corp = join(root, 'corp-bundle.pem');
    writeFileSync(corp, otherCaPem);
    const path = await writeCaBundle(root, caPem, { SSL_CERT_FILE: corp });
    const text = readFileSync(path, 'utf8');
    expect(count(text)).toBe(2);
    expect(text).toContain(otherCaPem.trim());
    expect(text).toContain(caPem.trim());
    // a nested run (SSL_CERT_FILE is our own bundle) does not feed the bundle to itself
    const nested = await writeCaBundle(root, caPem, { SSL_CERT_FILE: path });
    expect(count(readFileSync(nested, 'utf8'))).toBeGreaterThan(100);
  });

  it('takes the system bundle, or Node roots, when nothing is named: far more than our CA', async () => {
    const path = await writeCaBundle(join(root), caPem, {});
    const text = readFileSync(path, 'utf8');
    expect(count(text)).toBeGreaterThan(100);
    expect(text.trim().endsWith(caPem.trim())).toBe(true);
  });
});

const jdk = findJdk(process.env);

describe.skipIf('reason' in jdk)('javaTrustStore (real keytool)', () => {
  function keytoolList(store: string): string {
    if ('reason' in jdk) throw new Error(jdk.reason);
    return execFileSync(jdk.keytool, ['-list', '-keystore', store, '-storepass', 'changeit'], {
      encoding: 'utf8',
      env: { ...process.env, JAVA_TOOL_OPTIONS: undefined },
    });
  }
  const entries = (list: string): number => Number(/contains (\d+) entr/.exec(list)?.[1] ?? 0);

  it('is a copy of the JDK cacerts plus our CA, built once per CA, again when cacerts is newer', async () => {
    if ('reason' in jdk) return;
    // A JDK home of our own, so the cacerts can be made newer: keytool linked, cacerts copied.
    const home = join(root, 'jdk');
    mkdirSync(join(home, 'bin'), { recursive: true });
    mkdirSync(join(home, 'lib', 'security'), { recursive: true });
    symlinkSync(realpathSync(jdk.keytool), join(home, 'bin', 'keytool'));
    copyFileSync(jdk.cacerts, join(home, 'lib', 'security', 'cacerts'));
    const certs = join(root, 'certs-java');
    mkdirSync(certs);
    const base = { JAVA_HOME: home };
    const first = await javaTrustStore({ certsDir: certs, caPath, caPem, base });
    expect(first).toMatchObject({ ok: true, built: true });
    if (!first.ok) return;
    const system = entries(keytoolList(jdk.cacerts));
    const list = keytoolList(first.path);
    expect(system).toBeGreaterThan(50);
    expect(entries(list)).toBe(system + 1);
    expect(list).toMatch(/^entra-bas-proxy,/m);
    const again = await javaTrustStore({ certsDir: certs, caPath, caPem, base });
    expect(again).toEqual({ ok: true, path: first.path, built: false });
    const later = (statSync(first.path).mtimeMs + 60_000) / 1000;
    utimesSync(join(home, 'lib', 'security', 'cacerts'), later, later);
    expect(await javaTrustStore({ certsDir: certs, caPath, caPem, base })).toMatchObject({
      ok: true,
      built: true,
    });
  }, 120_000);

  it('says why when there is no JDK, or keytool fails', async () => {
    expect(await javaTrustStore({ certsDir: root, caPath, caPem, base: { PATH: '' } })).toEqual({
      ok: false,
      reason: 'no JDK found (no JAVA_HOME, no java on PATH)',
    });
    const broken = join(root, 'broken-jdk');
    mkdirSync(join(broken, 'bin'), { recursive: true });
    mkdirSync(join(broken, 'lib', 'security'), { recursive: true });
    if (!('reason' in jdk)) symlinkSync(realpathSync(jdk.keytool), join(broken, 'bin', 'keytool'));
    writeFileSync(join(broken, 'lib', 'security', 'cacerts'), 'not a keystore');
    const r = await javaTrustStore({ certsDir: root, caPath, caPem, base: { JAVA_HOME: broken } });
    expect(r).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/keytool could not/) as string,
    });
    expect(readdirSync(root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
