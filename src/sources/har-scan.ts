/**
 * The HAR scanner: a small structural JSON scanner that walks a HAR's text chunk by chunk, checks
 * its structure, skips everything outside `log.entries` without building it, and cuts out the text
 * of one entry at a time for JSON.parse (src/sources/har.ts). While cutting, a JSON string longer
 * than `stringCap` is shortened in place and its end marked (TRUNCATED_MARK after JSON.parse), and an
 * entry over ENTRY_BUDGET characters is given as null (too large). Bounded memory, no I/O.
 * (stream-json's token stream, fed to an assembler, was measured at about 2 MB/s; this scanner
 * reads a 144 MB synthetic HAR of 100k entries at about 50 MB/s, close to JSON.parse of the whole.)
 */
import { ToolError } from '../core/errors.js';

/** Characters of JSON text kept per entry before it is skipped as too large. */
const ENTRY_BUDGET = 16 * 1024 * 1024;
const KEY_CAP = 256;
/** Appended (as JSON text) to a string the scanner shortened; seen as TRUNCATED_MARK after JSON.parse. */
export const TRUNCATED_MARK = '\u0000[truncated]';
const MARK_JSON = '\\u0000[truncated]';

/** The one-line ERR_HAR_INVALID error naming the file. */
export function invalidHar(file: string, what: string): ToolError {
  return new ToolError('ERR_HAR_INVALID', `${file}: ${what}`);
}

type Role = 'root' | 'log' | 'entries' | 'other';
interface Frame {
  readonly array: boolean;
  readonly role: Role;
  key: string;
  expectKey: boolean;
}

const SPECIAL_IN_STRING = /["\\]/g;
const STRUCTURAL = /["{}[\]]/g;
const SCALAR_END = /[,\]\s]/g;

function kindOf(c: string): string {
  if (c === '{') return 'an object';
  if (c === '[') return 'an array';
  if (c === '"') return 'a string';
  if (c === '-' || (c >= '0' && c <= '9')) return 'a number';
  return 'a literal';
}

/** JSON text -> the text of each element of log.entries (null: too large). */
export class HarScanner {
  private readonly frames: Frame[] = [];
  private rootClosed = false;
  private started = false;
  sawEntries = false;
  private offset = 0;
  // a string in the skeleton (outside entries)
  private inStr = false;
  private strIsKey = false;
  private strEsc = false;
  private keyParts: string[] = [];
  private keyLen = 0;
  private inScalar = false;
  // the entry being cut out
  private cap: string[] | null = null;
  private capLen = 0;
  private capDepth = 0;
  private capScalar = false;
  private capInStr = false;
  private capStrLen = 0;
  private capDrop = false;
  /** -1: the char after a backslash comes next; n > 0: n hex digits of \uXXXX to go. */
  private capEsc = 0;
  private capOversize = false;

  /** `file` names the file in errors; `stringCap`: characters kept per JSON string of an entry. */
  constructor(
    private readonly file: string,
    private readonly stringCap: number,
  ) {}

  /** Feed the next chunk of text; returns the entries completed in it. */
  feed(s: string): (string | null)[] {
    const out: (string | null)[] = [];
    let i = 0;
    while (i < s.length) i = this.cap ? this.scanEntry(s, i, out) : this.scanSkeleton(s, i);
    this.offset += s.length;
    return out;
  }

  /** At end of input: throws unless the document was a complete HAR. */
  end(): void {
    if (!this.started) throw invalidHar(this.file, 'empty file, not a HAR file');
    if (this.cap || this.inStr || this.frames.length > 0 || !this.rootClosed) {
      throw invalidHar(this.file, 'truncated JSON (unexpected end of file)');
    }
    if (!this.sawEntries) throw invalidHar(this.file, 'not a HAR file (no log.entries)');
  }

  private bad(what: string, at: number): ToolError {
    return invalidHar(this.file, `invalid JSON (${what} at offset ${this.offset + at})`);
  }

  private scanSkeleton(s: string, i: number): number {
    const n = s.length;
    while (i < n) {
      if (this.inStr) {
        i = this.skeletonString(s, i);
        continue;
      }
      const c = s[i] as string;
      if (this.inScalar) {
        if (/[\w.+-]/.test(c)) {
          i++;
          continue;
        }
        this.inScalar = false;
      }
      const top = this.frames[this.frames.length - 1];
      if (c === '"' && top && !top.array && top.expectKey) {
        this.inStr = true;
        this.strIsKey = true;
        this.keyParts = [];
        this.keyLen = 0;
        i++;
        continue;
      }
      switch (c) {
        case ' ':
        case '\n':
        case '\r':
        case '\t':
          i++;
          break;
        case ':':
          if (!top || top.array) throw this.bad("unexpected ':'", i);
          top.expectKey = false;
          i++;
          break;
        case ',':
          if (!top) throw this.bad("unexpected ','", i);
          if (!top.array) top.expectKey = true;
          i++;
          break;
        case '}':
        case ']':
          if (!top || top.array !== (c === ']')) throw this.bad(`unexpected '${c}'`, i);
          this.frames.pop();
          if (this.frames.length === 0) this.rootClosed = true;
          i++;
          break;
        default:
          if (!/[{["\d\-tfn]/.test(c)) throw this.bad(`unexpected character '${c}'`, i);
          if (this.valueStart(c, top, i)) return i;
          if (c === '"') {
            this.inStr = true;
            this.strIsKey = false;
          } else if (c !== '{' && c !== '[') this.inScalar = true;
          i++;
      }
    }
    return i;
  }

  /** A value starts in the skeleton; true when it is an entry (the caller switches to cutting). */
  private valueStart(c: string, top: Frame | undefined, i: number): boolean {
    this.started = true;
    if (!top) {
      if (this.rootClosed) {
        // e.g. NDJSON (a session log given as a HAR): say what matters first.
        if (!this.sawEntries) throw invalidHar(this.file, 'not a HAR file (no log.entries)');
        throw invalidHar(this.file, 'unexpected data after the JSON document');
      }
      if (c !== '{') throw invalidHar(this.file, `not a HAR file (top level is ${kindOf(c)})`);
      this.frames.push({ array: false, role: 'root', key: '', expectKey: true });
      return false;
    }
    if (top.role === 'entries') {
      this.cap = [];
      this.capLen = 0;
      this.capDepth = 0;
      this.capOversize = false;
      this.capScalar = c !== '{' && c !== '[' && c !== '"';
      return true;
    }
    if (!top.array && top.expectKey) throw this.bad('expected a key', i);
    let role: Role = 'other';
    if (!top.array && top.role === 'root' && top.key === 'log') {
      if (c !== '{') throw invalidHar(this.file, `not a HAR file (log is ${kindOf(c)})`);
      role = 'log';
    } else if (!top.array && top.role === 'log' && top.key === 'entries') {
      if (c !== '[') {
        throw invalidHar(this.file, `not a HAR file (log.entries is ${kindOf(c)}, not an array)`);
      }
      role = 'entries';
      this.sawEntries = true;
    }
    if (c === '{') this.frames.push({ array: false, role, key: '', expectKey: true });
    else if (c === '[') this.frames.push({ array: true, role, key: '', expectKey: false });
    return false;
  }

  private skeletonString(s: string, i: number): number {
    const n = s.length;
    while (i < n) {
      if (this.strEsc) {
        this.strEsc = false;
        i++;
        continue;
      }
      SPECIAL_IN_STRING.lastIndex = i;
      const m = SPECIAL_IN_STRING.exec(s);
      const j = m ? m.index : n;
      if (this.strIsKey && this.keyLen < KEY_CAP) {
        const piece = s.slice(i, Math.min(j, i + KEY_CAP));
        this.keyParts.push(piece);
        this.keyLen += piece.length;
      }
      if (!m) return n;
      if (s[j] === '"') {
        this.inStr = false;
        const top = this.frames[this.frames.length - 1];
        if (this.strIsKey && top) top.key = this.keyParts.join('');
        return j + 1;
      }
      this.strEsc = true;
      i = j + 1;
    }
    return i;
  }

  private append(text: string): void {
    if (this.capOversize || this.cap === null) return;
    this.capLen += text.length;
    if (this.capLen > ENTRY_BUDGET) {
      this.capOversize = true;
      this.cap = [];
    } else this.cap.push(text);
  }

  private finish(out: (string | null)[]): void {
    out.push(this.capOversize || this.cap === null ? null : this.cap.join(''));
    this.cap = null;
  }

  private scanEntry(s: string, i: number, out: (string | null)[]): number {
    const n = s.length;
    while (i < n) {
      if (this.capInStr) {
        if (this.capEsc !== 0) {
          const c = s[i] as string;
          this.capEsc = this.capEsc === -1 ? (c === 'u' ? 4 : 0) : this.capEsc - 1;
          if (!this.capDrop) this.append(c);
          i++;
          continue;
        }
        SPECIAL_IN_STRING.lastIndex = i;
        const m = SPECIAL_IN_STRING.exec(s);
        const j = m ? m.index : n;
        if (j > i) this.plain(s, i, j);
        if (!m) return n;
        if (s[j] === '"') {
          if (this.capDrop) this.append(MARK_JSON);
          this.append('"');
          this.capInStr = false;
          i = j + 1;
          if (this.capDepth === 0) {
            this.finish(out);
            return i;
          }
        } else {
          if (!this.capDrop && this.capStrLen >= this.stringCap) this.capDrop = true;
          if (!this.capDrop) this.append('\\');
          this.capStrLen++;
          this.capEsc = -1;
          i = j + 1;
        }
        continue;
      }
      if (this.capScalar) {
        SCALAR_END.lastIndex = i;
        const m = SCALAR_END.exec(s);
        const j = m ? m.index : n;
        this.append(s.slice(i, j));
        if (!m) return n;
        this.finish(out);
        return j;
      }
      STRUCTURAL.lastIndex = i;
      const m = STRUCTURAL.exec(s);
      const j = m ? m.index : n;
      if (j > i) this.append(s.slice(i, j));
      if (!m) return n;
      const c = s[j] as string;
      if (c === '"') {
        this.capInStr = true;
        this.capStrLen = 0;
        this.capDrop = false;
        this.append(c);
      } else if (c === '{' || c === '[') {
        this.capDepth++;
        this.append(c);
      } else {
        this.capDepth--;
        this.append(c);
        if (this.capDepth <= 0) {
          this.finish(out);
          return j + 1;
        }
      }
      i = j + 1;
    }
    return i;
  }

  /** Plain string content s[i, j) of an entry, shortened past this.stringCap. */
  private plain(s: string, i: number, j: number): void {
    const len = j - i;
    if (!this.capDrop) {
      const room = this.stringCap - this.capStrLen;
      if (len <= room) this.append(s.slice(i, j));
      else {
        this.append(s.slice(i, i + room));
        this.capDrop = true;
      }
    }
    this.capStrLen += len;
  }
}
