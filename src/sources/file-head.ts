/**
 * The first bytes of an input file, for telling its kind: one read, and a one-line ERR_INPUT
 * ("<file>: cannot read (ENOENT)") when it cannot be opened or read.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ToolError } from '../core/errors.js';

/** The one-line ERR_INPUT for a file that cannot be opened or read. */
export function cannotRead(name: string, err: unknown): ToolError {
  const code = (err as { code?: string }).code ?? String(err);
  return new ToolError('ERR_INPUT', `${name}: cannot read (${code})`, { cause: err });
}

/** Up to `bytes` bytes from the start of the file (fewer when it is shorter); `name` for errors. */
export async function readFileHead(
  path: string,
  bytes: number,
  name = basename(path),
): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw cannotRead(name, err);
  }
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } catch (err) {
    throw cannotRead(name, err);
  } finally {
    await fh.close();
  }
}
