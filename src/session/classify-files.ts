/**
 * The one offline path: `classify FILE...`, `report SESSION` and `merge REPORT...` all record their
 * input files here into one session, ready for writeSessionReports (finish.ts builds the head).
 *
 * Each file's kind comes from the source registry (src/sources/registry.ts: detected, or forced by
 * `format`), and its reader says what it yields (src/sources/source.ts):
 * 1. `sign-ins` files are read first and folded: their records carry no HTTP, and their correlation
 *    ids must be known before the captured exchanges they started are recorded (the join:
 *    client-request-id = correlationId);
 * 2. `entries` and `records` files, in the order given: entries' text is classified by a pure task
 *    (in the worker pool, har-pipeline.ts), records are taken as they are; both joined to their
 *    sign-in;
 * 3. the folded sign-in records.
 * Every record goes through the same recording step: aggregates, the session log, the log line,
 * the HTML report's rows.
 */
import { basename } from 'node:path';
import { scrubText } from '../classifiers/secret-text.js';
import type { Logger } from '../core/logger.js';
import { TlsRejectionTally } from '../core/tls-rejections.js';
import {
  EMPTY_EVIDENCE,
  type Evidence,
  type ExchangeRecord,
  type JoinedSignInFacts,
  type ReportSource,
} from '../core/types.js';
import { ToolError } from '../core/errors.js';
import { openReportCache, type ReportCache } from '../report/report-cache.js';
import {
  detectSourceKind,
  sourceKind,
  type SourceKind,
  type SourceKindId,
} from '../sources/registry.js';
import {
  openSessionLog,
  readSessionLogLines,
  recordParts,
  type SessionLogWriter,
} from '../sources/session-log.js';
import type { EntriesReader, SourceContext, SourceReader } from '../sources/source.js';
import { createSignInFold } from '../sources/signins/fold.js';
import type { Session } from '../classifiers/session.js';
import type { EntryOutcome } from './classify-batch.js';
import { createEntryPool, type EntryPool } from './har-pipeline.js';
import { createPool, type Pool } from './pool.js';
import { createRecordStep, type RecordStep } from './record-step.js';
import type { RecordedSession } from './finish.js';

/** A batch of entries ends at this many entries or characters of JSON text, whichever comes first. */
const BATCH_ENTRIES = 100;
const BATCH_CHARS = 256 * 1024;

/** tokenIssuerType values as Graph spells them, from row.ts's folded tokens. */
const ISSUER_NAMES: Readonly<Record<string, string>> = {
  azuread: 'AzureAD',
  azureadbackupauth: 'AzureADBackupAuth',
  adfederationservices: 'ADFederationServices',
  adfederationservicesmfaadapter: 'ADFederationServicesMFAAdapter',
  npsextension: 'NPSExtension',
  unknownfuturevalue: 'UnknownFutureValue',
};

/**
 * Where the recorded session's exchanges are kept for its reports: a session log written at `log`
 * (`classify`); the input itself, when it is one session log (`report`: nothing is written); or
 * memory (`merge`, whose inputs are reports read whole).
 */
export type Keep = { readonly log: string } | 'input' | 'memory';

export interface ClassifyFilesOptions {
  readonly files: readonly string[];
  readonly keep: Keep;
  /** Forces every file's kind (`--format`). */
  readonly format?: SourceKindId;
  readonly logger?: Logger;
  /** Worker threads for sign-in chunks and entries (default: one per CPU, 1 to 4); 0: this thread. */
  readonly workers?: number;
  /** The worker module (tests substitute one that fails). */
  readonly workerUrl?: URL;
  /** Progress: the file, rows or entries seen, bytes read. */
  readonly onProgress?: (file: string, items: number, bytes: number) => void;
  /** One line per sign-in file with skipped rows (reason counts). */
  readonly onSkipped?: (file: string, skipped: ReadonlyMap<string, number>) => void;
}

export interface OfflineStats {
  /** Entries seen in all `entries` files. */
  entries: number;
  /** Entries that became exchanges. */
  kept: number;
  /** Malformed entries skipped. */
  skipped: number;
}

export interface OfflineSession extends RecordedSession {
  /** The aggregates, here in this thread. */
  readonly session: Session;
  readonly stats: OfflineStats;
  /** Remove the temporary files; call once the reports are written. */
  dispose(): void;
}

export interface ClassifiedFiles {
  readonly recorded: OfflineSession;
  readonly sources: ReportSource[];
  /** Sign-in rows read, and captured exchanges joined to one. */
  readonly signIns: { readonly rows: number; readonly joined: number };
}

interface Input {
  readonly file: string;
  readonly kind: SourceKind;
  readonly reader: SourceReader;
}

export async function classifyFiles(o: ClassifyFilesOptions): Promise<ClassifiedFiles> {
  const inputs: Input[] = await Promise.all(
    o.files.map(async (file) => {
      const kind = o.format !== undefined ? sourceKind(o.format) : await detectSourceKind(file);
      return { file, kind, reader: await kind.load() };
    }),
  );
  const sources: ReportSource[] = inputs.map((x) => ({ kind: x.kind.reportKind, name: x.file }));

  // The run's one pool: the sign-in files' chunks, then the entries' batches (no thread at all
  // when no input needs one).
  const size = o.workers ?? (inputs.every((x) => x.reader.yields === 'records') ? 0 : undefined);
  const pool = await createPool({
    ...(size !== undefined ? { size } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.workerUrl ? { workerUrl: o.workerUrl } : {}),
  });
  try {
    return await classifyWith(o, pool, inputs, sources);
  } finally {
    await pool.close();
  }
}

async function classifyWith(
  o: ClassifyFilesOptions,
  pool: Pool,
  inputs: readonly Input[],
  sources: ReportSource[],
): Promise<ClassifiedFiles> {
  // 1. Sign-in evidence, folded (and indexed for the join).
  const fold = createSignInFold();
  for (const { file, reader } of inputs) {
    if (reader.yields !== 'sign-ins') continue;
    const stats = await reader.fold(file, fold, {
      run: (c) => pool.run('signin-chunk', c),
      inFlight: Math.max(2, pool.size * 2),
      onProgress: (n, bytes) => o.onProgress?.(file, n, bytes),
    });
    if (stats.skipped.size > 0) o.onSkipped?.(basename(file), stats.skipped);
  }
  if (fold.joins.full) {
    o.logger?.warn(
      `more than ${fold.joins.rows} sign-ins: later ones are not joined to captured exchanges`,
    );
  }
  let joined = 0;
  const join = (r: ExchangeRecord): JoinedSignInFacts | null => {
    if (fold.rows === 0 || !r.clientRequestId || r.signIn) return null;
    const j = fold.joins.get(r.clientRequestId.toLowerCase());
    if (j === null) return null;
    joined++;
    return {
      tokenIssuerType: j.issuer === null ? null : (ISSUER_NAMES[j.issuer] ?? j.issuer),
      appName: j.appName === null ? null : scrubText(j.appName),
    };
  };

  const rec = openRecording(o);
  const step = rec.step;
  const stats: OfflineStats = { entries: 0, kept: 0, skipped: 0 };
  const told = { startedAt: null as string | null, endedAt: null as string | null };
  const seen = new Set<string>();
  const ctx: SourceContext = {
    span(startedAt, endedAt) {
      if (startedAt && (told.startedAt === null || startedAt < told.startedAt))
        told.startedAt = startedAt;
      if (endedAt && (told.endedAt === null || endedAt > told.endedAt)) told.endedAt = endedAt;
    },
    rejections: new TlsRejectionTally(),
    first: (key) => !seen.has(key) && seen.add(key) !== undefined,
  };
  let aborted = false;
  const apply = (outcomes: readonly EntryOutcome[]): void => {
    if (aborted) return;
    for (const x of outcomes) {
      if (x === 0) continue;
      if ('skip' in x) {
        stats.skipped++;
        continue;
      }
      stats.kept++;
      let record = JSON.parse(x.rest) as ExchangeRecord;
      let rest = x.rest;
      const signIn = join(record);
      if (signIn) {
        record = { ...record, signIn };
        // The record has no evidence here (its line gets x.evidence): its JSON is the rest.
        rest = JSON.stringify(record);
      }
      (record as { evidence: Evidence }).evidence = EMPTY_EVIDENCE;
      step.record(record, { rest, evidence: x.evidence });
    }
  };

  let entryPool: EntryPool | null = null;
  try {
    // 2. Traffic and records, in the order given.
    const entryFiles = inputs.filter((x) => x.reader.yields === 'entries').length;
    let nth = 0;
    for (const { file, reader } of inputs) {
      if (reader.yields === 'entries') {
        entryPool ??= createEntryPool({ pool, apply });
        await readEntries(file, reader, nth++, entryFiles);
      } else if (reader.yields === 'records') {
        for await (const r of reader.read(file, ctx)) {
          const signIn = join(r);
          // As they are: their line is the record, whatever the order of its members.
          step.record(signIn ? { ...r, signIn } : r);
        }
      }
    }
    await entryPool?.drain();
    // 3. The sign-in records.
    for (const record of fold.records()) {
      step.record({ ...record, evidence: EMPTY_EVIDENCE }, recordParts(record));
    }
  } catch (err) {
    // The recording ends here: batches still in flight are not recorded.
    aborted = true;
    rec.abort();
    await entryPool?.close();
    throw err;
  }
  const recorded = rec.finish();
  return {
    recorded: {
      ...recorded,
      ...(told.startedAt !== null ? { startedAt: told.startedAt } : {}),
      ...(told.endedAt !== null ? { endedAt: told.endedAt } : {}),
      rejections: ctx.rejections.hosts(),
      stats,
    },
    sources,
    signIns: { rows: fold.rows, joined },
  };

  async function readEntries(
    file: string,
    reader: EntriesReader,
    nth: number,
    of: number,
  ): Promise<void> {
    const idPrefix = reader.idPrefix(file, nth, of);
    const scan = reader.read(file);
    for await (const entries of scan) {
      stats.entries += entries.length;
      for (let k = 0; k < entries.length;) {
        // Small batches: a worker's working set stays in its young generation (measured: 40 MB
        // less peak RSS and 10% less CPU than a batch per 1 MiB read).
        const texts: (string | null)[] = [];
        let chars = 0;
        const first = entries[k]!.index;
        for (; k < entries.length && texts.length < BATCH_ENTRIES && chars < BATCH_CHARS; k++) {
          const text = entries[k]!.text;
          texts.push(text);
          chars += text?.length ?? 0;
        }
        await entryPool!.submit({ idPrefix, first, texts });
      }
      o.onProgress?.(file, scan.stats.entries, scan.stats.bytes);
    }
  }
}

/**
 * The recording of the offline path: the one recording step (record-step.ts) over the session log
 * when one is written (plus the HTML report's rows as a sink), else over nothing.
 */
function openRecording(o: ClassifyFilesOptions): {
  readonly step: RecordStep;
  abort(): void;
  finish(): Omit<OfflineSession, 'stats'>;
} {
  const startedAt = new Date().toISOString();
  const keep = o.keep;
  let sessionLogPath: string | null = null;
  let log: SessionLogWriter | null = null;
  let cache: ReportCache | null = null;
  if (keep === 'input') {
    if (o.files.length !== 1) throw new ToolError('ERR_USAGE', 'one session log at a time');
    sessionLogPath = o.files[0]!;
    log = inputLog(sessionLogPath);
  } else if (keep !== 'memory') {
    const path = keep.log;
    sessionLogPath = path;
    log = openSessionLog(path, { startedAt });
    try {
      cache = openReportCache({ sessionLogPath: path, logLines: () => readSessionLogLines(path) });
    } catch (err) {
      log.close();
      throw err;
    }
  }
  const rows = cache;
  const step = createRecordStep({
    log,
    ...(o.logger ? { logger: o.logger } : {}),
    // The report's parts made while recording (report/report-cache.ts): a per-exchange sink.
    ...(rows ? { sinks: [rows] } : {}),
    // The input log is read back for the reports: nothing to keep here.
    ...(keep === 'input' ? { keepRecent: 1 } : {}),
  });
  return {
    step,
    abort() {
      rows?.dispose();
      step.close();
    },
    finish() {
      step.close();
      rows?.finish();
      const failure = log?.error ?? rows?.error;
      if (failure) {
        rows?.dispose();
        throw failure;
      }
      return {
        startedAt,
        session: step.session,
        aggregates: () => Promise.resolve(step.aggregates()),
        recent: (limit) => Promise.resolve(step.recent(limit)),
        sessionLogPath,
        settle: () => Promise.resolve(),
        ...(rows ? { bodies: rows.bodies() } : {}),
        dispose: () => rows?.dispose(),
      };
    },
  };
}

/**
 * The input session log as the recording's log (`report`): nothing is appended (the records are
 * already its lines), so the step keeps its few recent lines itself.
 */
function inputLog(path: string): SessionLogWriter {
  return {
    path,
    error: null,
    written: 0,
    end: 0,
    append: () => undefined,
    appendLine: () => -1,
    appendBytes: () => -1,
    flush: () => undefined,
    close: () => undefined,
  };
}
