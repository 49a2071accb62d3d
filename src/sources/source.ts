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
import type { HarEntryText } from './har.js';
import type { SignInRow } from './signins/row.js';

export type SourceReader = EntriesReader | SignInsReader | RecordsReader;

/** Progress after each chunk read: items (entries, rows) seen so far and bytes read. */
export type OnRead = (items: number, bytes: number) => void;

export interface EntriesReader {
  readonly yields: 'entries';
  /** The pure task that turns a batch of entries' text into records (src/session/classify-batch.ts). */
  readonly task: 'classify-entries';
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
  /** The rows, in order; `stats.skipped` counts rows left out, by reason. */
  read(
    path: string,
    onRead?: OnRead,
  ): AsyncIterable<SignInRow> & {
    readonly stats: { readonly skipped: ReadonlyMap<string, number> };
  };
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
