import { chunkRows } from '../../src/sources/signins/chunk.js';
import {
  invalidSignIns,
  signInChunks,
  type SignInReadOptions,
  type SignInReadStats,
} from '../../src/sources/signins/read.js';
import type { SignInRow } from '../../src/sources/signins/row.js';

/**
 * The sign-in rows of one export file, in order (chunk.ts run in this thread, chunk by chunk, each
 * line parsed whole: the reference the chunked fold is held to in tests). The iterable carries
 * `stats`, filled in as it is read. Throws as signInChunks does.
 */
export function readSignIns(
  path: string,
  opts: SignInReadOptions = {},
): AsyncIterable<SignInRow> & { readonly stats: SignInReadStats } {
  const chunks = signInChunks(path, opts);
  const { stats } = chunks;
  const skip = (why: string): void => {
    stats.skipped.set(why, (stats.skipped.get(why) ?? 0) + 1);
  };
  async function* gen(): AsyncGenerator<SignInRow> {
    for await (const c of chunks) {
      const rows: SignInRow[] = [];
      if (chunkRows(c, (r) => rows.push(r), skip))
        throw invalidSignIns(chunks.file, 'truncated JSON (the last line is cut off)');
      chunks.release(c);
      if (rows.some((r) => r.tally !== undefined)) stats.shape = 'fact-tuples';
      stats.rows += rows.length;
      yield* rows;
      opts.onProgress?.(stats.rows, stats.bytes);
    }
  }
  const it = gen();
  return { stats, [Symbol.asyncIterator]: () => it };
}
