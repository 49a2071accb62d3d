/**
 * `ensureDir(dir)`: the CA folder, created 0700 one level at a time, with a `.gitignore` of `*`.
 *
 * Not `mkdir(dir, { recursive: true })`: on Node 20 it spins at 100% CPU forever on a path it can
 * never create whose parent exists, such as `/proc/x` (mkdir answers ENOENT there, so it retries
 * the parent and the child again and again). Walking the path ourselves turns that into an error.
 */
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ToolError } from '../core/errors.js';

/** What the CA folder may hold without a `.gitignore` being out of place (all of it generated). */
const GENERATED =
  /^(ca\.pem|ca-key\.pem|leaf-key\.pem|ca-bundle\.pem|wgetrc-\d+|java-cacerts-[0-9a-f]+|.*\.tmp)$/;

export const GITIGNORE_TEXT =
  '# Written by entra-bas-proxy: this folder holds a CA private key. Never commit it.\n*\n';

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? 'error';
}

/**
 * Makes sure `dir` (absolute) is a folder of ours with mode 0700. A folder created here, or one
 * holding only files this tool generates, gets a `.gitignore` of `*`. A path that cannot be a
 * folder is bad usage (ToolError ERR_USAGE, one line naming `what`).
 */
export async function ensureDir(dir: string, what: string): Promise<{ created: boolean }> {
  const missing: string[] = [];
  for (let cur = dir; ;) {
    let isDir: boolean;
    try {
      isDir = (await stat(cur)).isDirectory();
    } catch (err) {
      const parent = dirname(cur);
      if (codeOf(err) !== 'ENOENT' || parent === cur) {
        throw new ToolError('ERR_USAGE', `${what}: cannot use ${cur} (${codeOf(err)})`, {
          cause: err,
        });
      }
      missing.unshift(cur);
      cur = parent;
      continue;
    }
    if (!isDir) throw new ToolError('ERR_USAGE', `${what}: ${cur} is not a folder`);
    break;
  }
  for (const d of missing) {
    try {
      await mkdir(d, { mode: 0o700 });
    } catch (err) {
      // Someone else made it meanwhile: fine if it is a folder.
      if (codeOf(err) === 'EEXIST' && (await stat(d).catch(() => null))?.isDirectory()) continue;
      throw new ToolError('ERR_USAGE', `${what}: cannot create the folder ${d} (${codeOf(err)})`, {
        cause: err,
      });
    }
  }
  try {
    const st = await stat(dir);
    // Tighten a folder we own that is open to others (the CA key lives here).
    if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) await chmod(dir, 0o700);
    const names = await readdir(dir);
    if (!names.includes('.gitignore') && names.every((n) => GENERATED.test(n))) {
      await writeFile(join(dir, '.gitignore'), GITIGNORE_TEXT, { mode: 0o644, flag: 'wx' }).catch(
        (err: unknown) => {
          // Written by a concurrent run: the same text.
          if (codeOf(err) !== 'EEXIST') throw err;
        },
      );
    }
  } catch (err) {
    throw new ToolError('ERR_CA_LOAD', `${what}: cannot prepare the folder (${codeOf(err)})`, {
      cause: err,
    });
  }
  return { created: missing.length > 0 };
}
