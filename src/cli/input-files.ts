/** The input files of `classify`, `report` and `merge`, checked before any work starts. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../core/errors.js';

/**
 * Each input must be a file: a folder is bad usage (exit 2, one line naming the files to give
 * instead), and one that cannot be read is bad input. `pattern` is the example file name (`*.har`).
 */
export function checkInputFiles(files: readonly string[], pattern: string): void {
  for (const f of files) {
    let st;
    try {
      st = statSync(f);
    } catch (err) {
      throw new ToolError(
        'ERR_INPUT',
        `${f}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
    if (st.isDirectory()) {
      throw new ToolError(
        'ERR_USAGE',
        `${f} is a folder: give the files in it instead (e.g. ${join(f, pattern)})`,
      );
    }
  }
}
