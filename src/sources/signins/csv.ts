/**
 * A streaming CSV splitter (RFC 4180: quoted fields, "" inside quotes, CRLF or LF, newlines inside
 * quotes), fed chunk by chunk. A record longer than RECORD_BUDGET characters is given as null (too
 * large) and the splitter resumes at the next record: a 2 GB file with one runaway quote costs
 * bounded memory and is reported, not held.
 *
 * Speed (measured, bench section 8): a line without quotes is split by indexOf(',') in one go, and
 * after `select()` only the columns a caller reads are cut out (the others are ''), so a 59-column
 * admin-center export costs a few strings per row, not 59. `CsvCutter` finds record boundaries in
 * the raw bytes by the same quoting rule, so a file can be cut into chunks of whole records that
 * are split independently (in parallel, by the pool's `signin-chunk` task).
 */

/** Characters of one CSV record kept before it is given up as too large. */
export const RECORD_BUDGET = 1024 * 1024;

export class CsvSplitter {
  /** `bom`: a U+FEFF opening the first chunk is a byte-order mark (false for a chunk mid-file). */
  constructor(bom = true) {
    this.started = !bom;
  }

  private field: string[] = [];
  private fieldLen = 0;
  private record: string[] = [];
  private recordLen = 0;
  private inQuotes = false;
  /** A quote was just seen inside a quoted field: either "" (an escaped quote) or its end. */
  private quotePending = false;
  private oversize = false;
  private started = false;
  /** The previous chunk ended in CR: a LF starting this one belongs to it. */
  private afterCr = false;
  /** Columns kept (select); null: all. */
  private keep: boolean[] | null = null;
  /** Nothing of the next record read yet. */
  private atStart = true;

  /** Keep only these columns' text from now on; the others are given as ''. null: all. */
  select(columns: readonly number[] | null): this {
    if (columns === null) this.keep = null;
    else {
      this.keep = [];
      for (const c of columns) this.keep[c] = true;
    }
    return this;
  }

  /** Records completed in this chunk (null: one that was too large). */
  feed(s: string): (string[] | null)[] {
    const out: (string[] | null)[] = [];
    this.each(s, (r) => out.push(r));
    return out;
  }

  /**
   * feed(), each record given to `out` as soon as it is complete: a chunk's records are not all
   * alive at once (a caller that maps and drops each one leaves only short-lived garbage).
   */
  each(s: string, out: (record: string[] | null) => void): void {
    let i = 0;
    const n = s.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (this.afterCr && i < n && s[i] === '\n') i++;
    this.afterCr = false;
    let from = i;
    /** The fast path gave up on the record starting here: the state machine reads it. */
    let slowFrom = -1;
    while (i < n) {
      if (this.atStart) {
        if (i !== slowFrom) {
          const end = this.fastRecord(s, i, n, out);
          if (end >= 0) {
            i = from = end;
            continue;
          }
          slowFrom = i;
        }
        this.atStart = false;
      }
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (s[i] === '"') {
            // "" inside quotes: the second quote is kept as text.
            from = i;
            i++;
            continue;
          }
          this.inQuotes = false;
          continue; // re-read this character outside quotes
        }
        const q = s.indexOf('"', i);
        if (q < 0) {
          i = n;
          break;
        }
        this.take(s, from, q);
        from = q + 1;
        this.quotePending = true;
        i = q + 1;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === 0x2c /* , */) {
        this.take(s, from, i);
        this.endField();
        from = ++i;
      } else if (c === 0x0a || c === 0x0d) {
        this.take(s, from, i);
        this.endRecord(out);
        if (c === 0x0d) {
          if (i + 1 < n) {
            if (s[i + 1] === '\n') i++;
          } else this.afterCr = true;
        }
        from = ++i;
      } else if (c === 0x22 /* " */ && this.fieldLen === 0 && from === i) {
        this.inQuotes = true;
        from = ++i;
      } else i++;
    }
    this.take(s, from, n);
  }

  /** At end of input: the last record, if the file does not end in a newline. */
  end(): { records: (string[] | null)[]; unterminatedQuote: boolean } {
    const records: (string[] | null)[] = [];
    const unterminatedQuote = this.inQuotes && !this.quotePending;
    if (this.fieldLen > 0 || this.record.length > 0 || this.inQuotes)
      this.endRecord((r) => records.push(r));
    return { records, unterminatedQuote };
  }

  /**
   * The record starting at `start` when it ends in this chunk and is plain (quoted fields closed
   * right before a comma or line end): its fields to `out`, and the index after its line end.
   * -1 otherwise: the state machine reads it instead, with the same result.
   */
  private fastRecord(
    s: string,
    start: number,
    n: number,
    out: (record: string[] | null) => void,
  ): number {
    const keep = this.keep;
    const rec: string[] = [];
    let i = start;
    let nl = -1;
    let cr = -1;
    for (let k = 0; ; k++) {
      const kept = keep === null || keep[k] === true;
      let c: number;
      if (s.charCodeAt(i) === 0x22) {
        let j = i + 1;
        let parts: string[] | null = null;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q < 0 || q + 1 >= n) return -1;
          if (s.charCodeAt(q + 1) === 0x22) {
            if (kept) (parts ??= []).push(s.slice(j, q + 1));
            j = q + 2;
            continue;
          }
          c = q + 1;
          const t = s.charCodeAt(c);
          if (t !== 0x2c && t !== 0x0a && t !== 0x0d) return -1;
          rec.push(!kept ? '' : parts === null ? s.slice(j, q) : parts.join('') + s.slice(j, q));
          break;
        }
      } else {
        if (nl < i) {
          nl = s.indexOf('\n', i);
          if (nl < 0) return -1;
        }
        if (cr < i) {
          cr = s.indexOf('\r', i);
          if (cr < 0) cr = n;
        }
        let comma = s.indexOf(',', i);
        if (comma < 0) comma = n;
        c = comma < nl ? (comma < cr ? comma : cr) : nl < cr ? nl : cr;
        rec.push(kept ? s.slice(i, c) : '');
      }
      if (s.charCodeAt(c) === 0x2c) {
        i = c + 1;
        if (i >= n) return -1;
        continue;
      }
      let end = c + 1;
      if (s.charCodeAt(c) === 0x0d) {
        if (end >= n) return -1;
        if (s.charCodeAt(end) === 0x0a) end++;
      }
      if (end - start > RECORD_BUDGET) return -1;
      if (!(rec.length === 1 && rec[0] === '')) out(rec);
      return end;
    }
  }

  private take(s: string, from: number, to: number): void {
    if (to <= from || this.oversize) return;
    this.recordLen += to - from;
    if (this.recordLen > RECORD_BUDGET) {
      this.oversize = true;
      this.field = [];
      this.record = [];
      return;
    }
    this.field.push(from === 0 && to === s.length ? s : s.slice(from, to));
    this.fieldLen += to - from;
  }

  private endField(): void {
    if (!this.oversize) {
      const keep = this.keep;
      this.record.push(
        keep !== null && keep[this.record.length] !== true
          ? ''
          : this.field.length === 1
            ? (this.field[0] as string)
            : this.field.join(''),
      );
    }
    this.field = [];
    this.fieldLen = 0;
  }

  private endRecord(out: (record: string[] | null) => void): void {
    this.endField();
    if (this.oversize) out(null);
    else if (!(this.record.length === 1 && this.record[0] === '')) out(this.record);
    this.record = [];
    this.recordLen = 0;
    this.oversize = false;
    this.inQuotes = false;
    this.quotePending = false;
    this.atStart = true;
  }
}

/** Bytes of one record the cutter holds before it gives the record up as too large. */
export const CUT_BUDGET = 4 * RECORD_BUDGET;

const Q = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts CSV bytes at record boundaries (a CR or LF outside quotes), by CsvSplitter's quoting rule: a
 * quote opens a quoted field only at the start of a field, "" inside quotes is a quote. Fed raw
 * bytes chunk by chunk (all the syntax is ASCII, so UTF-8 needs no decoding here); gives whole
 * records. A record growing past CUT_BUDGET bytes is dropped (`oversize` counts it) up to its end.
 */
export class CsvCutter {
  private inQuotes = false;
  /** In quotes, and the previous chunk ended with a quote: "" or the field's end. */
  private quotePending = false;
  /** The last byte of the previous chunk (a field starts after , CR LF or at the start). */
  private prev = LF;
  private carry: Buffer[] = [];
  private carryLen = 0;
  private skipping = false;
  /** Records dropped as too large. */
  oversize = 0;
  private readonly regions: number[] = [];

  /** Whole records completed by this chunk (empty when none). */
  feed(b: Buffer): Buffer {
    const cut = this.boundary(b);
    if (cut < 0) {
      if (!this.skipping) {
        this.carry.push(b);
        this.carryLen += b.length;
        if (this.carryLen > CUT_BUDGET) this.giveUp();
      }
      return EMPTY;
    }
    let out: Buffer;
    if (this.skipping) {
      // The record too large ends at the first boundary: what follows it up to `cut` is whole.
      this.skipping = false;
      const first = this.firstBoundary(b);
      out = first < cut ? b.subarray(first, cut) : EMPTY;
    } else {
      this.carry.push(b.subarray(0, cut));
      out = this.carry.length === 1 ? (this.carry[0] as Buffer) : Buffer.concat(this.carry);
    }
    this.carry = cut < b.length ? [b.subarray(cut)] : [];
    this.carryLen = b.length - cut;
    // Only possible with a chunk larger than the budget: the rest is one record too large.
    if (this.carryLen > CUT_BUDGET) this.giveUp();
    return out;
  }

  /** The record being carried is too large: counted, dropped, and skipped up to its end. */
  private giveUp(): void {
    this.oversize++;
    this.skipping = true;
    this.carry = [];
    this.carryLen = 0;
  }

  /** At end of input: the last record without a line end, and whether it ends inside quotes. */
  end(): { rest: Buffer; unterminatedQuote: boolean } {
    const rest = this.skipping ? EMPTY : Buffer.concat(this.carry);
    this.carry = [];
    this.carryLen = 0;
    return { rest, unterminatedQuote: this.inQuotes && !this.quotePending };
  }

  /** After boundary(b): the index after the first record boundary in b (there is one). */
  private firstBoundary(b: Buffer): number {
    const regions = this.regions;
    for (let r = 0; r < regions.length; r += 2) {
      const from = regions[r] as number;
      const to = regions[r + 1] as number;
      const lf = b.indexOf(LF, from);
      const cr = b.indexOf(CR, from);
      const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (at >= 0 && at < to) return at + 1;
    }
    return b.length;
  }

  /** The index after the last record boundary in b, or -1; advances the quoting state over b. */
  private boundary(b: Buffer): number {
    const n = b.length;
    const regions = this.regions;
    regions.length = 0;
    let i = 0;
    if (this.quotePending && n > 0) {
      this.quotePending = false;
      if (b[0] === Q) i = 1;
      else this.inQuotes = false;
    }
    while (i < n) {
      if (this.inQuotes) {
        const q = b.indexOf(Q, i);
        if (q < 0) break;
        if (q + 1 >= n) {
          this.quotePending = true;
          break;
        }
        if (b[q + 1] === Q) i = q + 2;
        else {
          this.inQuotes = false;
          i = q + 1;
        }
        continue;
      }
      // Outside quotes up to the next quote that opens a field.
      let q = b.indexOf(Q, i);
      while (q >= 0) {
        const p = q > 0 ? (b[q - 1] as number) : this.prev;
        if (p === COMMA || p === LF || p === CR) break;
        q = b.indexOf(Q, q + 1);
      }
      const end = q < 0 ? n : q;
      if (end > i) regions.push(i, end);
      if (q < 0) break;
      this.inQuotes = true;
      i = q + 1;
    }
    if (n > 0) this.prev = b[n - 1] as number;
    for (let r = regions.length - 2; r >= 0; r -= 2) {
      const from = regions[r] as number;
      const to = (regions[r + 1] as number) - 1;
      const at = Math.max(b.lastIndexOf(LF, to), b.lastIndexOf(CR, to));
      if (at >= from) return at + 1;
    }
    return -1;
  }
}

const EMPTY = Buffer.alloc(0);

/** The index after the first record of b (its first CR or LF outside quotes), or -1. */
export function firstRecordEnd(b: Buffer): number {
  let inQuotes = false;
  let i = 0;
  while (i < b.length) {
    if (inQuotes) {
      const q = b.indexOf(Q, i);
      if (q < 0) return -1;
      if (b[q + 1] === Q) i = q + 2;
      else {
        inQuotes = false;
        i = q + 1;
      }
      continue;
    }
    let q = b.indexOf(Q, i);
    while (q > 0 && b[q - 1] !== COMMA && b[q - 1] !== LF && b[q - 1] !== CR)
      q = b.indexOf(Q, q + 1);
    const lf = b.indexOf(LF, i);
    const cr = b.indexOf(CR, i);
    const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
    if (end >= 0 && (q < 0 || end < q)) return end + 1;
    if (q < 0) return -1;
    inQuotes = true;
    i = q + 1;
  }
  return -1;
}

/** A header name as the lenient matcher compares it: trimmed, whitespace collapsed, lower case. */
export function headerKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}
