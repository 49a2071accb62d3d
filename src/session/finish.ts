/**
 * Turning a recorded session into reports: the aggregates come from the recorder, the exchanges are
 * streamed back from the session log, so a session of any length renders in bounded memory.
 */
import { stat } from 'node:fs/promises';
import type { HostRejections } from '../core/tls-rejections.js';
import type { ExchangeRecord, ReportSource, Verdict } from '../core/types.js';
import { VERSION } from '../version.js';
import {
  buildReportHead,
  type ReportBodies,
  type ReportChunk,
  type ReportInput,
} from '../report/build.js';
import { renderReport, type ReportFormat } from '../report/formats.js';
import { renderToString, writeReports } from '../report/writer.js';
import { readSessionLog } from '../sources/session-log.js';
import type { Recorder } from './recorder.js';

/**
 * What reports need of a recording: a live Recorder, or what the offline path (classify-files.ts)
 * recorded from files. `startedAt` and, when the sources tell it, `endedAt` are the session's span.
 */
export type RecordedSession = Pick<
  Recorder,
  'aggregates' | 'startedAt' | 'sessionLogPath' | 'recent' | 'settle'
> & {
  /** Report parts made while recording (see ReportBodies). */
  readonly bodies?: ReportBodies;
  /** The session's end as its sources tell it (a session log's, merged reports'); else the report's time. */
  readonly endedAt?: string;
  /** Refused TLS handshakes its sources told of (see ReportOptions.rejections). */
  readonly rejections?: readonly HostRejections[];
};

/** How reports are rendered: the run's `--fail-on` threshold (see ReportInput.failOn). */
export interface ReportOptions {
  readonly failOn?: Verdict | null;
  /** Refused TLS handshakes per host (the live proxy's): session findings of the head. */
  readonly rejections?: readonly HostRejections[];
}

export async function reportInput(
  recorder: RecordedSession,
  sources: readonly ReportSource[],
  endedAt: string = new Date().toISOString(),
  options: ReportOptions = {},
): Promise<ReportInput> {
  const { applications, summary } = await recorder.aggregates();
  const rejections = options.rejections ?? recorder.rejections;
  // The one place a report head is made from a recording (live, `classify`, `report`, `merge`).
  const head = buildReportHead({
    applications,
    summary,
    startedAt: recorder.startedAt,
    endedAt: recorder.endedAt ?? endedAt,
    sources,
    version: VERSION,
    ...(rejections ? { rejections } : {}),
  });
  const logPath = recorder.sessionLogPath;
  // The log as it is now holds every record the aggregates count (a worker appends before it
  // answers; a writer in this thread flushes on the next turn, awaited here): a report read while
  // traffic goes on stops there, so its exchanges match its head.
  let end: number | null = null;
  if (logPath) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    end = await sizeOf(logPath);
  }
  const exchanges = (): AsyncIterable<ExchangeRecord> =>
    logPath ? readSessionLog(logPath, end !== null ? { end } : {}) : held(recorder);
  return {
    head,
    exchanges,
    ...(recorder.bodies ? { bodies: recorder.bodies } : {}),
    ...(options.failOn !== undefined ? { failOn: options.failOn } : {}),
  };
}

/** The file's size now; null when it cannot be had (the reader then reports the problem). */
async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/** Without a session log every record is held in memory (see recorderCore). */
async function* held(recorder: RecordedSession): AsyncIterable<ExchangeRecord> {
  yield* await recorder.recent(Number.MAX_SAFE_INTEGER);
}

export async function writeSessionReports(
  recorder: RecordedSession,
  sources: readonly ReportSource[],
  files: readonly string[],
  options: ReportOptions = {},
): Promise<ReportInput> {
  await recorder.settle();
  const input = await reportInput(recorder, sources, undefined, options);
  await writeReports(input, files);
  return input;
}

/**
 * The report so far as chunks to stream (see LiveSession.renderStream), rendered in this thread as
 * the caller pulls them (the dashboard's downloads give the event loop a turn every 64 KiB or 2 ms).
 */
export async function streamSession(
  recorder: RecordedSession,
  sources: readonly ReportSource[],
  format: ReportFormat,
  options: ReportOptions = {},
): Promise<AsyncIterable<ReportChunk>> {
  await recorder.settle();
  return renderReport(format, await reportInput(recorder, sources, undefined, options));
}

export async function renderSession(
  recorder: RecordedSession,
  sources: readonly ReportSource[],
  format: ReportFormat,
  options: ReportOptions = {},
): Promise<string> {
  await recorder.settle();
  return renderToString(format, await reportInput(recorder, sources, undefined, options));
}
