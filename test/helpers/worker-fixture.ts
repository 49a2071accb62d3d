/**
 * A classification worker module for tests: `prelude` runs first in the worker (with `parentPort`
 * in scope), then the real dist/session/classify-worker.js is loaded. A prelude can listen to the
 * messages before the real worker does (to die on the nth batch), or wrap `parentPort.postMessage`
 * (to answer late). `npm test` builds dist/ first.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const REAL = new URL('../../dist/src/session/classify-worker.js', import.meta.url).href;

export function wrappedWorker(dir: string, name: string, prelude: string): URL {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';\n${prelude}\nawait import(${JSON.stringify(REAL)});\n`,
  );
  return pathToFileURL(file);
}

/** A worker module that never becomes ready: it reports a failed start. */
export function failingWorker(dir: string, name: string): URL {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ type: 'failed', message: 'no' });\n`,
  );
  return pathToFileURL(file);
}
