/**
 * test/helpers/temp.ts (issue 16 item 7): a temp dir made in a test is gone once that test ends,
 * and the run's TMPDIR is the private one test/setup/global-tmp.ts made (so its end-of-run check
 * sees only this run's leftovers).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp.js';

const fileScoped = tempDir('helper-file');
let madeInTest = '';

describe('tempDir', () => {
  it('makes ebp-<label>-XXXXXX in the run private TMPDIR', () => {
    madeInTest = tempDir('helper-test');
    writeFileSync(join(madeInTest, 'ca-key.pem'), 'not a key');
    expect(basename(madeInTest)).toMatch(/^ebp-helper-test-[A-Za-z0-9]{6}$/);
    expect(basename(dirname(madeInTest))).toMatch(/^ebp-testrun-/);
    expect(dirname(madeInTest)).toBe(tmpdir());
  });

  it('removed the previous test dir when that test ended; file-scoped dirs live on', () => {
    expect(madeInTest).not.toBe('');
    expect(existsSync(madeInTest)).toBe(false);
    expect(existsSync(fileScoped)).toBe(true);
  });
});
