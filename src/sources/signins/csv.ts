/**
 * A streaming CSV splitter (RFC 4180: quoted fields, "" inside quotes, CRLF or LF, newlines inside
 * quotes), fed chunk by chunk. A record longer than RECORD_BUDGET characters is given as null (too
 * large) and the splitter resumes at the next record: a 2 GB file with one runaway quote costs
 * bounded memory and is reported, not held.
 */

/** Characters of one CSV record kept before it is given up as too large. */
export const RECORD_BUDGET = 1024 * 1024;

export class CsvSplitter {
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

  /** Records completed in this chunk (null: one that was too large). */
  feed(s: string): (string[] | null)[] {
    const out: (string[] | null)[] = [];
    let i = 0;
    const n = s.length;
    if (!this.started && n > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (this.afterCr && i < n && s[i] === '\n') i++;
    this.afterCr = false;
    let from = i;
    while (i < n) {
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
    return out;
  }

  /** At end of input: the last record, if the file does not end in a newline. */
  end(): { records: (string[] | null)[]; unterminatedQuote: boolean } {
    const out: (string[] | null)[] = [];
    const unterminatedQuote = this.inQuotes && !this.quotePending;
    if (this.fieldLen > 0 || this.record.length > 0 || this.inQuotes) this.endRecord(out);
    return { records: out, unterminatedQuote };
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
    if (!this.oversize)
      this.record.push(this.field.length === 1 ? (this.field[0] as string) : this.field.join(''));
    this.field = [];
    this.fieldLen = 0;
  }

  private endRecord(out: (string[] | null)[]): void {
    this.endField();
    if (this.oversize) out.push(null);
    else if (!(this.record.length === 1 && this.record[0] === '')) out.push(this.record);
    this.record = [];
    this.recordLen = 0;
    this.oversize = false;
    this.inQuotes = false;
    this.quotePending = false;
  }
}

/** A header name as the lenient matcher compares it: trimmed, whitespace collapsed, lower case. */
export function headerKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}
