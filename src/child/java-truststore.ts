/**
 * The Java truststore `run` points JAVA_TOOL_OPTIONS at: a copy of the JDK's cacerts with our CA
 * added by keytool. A store with only our CA would break every host the proxy tunnels. Built once
 * per CA (the file name carries the CA's fingerprint) and again when the JDK's cacerts is newer.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { copyFile, rename, rm } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { JAVA_TRUSTSTORE_PASSWORD } from '../child-env.js';

export type JavaTrust =
  | { readonly ok: true; readonly path: string; readonly built: boolean }
  | { readonly ok: false; readonly reason: string };

/** How long keytool may take (a JVM start on a busy machine is a few seconds). */
const KEYTOOL_TIMEOUT_MS = 60_000;

const EXE = process.platform === 'win32' ? '.exe' : '';

/** The JDK the child would use: JAVA_HOME, else the `java` on PATH (symlinks followed). */
export function findJdk(
  base: NodeJS.ProcessEnv,
): { keytool: string; cacerts: string } | { reason: string } {
  let home: string | null = base.JAVA_HOME ?? null;
  if (!home) {
    for (const d of (base.PATH ?? '').split(delimiter)) {
      const java = join(d, `java${EXE}`);
      if (d && existsSync(java)) {
        home = dirname(dirname(realpathSync(java)));
        break;
      }
    }
  }
  if (!home) return { reason: 'no JDK found (no JAVA_HOME, no java on PATH)' };
  const keytool = join(home, 'bin', `keytool${EXE}`);
  if (!existsSync(keytool)) return { reason: `no keytool in ${join(home, 'bin')}` };
  const cacerts = [
    join(home, 'lib', 'security', 'cacerts'),
    join(home, 'jre', 'lib', 'security', 'cacerts'),
  ].find((f) => existsSync(f));
  if (!cacerts) return { reason: `no cacerts in ${home}` };
  return { keytool, cacerts };
}

/** The truststore file for this CA in `certsDir`. */
export function javaTrustStorePath(certsDir: string, caPem: string): string {
  const fp = new X509Certificate(caPem).fingerprint256.replace(/:/g, '').toLowerCase();
  return join(certsDir, `java-cacerts-${fp.slice(0, 16)}`);
}

function keytool(bin: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Without JAVA_TOOL_OPTIONS: a nested `run` must not point keytool at the proxy.
    const env = { ...process.env };
    delete env.JAVA_TOOL_OPTIONS;
    execFile(bin, args, { timeout: KEYTOOL_TIMEOUT_MS, env }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const why = `${stderr}\n${stdout}`.split('\n').find((l) => /error|exception/i.test(l));
      reject(new Error((why ?? err.message).trim().slice(0, 200)));
    });
  });
}

/**
 * The truststore for the CA in `caPath`: reused when built already (and not older than the JDK's
 * cacerts), else a copy of cacerts with the CA imported. Never throws: what went wrong is the reason.
 */
export async function javaTrustStore(o: {
  certsDir: string;
  caPath: string;
  caPem: string;
  base: NodeJS.ProcessEnv;
}): Promise<JavaTrust> {
  const jdk = findJdk(o.base);
  if ('reason' in jdk) return { ok: false, reason: jdk.reason };
  const path = javaTrustStorePath(o.certsDir, o.caPem);
  try {
    if (existsSync(path) && statSync(path).mtimeMs >= statSync(jdk.cacerts).mtimeMs) {
      return { ok: true, path, built: false };
    }
  } catch {
    // Unreadable: built again below.
  }
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await copyFile(jdk.cacerts, tmp);
    await keytool(jdk.keytool, [
      // A short-lived JVM: no optimizing compiler, the simplest collector (2.5x faster start).
      '-J-XX:TieredStopAtLevel=1',
      '-J-XX:+UseSerialGC',
      '-importcert',
      '-noprompt',
      '-alias',
      'entra-bas-proxy',
      '-file',
      o.caPath,
      '-keystore',
      tmp,
      '-storepass',
      JAVA_TRUSTSTORE_PASSWORD,
    ]);
    await rename(tmp, path);
    return { ok: true, path, built: true };
  } catch (err) {
    await rm(tmp, { force: true });
    return {
      ok: false,
      reason: `keytool could not add the CA to a copy of ${jdk.cacerts} (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}
