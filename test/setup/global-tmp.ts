/**
 * globalSetup: the whole test run gets a private TMPDIR (`$TMPDIR/ebp-testrun-XXXXXX`, inherited
 * by the test workers and every CLI child they spawn), so what the run leaves behind is its own.
 * At the end, the run fails if a private key (`*key.pem`, e.g. a test CA's `ca-key.pem`) or an
 * `ebp-*` directory is left in it (issue 16 item 7: tests clean up after themselves, even when
 * they fail); other leftovers are listed. The private TMPDIR is removed either way.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Private-key files under `dir` (bounded walk). */
function keysUnder(dir: string, depth = 0, out: string[] = []): string[] {
  if (depth > 8 || out.length > 100) return out;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out; // unreadable (a browser's lock dir): nothing we made
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) keysUnder(p, depth + 1, out);
    else if (/key\.pem$/i.test(e.name)) out.push(p);
  }
  return out;
}

export default function setup(): () => void {
  const outer = tmpdir();
  const run = mkdtempSync(join(outer, 'ebp-testrun-'));
  process.env['TMPDIR'] = run;
  return () => {
    process.env['TMPDIR'] = outer;
    const left = readdirSync(run);
    const keys = keysUnder(run);
    const ours = left.filter((n) => n.startsWith('ebp-'));
    rmSync(run, { recursive: true, force: true, maxRetries: 3 });
    const others = left.filter((n) => !n.startsWith('ebp-'));
    if (others.length > 0)
      process.stderr.write(`test temp leftovers (not ours, removed): ${others.join(', ')}\n`);
    if (keys.length > 0 || ours.length > 0) {
      // vitest reports an error thrown here but keeps its exit status: fail the run ourselves.
      process.exitCode = 1;
      throw new Error(
        `tests left ${ours.length} ebp-* temp dir(s) and ${keys.length} private key file(s) behind ` +
          `(removed now): ${[...ours, ...keys.map((k) => k.slice(run.length + 1))].join(', ')}`,
      );
    }
  };
}
