/**
 * The input kinds `classify` takes, and how a file's kind is told from its content (`--format`
 * forces it). A HAR is a JSON object whose first key is `log` (or a `.har` file, so a broken HAR
 * still gets the HAR reader's own message); anything else is read as a sign-in log export, whose
 * reader names the shape it found or says in one line why it is none.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ToolError } from '../core/errors.js';

export const INPUT_KINDS = ['har', 'signins'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

export function isInputKind(s: string): s is InputKind {
  return (INPUT_KINDS as readonly string[]).includes(s);
}

const HEAD = 4096;

/** The kind of one input file. Throws ERR_INPUT when it cannot be read. */
export async function detectInputKind(path: string): Promise<InputKind> {
  if (/\.har$/i.test(path)) return 'har';
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new ToolError('ERR_INPUT', `${basename(path)}: cannot read (${code})`, { cause: err });
  }
  try {
    const buf = Buffer.alloc(HEAD);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, HEAD, 0));
    } catch (err) {
      const code = (err as { code?: string }).code ?? String(err);
      throw new ToolError('ERR_INPUT', `${basename(path)}: cannot read (${code})`, { cause: err });
    }
    const head = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    return /^\s*\{\s*"log"\s*:/.test(head) ? 'har' : 'signins';
  } finally {
    await fh.close();
  }
}
