/**
 * The latest records of a live session, for the dashboard's list and detail view. They are not
 * kept in memory: the worker notes where each one's line starts in the session log and reads it
 * back when asked. Holding the last thousand lines as strings made every record survive long
 * enough to be copied and promoted by the garbage collector, which cost the classification worker
 * more than a tenth of its time. Without a session log the lines are all the copy there is, so
 * they are kept as strings.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { SessionLogWriter } from '../sources/session-log.js';

export class RecentLines {
  readonly #log: SessionLogWriter | null;
  readonly #keep: number;
  // Parallel rings, oldest first: ids and line offsets (or, without a log, the lines).
  #ids: string[] = [];
  #offsets: number[] = [];
  #lines: string[] = [];
  readonly #at = new Map<string, number>();
  /** Sequence number of the first entry of the rings. */
  #base = 0;

  constructor(log: SessionLogWriter | null, keep: number) {
    this.#log = log;
    this.#keep = log ? keep : Number.POSITIVE_INFINITY;
  }

  /** A record's line was appended to the log at `offset` (-1: not written; the line is kept). */
  note(id: string, offset: number, line: string): void {
    this.#at.set(id, this.#base + this.#ids.length);
    this.#ids.push(id);
    this.#offsets.push(offset);
    if (!this.#log || offset < 0) this.#lines[this.#ids.length - 1] = line;
    // Trimmed in steps, not one entry at a time (each trim moves the rings).
    if (this.#ids.length >= 2 * this.#keep) {
      const drop = this.#ids.length - this.#keep;
      for (const old of this.#ids.slice(0, drop)) this.#at.delete(old);
      this.#ids = this.#ids.slice(drop);
      this.#offsets = this.#offsets.slice(drop);
      this.#lines = this.#lines.slice(drop);
      this.#base += drop;
    }
  }

  /** The line of record `id`, if it is among the latest. */
  get(id: string): string | undefined {
    const seq = this.#at.get(id);
    return seq === undefined ? undefined : this.#read(seq - this.#base, 1)[0];
  }

  /** The latest `n` lines (fewer than `n` when not held), oldest first. */
  last(n: number): string[] {
    const count = Math.min(n, this.#ids.length, this.#keep);
    return this.#read(this.#ids.length - count, count);
  }

  /** `count` lines from ring index `from`, read from the log in one piece where they are there. */
  #read(from: number, count: number): string[] {
    if (count <= 0) return [];
    const log = this.#log;
    const start = this.#offsets[from] ?? -1;
    if (!log || start < 0 || this.#lines[from] !== undefined) {
      return this.#lines.slice(from, from + count).filter((l) => l !== undefined);
    }
    const next = from + count < this.#offsets.length ? this.#offsets[from + count]! : log.end;
    let fd: number | null = null;
    try {
      // Opened per read: reads are the dashboard's requests, and a session's log may be closed.
      fd = openSync(log.path, 'r');
      log.flush();
      const buf = Buffer.allocUnsafe(next - start);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, start + got);
        if (n === 0) break;
        got += n;
      }
      return buf
        .toString('utf8', 0, got)
        .split('\n')
        .filter((l) => l !== '')
        .slice(0, count);
    } catch {
      // The log became unreadable: the dashboard goes without these records.
      return [];
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
}
