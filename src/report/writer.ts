/**
 * The one module of src/report that does file I/O: picks a renderer by file extension (formats.ts)
 * and streams its chunks to disk. Each file is written to a temporary file in the same directory and renamed
 * into place, so a reader (or a crash) never sees half a report.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir, rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { ToolError, oneLine } from '../core/errors.js';
import type { ExchangeRecord } from '../core/types.js';
import type { ReportChunk, ReportInput } from './build.js';
import { formatOf, renderReport, type ReportFormat } from './formats.js';

/** Small chunks are gathered up to this size before a write. */
const WRITE_BATCH = 64 * 1024;

/**
 * Chunks as they go out to a file or a socket: text gathered up to WRITE_BATCH, bytes (ready to
 * go) passed on as they are, after the text before them. A consumer that stops early returns the
 * source's iterator too (its `finally` blocks run: a session-log reader closes its file).
 */
export async function* batched(chunks: AsyncIterable<ReportChunk>): AsyncGenerator<ReportChunk> {
  let pending = '';
  for await (const chunk of chunks) {
    if (typeof chunk === 'string') {
      pending += chunk;
      if (pending.length < WRITE_BATCH) continue;
    }
    if (pending) yield pending;
    pending = '';
    if (typeof chunk !== 'string' && chunk.length > 0) yield chunk;
  }
  if (pending) yield pending;
}

/** The whole report in memory: for small sessions and the live dashboard. */
export async function renderToString(format: ReportFormat, input: ReportInput): Promise<string> {
  const parts: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of renderReport(format, input)) {
    parts.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

/**
 * Write every file (format by extension), one after another, each streamed and atomic, mode 0644.
 * All formats are checked before anything is written. Errors: ToolError ERR_USAGE for an unknown
 * extension, ERR_IO with the path for a failed write; a ToolError from the exchange source (e.g. a
 * damaged session log) passes through unchanged.
 */
export async function writeReports(input: ReportInput, files: readonly string[]): Promise<void> {
  const jobs = files.map((file) => ({ file, format: formatOf(file) }));
  if (jobs.length <= 1) {
    for (const { file, format } of jobs) await writeOne(file, renderReport(format, input));
    return;
  }
  // Several files: one pass over the exchanges feeds every renderer (a session log of 100,000
  // exchanges is read once, not once per file); the files are written side by side.
  const tee = teeExchanges(input, jobs.length);
  await Promise.all(
    jobs.map(async ({ file, format }, i) => {
      try {
        await writeOne(file, renderReport(format, tee.inputs[i]!));
      } finally {
        tee.release(i);
      }
    }),
  );
}

/**
 * `n` inputs whose first `exchanges()` call is served by one shared pass over `input`'s exchanges
 * (a renderer that asks again gets a fresh pass of its own). The pass starts once every consumer
 * has asked or been released (a renderer that never reads exchanges, like JUnit, is released when
 * its file is written), and runs at the pace of the slowest reader: it waits while any queue holds
 * QUEUE_MAX records. An error of the source reaches every reader.
 */
function teeExchanges(
  input: ReportInput,
  n: number,
): { inputs: ReportInput[]; release(i: number): void } {
  const QUEUE_MAX = 256;
  interface Consumer {
    state: 'idle' | 'reading' | 'done';
    queue: ExchangeRecord[];
    wake: (() => void) | null;
  }
  const consumers: Consumer[] = Array.from({ length: n }, () => ({
    state: 'idle' as const,
    queue: [],
    wake: null,
  }));
  let started = false;
  let finished = false;
  let failure: unknown = null;
  let resume: (() => void) | null = null;
  const wakeAll = (): void => {
    for (const c of consumers) {
      c.wake?.();
      c.wake = null;
    }
  };
  const unblock = (): void => {
    resume?.();
    resume = null;
  };
  const pump = async (): Promise<void> => {
    try {
      for await (const r of input.exchanges()) {
        let readers = 0;
        for (const c of consumers) {
          if (c.state !== 'reading') continue;
          c.queue.push(r);
          readers++;
        }
        if (readers === 0) break;
        wakeAll();
        while (consumers.some((c) => c.state === 'reading' && c.queue.length >= QUEUE_MAX)) {
          await new Promise<void>((res) => (resume = res));
        }
      }
    } catch (err) {
      failure = err;
    }
    finished = true;
    wakeAll();
  };
  const maybeStart = (): void => {
    if (started || consumers.some((c) => c.state === 'idle')) return;
    started = true;
    void pump();
  };
  const inputs = consumers.map((c): ReportInput => {
    let used = false;
    return {
      head: input.head,
      ...(input.bodies ? { bodies: input.bodies } : {}),
      ...(input.failOn !== undefined ? { failOn: input.failOn } : {}),
      exchanges: () => {
        if (used || c.state === 'done') return input.exchanges();
        used = true;
        c.state = 'reading';
        maybeStart();
        return (async function* (): AsyncGenerator<ExchangeRecord> {
          try {
            for (;;) {
              const r = c.queue.shift();
              if (r !== undefined) {
                if (c.queue.length < QUEUE_MAX / 2) unblock();
                yield r;
                continue;
              }
              if (failure !== null) throw failure;
              if (finished) return;
              await new Promise<void>((res) => (c.wake = res));
            }
          } finally {
            c.state = 'done';
            c.queue = [];
            unblock();
          }
        })();
      },
    };
  });
  return {
    inputs,
    release(i) {
      const c = consumers[i];
      if (!c || c.state === 'done') return;
      if (c.state === 'idle') {
        c.state = 'done';
        maybeStart();
      }
    },
  };
}

async function writeOne(file: string, chunks: AsyncIterable<ReportChunk>): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let stream: WriteStream | undefined;
  try {
    await io(file, () => mkdir(dir, { recursive: true }));
    stream = await io(file, () => openStream(tmp));
    await pipeChunks(file, chunks, stream);
    await io(file, () => chmod(tmp, 0o644));
    await io(file, () => rename(tmp, file));
  } catch (err) {
    stream?.destroy();
    await unlink(tmp).catch(() => {
      // The temp file may never have been created; nothing else to clean up.
    });
    throw ioError(file, err);
  }
}

async function pipeChunks(
  file: string,
  chunks: AsyncIterable<ReportChunk>,
  stream: WriteStream,
): Promise<void> {
  let failure: unknown;
  const onError = (err: unknown): void => {
    failure ??= err;
  };
  stream.on('error', onError);
  const check = (): void => {
    if (failure !== undefined) throw ioError(file, failure);
  };
  const write = async (s: ReportChunk): Promise<void> => {
    check();
    if (!stream.write(s)) {
      // Wait for drain (or close); the listener that did not fire is removed again.
      const ac = new AbortController();
      try {
        await Promise.race([
          once(stream, 'drain', { signal: ac.signal }),
          once(stream, 'close', { signal: ac.signal }),
        ]);
      } finally {
        ac.abort();
      }
    }
    check();
  };
  for await (const chunk of batched(chunks)) await write(chunk);
  check();
  stream.end();
  // 'close' follows 'finish' once the descriptor is closed (autoClose), so the rename sees it all.
  if (!stream.closed) await once(stream, 'close');
  check();
}

async function openStream(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags: 'wx', mode: 0o644, encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

async function io<T>(file: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw ioError(file, err);
  }
}

function ioError(file: string, err: unknown): ToolError {
  if (err instanceof ToolError) return err;
  return new ToolError('ERR_IO', `cannot write report ${file}: ${oneLine(err)}`, { cause: err });
}
