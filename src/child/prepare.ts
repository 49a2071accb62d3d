/**
 * `prepareChild()`: the files and the environment that route a child's traffic through the proxy
 * with no setup in the child: the CA bundle (roots + our CA), a wgetrc, the Java truststore, the
 * Node fetch preload. Says which ecosystems were set up and which were not, and why.
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../child-env.js';
import { writeCaBundle } from './ca-bundle.js';
import type { JavaTrust } from './java-truststore.js';
import { wgetrcPathFor, writeWgetrc } from './wgetrc.js';

/** The preload, as built beside this module (absent when running from the TypeScript sources). */
const NODE_PRELOAD_URL = new URL('./node-preload.js', import.meta.url);

/** The file: URL of the Node fetch preload, or null when it is not built. */
export function nodePreloadUrl(): string | null {
  return existsSync(fileURLToPath(NODE_PRELOAD_URL)) ? NODE_PRELOAD_URL.href : null;
}

export interface ChildSetup {
  readonly env: Record<string, string>;
  readonly bundlePath: string;
  /** Ecosystems routed and trusting the CA, e.g. `Node (https, fetch)`, `Java`. */
  readonly ready: readonly string[];
  /** Ecosystems not set up, each with why, e.g. `Java (no JDK found ...)`. */
  readonly skipped: readonly string[];
  /** The Java truststore (the JDK's roots plus our CA), when one could be built. */
  readonly javaTrustStore: string | null;
  /** Removes what belongs to this proxy run only (the wgetrc). */
  dispose(): void;
}

export async function prepareChild(o: {
  certsDir: string;
  caPath: string;
  caPem: string;
  proxyUrl: string;
  port: number;
  interceptHosts: readonly string[];
  base: NodeJS.ProcessEnv;
  /** The Java truststore being built (`javaTrustStore()`, started early: keytool is a JVM), or false to skip Java. */
  java: Promise<JavaTrust> | false;
}): Promise<ChildSetup> {
  const ready: string[] = [];
  const skipped: string[] = [];
  const bundlePath = await writeCaBundle(o.certsDir, o.caPem, o.base);
  const preload = nodePreloadUrl();
  ready.push(preload ? 'Node (https, fetch)' : 'Node (https)');
  if (!preload) skipped.push('Node fetch (the preload is not built: run from dist/src/)');
  const wgetrcPath = wgetrcPathFor(o.certsDir, o.port);
  ready.push('Python (requests, httpx)', 'curl', 'wget', 'Go', '.NET', 'Ruby', 'git');
  let javaPath: string | null = null;
  if (o.java) {
    const java = await o.java;
    if (java.ok) {
      javaPath = java.path;
      ready.push('Java');
    } else skipped.push(`Java (${java.reason})`);
  } else skipped.push('Java (not asked for)');
  const env = childEnv({
    ...o,
    bundlePath,
    nodePreloadUrl: preload,
    wgetrcPath,
    javaTrustStore: javaPath,
  });
  await writeWgetrc({ ...o, path: wgetrcPath, bundlePath, noProxy: env.NO_PROXY ?? '' });
  return {
    env,
    bundlePath,
    ready,
    skipped,
    javaTrustStore: javaPath,
    dispose: () => rmSync(wgetrcPath, { force: true }),
  };
}
