/**
 * Temporary directories for tests (issue 16 item 7: no CA private key may outlive its test run).
 *
 * `tempDir(label)` makes `$TMPDIR/ebp-<label>-XXXXXX` and removes it, whether the test passed or
 * failed: after the test that made it (vitest's onTestFinished), or, when made outside a test
 * (beforeAll, module scope), after the test file (the afterAll of test/setup/temp-cleanup.ts, a
 * setupFiles entry). test/setup/global-tmp.ts gives the whole run a private TMPDIR and fails the
 * run if any private key or `ebp-*` directory is left in it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** Directories made outside a test, removed when the test file ends. */
const fileScoped = new Set<string>();

function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}

/** A fresh directory, removed after the current test (or test file) even when it fails. */
export function tempDir(label: string): string {
  const clean = label.replace(/^ebp-/, '').replace(/-$/, '');
  const dir = mkdtempSync(join(tmpdir(), `ebp-${clean}-`));
  try {
    onTestFinished(() => remove(dir));
  } catch {
    // Not inside a test (beforeAll, module scope): removed after the file instead.
    fileScoped.add(dir);
  }
  return dir;
}

/** Removes every file-scoped directory made so far (the setup file calls it after each file). */
export function removeFileScopedTempDirs(): void {
  for (const dir of fileScoped) remove(dir);
  fileScoped.clear();
}
