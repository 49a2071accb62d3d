/**
 * Classifying a batch of HAR entries: the pool's `classify-entries` task (tasks.ts), which
 * `classify` hands to its worker threads. An entry's JSON text goes in; out come its record without the
 * evidence and the evidence, each as JSON text: the pipeline parses the first for the aggregates,
 * joins both into the session-log line and reuses the evidence text in the HTML report's rows.
 */
import { classifyExchange } from '../classifiers/index.js';
import { harEntryToRaw } from '../sources/har.js';
import { recordParts } from '../sources/session-log.js';

export interface EntriesJob {
  /** Exchange ids are `${idPrefix}-${first + i}`. */
  readonly idPrefix: string;
  readonly first: number;
  /** JSON text of each entry (null: over the scanner's budget). */
  readonly texts: readonly (string | null)[];
}

export interface ClassifiedEntry {
  /** The record without its evidence, as JSON (see recordParts). */
  readonly rest: string;
  /** Its evidence, as JSON. */
  readonly evidence: string;
}

/** Per entry: classified, skipped (why), or 0 when its host is not one the proxy would record. */
export type EntryOutcome = ClassifiedEntry | { readonly skip: string } | 0;

export function classifyEntries(job: EntriesJob): EntryOutcome[] {
  const out: EntryOutcome[] = [];
  for (let i = 0; i < job.texts.length; i++) {
    const c = harEntryToRaw(job.texts[i] ?? null, `${job.idPrefix}-${job.first + i}`);
    if ('filtered' in c) out.push(0);
    else if ('skip' in c) out.push({ skip: c.skip });
    else {
      // Strings only: they cross to the pipeline's thread as a copy of bytes, where an object
      // would be serialized member by member.
      out.push(recordParts(classifyExchange(c.raw)));
    }
  }
  return out;
}
