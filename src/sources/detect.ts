/**
 * The input kinds `classify` takes, and how a file's kind is told from its content (`--format`
 * forces it). A HAR is a JSON object whose first key is `log` (or a `.har` file, so a broken HAR
 * still gets the HAR reader's own message); anything else is read as a sign-in log export, whose
 * reader names the shape it found or says in one line why it is none.
 */
import { readFileHead } from './file-head.js';

export const INPUT_KINDS = ['har', 'signins'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

export function isInputKind(s: string): s is InputKind {
  return (INPUT_KINDS as readonly string[]).includes(s);
}

const HEAD = 4096;

/** The kind of one input file. Throws ERR_INPUT when it cannot be read. */
export async function detectInputKind(path: string): Promise<InputKind> {
  if (/\.har$/i.test(path)) return 'har';
  const head = (await readFileHead(path, HEAD)).toString('utf8').replace(/^\uFEFF/, '');
  return /^\s*\{\s*"log"\s*:/.test(head) ? 'har' : 'signins';
}
