/**
 * Pool worker modules for tests (pass one as `workerUrl` to createPool, createRecorder's pool or
 * classifyFiles). `prelude` runs first in the worker (with `parentPort` in scope), then the real
 * pool worker (src/session/pool-worker.ts, loaded through tsx as the pool does from the sources). A
 * prelude can listen to the jobs before the real worker does (to die on the nth one), or wrap
 * `parentPort.postMessage` (to answer late, or die before answering).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const REAL = new URL('../../src/session/pool-worker.ts', import.meta.url).href;

export function wrappedWorker(dir: string, name: string, prelude: string): URL {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';\n${prelude}\nawait import(${JSON.stringify(REAL)});\n`,
  );
  return pathToFileURL(file);
}

/** A worker module that never becomes ready: it exits at once. */
export function failingWorker(dir: string, name: string): URL {
  const file = join(dir, name);
  writeFileSync(file, `process.exit(2);\n`);
  return pathToFileURL(file);
}
