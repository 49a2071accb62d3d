/**
 * The `Source` seam: what one input file gives the offline pipeline (src/session/classify-files.ts),
 * told by what its reader yields. A source kind (registry.ts) pairs a way to recognise a file with
 * one of these readers:
 *
 * - `entries`: traffic whose entries' text a pure task turns into records (HAR: the task parses
 *   and classifies each entry, in the worker pool when there is one);
 * - `sign-ins`: evidence without HTTP, rows folded into already-classified records (sign-in log
 *   exports; a row may stand for `count` sign-ins); they also index the correlation ids that join
 *   captured exchanges to their sign-in;
 * - `records`: records classified before (a session log, a JSON report), recorded as they are.
 */
import type { TlsRejectionTally } from '../core/tls-rejections.js';
import type { ExchangeRecord } from '../core/types.js';
import type { SignInChunk, SignInChunkResult } from './signins/chunk.js';
import type { SignInFold } from './signins/fold.js';

export type SourceReader = EntriesReader | SignInsReader | RecordsReader;

/** One element of a HAR's log.entries: its index and JSON text (null: over the scanner's budget). */
export interface HarEntryText {
  readonly index: number;
  readonly text: string | null;
}

/** Progress after each chunk read: items (entries, rows) seen so far and bytes read. */
export type OnRead = (items: number, bytes: number) => void;

export interface EntriesReader {
  readonly yields: 'entries';
  /** The entries' text, batch by batch, in file order; `stats` filled in as it is read. */
  read(path: string): AsyncIterable<readonly HarEntryText[]> & {
    readonly stats: { readonly entries: number; readonly bytes: number };
  };
  /**
   * Exchange ids are `<prefix>-<entry index>`; `nth` (from 0) of `of` files of this kind in the
   * run, so that files sharing a name keep unique ids.
   */
  idPrefix(path: string, nth: number, of: number): string;
}

export interface SignInsReader {
  readonly yields: 'sign-ins';
  /**
   * The file's rows folded into `fold`: cut into chunks of whole records, each parsed and folded by
   * `opts.run` (the pool's `signin-chunk` task; in this thread without it), the parts merged in
   * file order. Returns the file's stats (`skipped`: rows left out, by reason).
   */
  fold(
    path: string,
    fold: SignInFold,
    opts: SignInFoldOptions,
  ): Promise<{ readonly skipped: ReadonlyMap<string, number> }>;
}

export interface SignInFoldOptions {
  /** Runs the `signin-chunk` task (the pool's run); default: in this thread. */
  run?(chunk: SignInChunk): Promise<SignInChunkResult>;
  /** Chunks submitted and not yet merged, at most: bounds memory. */
  inFlight?: number;
  onProgress?: OnRead;
}

export interface RecordsReader {
  readonly yields: 'records';
  /** The records, in order; what the file says of its session goes to `ctx`. */
  read(path: string, ctx: SourceContext): AsyncIterable<ExchangeRecord>;
}

/** What a `records` input may say about the session it came from, shared by the run's inputs. */
export interface SourceContext {
  /** The session's start and end as the input tells them (null: it does not say). */
  span(startedAt: string | null, endedAt: string | null): void;
  /** Refused TLS handshakes the input tells of (a session log's notes, a report's findings). */
  readonly rejections: TlsRejectionTally;
  /** True the first time `key` is given in this run: the same shard or exchange given twice. */
  first(key: string): boolean;
}
