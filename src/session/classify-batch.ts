/**
 * Classifying a batch of HAR entries: the work `classify` hands to its worker threads (and does
 * itself when no worker can run). An entry's JSON text goes in; out comes its record without the
 * evidence (for the aggregates), the record's session-log line, and where the evidence's JSON sits
 * in that line (for the HTML report's rows).
 */
import { classifyExchange } from '../classifiers/index.js';
import { EMPTY_EVIDENCE, type ExchangeRecord } from '../core/types.js';
import { harEntryToRaw } from '../sources/har.js';
import { recordLine } from '../sources/session-log.js';

export interface EntriesJob {
  readonly type: 'entries';
  /** Batch number, from 0, in file order. */
  readonly batch: number;
  /** Exchange ids are `${idPrefix}-${first + i}`. */
  readonly idPrefix: string;
  readonly first: number;
  /** JSON text of each entry (null: over the scanner's budget). */
  readonly texts: readonly (string | null)[];
}

export interface ClassifiedEntry {
  /** The record with EMPTY_EVIDENCE: the evidence is in `line`. */
  readonly record: ExchangeRecord;
  /** JSON.stringify of the full record. */
  readonly line: string;
  readonly evidenceAt: number;
  readonly evidenceLength: number;
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
      const record = classifyExchange(c.raw);
      const { line, evidenceAt, evidenceLength } = recordLine(record);
      out.push({
        record: { ...record, evidence: EMPTY_EVIDENCE },
        line,
        evidenceAt,
        evidenceLength,
      });
    }
  }
  return out;
}
