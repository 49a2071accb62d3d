/**
 * `writeFileMode(path, text, mode)`: the CA's files and what `run` writes for its child (CA bundle,
 * wgetrc) are written atomically (temp file + rename) and are never group- or world-readable
 * before their mode is set.
 */
import { chmod, open, rename } from 'node:fs/promises';

/** Writes `text` to `path` with `mode`, atomically (temp file + rename), never group/world readable first. */
export async function writeFileMode(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  await chmod(tmp, mode);
  await rename(tmp, path);
}
