/**
 * The one list of input kinds (`SOURCE_KINDS`): what `classify` reads, what `--format` takes, what
 * a report names as its sources. A new input is a reader file (a `SourceReader`, source.ts) plus
 * one line here; the CLI's `--format` values and help, the detection and the offline pipeline
 * follow from it.
 *
 * Detection: a file whose name matches a kind's `name` is that kind (so a broken file still gets
 * its reader's own message); else the first kind whose `sniff` accepts the file's first bytes.
 * `signins` comes last and takes anything: its reader names the export shape it finds, or says in
 * one line why the file is none, so a new kind goes before it. The reader is loaded when a file
 * of its kind is read, so the list stays cheap for the CLI's option table.
 *
 * A kind whose `reportKind` or `recordSource` is new also adds it to REPORT_SOURCE_KINDS or
 * RECORD_SOURCES (core/types.ts) and to schema/report.schema.json: the compiler and
 * test/unit/sources/registry.test.ts point there.
 */
import type { RecordSource, ReportSourceKind } from '../core/types.js';
import { readFileHead } from './file-head.js';
import type { SourceReader } from './source.js';

export interface SourceKind {
  /** The `--format` value. */
  readonly id: string;
  /** What it is, for the help text. */
  readonly label: string;
  /** How a report names a file of this kind (`session.sources[].kind`). */
  readonly reportKind: ReportSourceKind;
  /** `ExchangeRecord.source` of the records it makes (null: records read keep their own). */
  readonly recordSource: RecordSource | null;
  /** A file name that makes a file this kind whatever its content. */
  readonly name?: RegExp;
  /** True when a file's first bytes (HEAD_BYTES at most, as text, BOM removed) are this kind. */
  sniff(head: string): boolean;
  /** Its reader (loaded on first use). */
  load(): Promise<SourceReader>;
}

/** How much of a file `sniff` sees. */
export const HEAD_BYTES = 4096;

export const SOURCE_KINDS = [
  {
    id: 'har',
    label: 'HAR 1.2 (browsers, Fiddler, Charles, mitmproxy)',
    reportKind: 'har',
    recordSource: 'har',
    name: /\.har$/i,
    sniff: (head) => /^\s*\{\s*"log"\s*:/.test(head),
    load: async () => (await import('./har.js')).harSource,
  },
  {
    id: 'session',
    label: 'an entra-bas-proxy session log (*.session.ndjson)',
    reportKind: 'session',
    recordSource: null,
    name: /\.session\.ndjson$/i,
    sniff: (head) =>
      /^\s*\{\s*"type"\s*:\s*"session"\s*,[^\n]*"tool"\s*:\s*"entra-bas-proxy"/.test(head),
    load: async () => (await import('./session-log-source.js')).sessionLogSource,
  },
  {
    id: 'report',
    label: 'an entra-bas-proxy JSON report (what `merge` combines)',
    reportKind: 'merge',
    recordSource: null,
    sniff: (head) =>
      /^\s*\{\s*"schemaVersion"\s*:\s*\d+\s*,\s*"tool"\s*:\s*\{\s*"name"\s*:\s*"entra-bas-proxy"/.test(
        head,
      ),
    load: async () => (await import('./report-file.js')).reportSource,
  },
  {
    id: 'signins',
    label: 'Entra sign-in log exports (Graph, admin center, diagnostic settings, Log Analytics)',
    reportKind: 'signins',
    recordSource: 'signin-log',
    sniff: () => true,
    load: async () => (await import('./signins/read.js')).signInsSource,
  },
] as const satisfies readonly SourceKind[];

export type SourceKindId = (typeof SOURCE_KINDS)[number]['id'];

export const SOURCE_KIND_IDS: readonly SourceKindId[] = SOURCE_KINDS.map((k) => k.id);

export function isSourceKindId(s: string): s is SourceKindId {
  return (SOURCE_KIND_IDS as readonly string[]).includes(s);
}

export function sourceKind(id: SourceKindId): SourceKind {
  // Always found: ids come from the list.
  return SOURCE_KINDS.find((x) => x.id === id)!;
}

/** The kind of one input file. Throws ToolError ERR_INPUT (one line) when it cannot be read. */
export async function detectSourceKind(path: string): Promise<SourceKind> {
  const byName = SOURCE_KINDS.find((k: SourceKind) => k.name?.test(path) === true);
  if (byName) return byName;
  const head = (await readFileHead(path, HEAD_BYTES)).toString('utf8').replace(/^\uFEFF/, '');
  // The last kind takes anything, so there is always one.
  return (
    SOURCE_KINDS.find((k: SourceKind) => k.sniff(head)) ?? SOURCE_KINDS[SOURCE_KINDS.length - 1]!
  );
}
