/**
 * The HAR scanner: a small structural JSON scanner that walks a HAR's text chunk by chunk, checks
 * its structure, skips everything outside `log.entries` without building it, and cuts out the text
 * of one entry at a time for JSON.parse (src/sources/har.ts). While cutting, a JSON string longer
 * than `stringCap` is shortened in place and its end marked (TRUNCATED_MARK after JSON.parse), and an
 * entry over ENTRY_BUDGET characters is given as null (too large). Bounded memory, no I/O.
 *
 * Cutting an entry (scanEntry) copies nothing while it scans: it only tracks where the entry's text
 * began in the chunk, and an entry that lies within one chunk comes out as one `slice`. A piece is
 * kept only at a chunk boundary (an entry spanning chunks: one piece per chunk, joined at its end)
 * and around a shortened string (its kept head, the mark, then the text from its closing quote on).
 * Between strings a charCode loop finds the next quote or bracket (the runs are short: `":"`,
 * `":{"`); inside a string indexOf finds the next quote and the next backslash, both remembered
 * until passed, so each chunk is searched once for each. An escape sequence is skipped whole (it
 * may go on in the next chunk), so a string is never cut inside one.
 *
 * Speed (Node 20, the bench's synthetic HAR: 262 MB, 100k entries): about 0.3 s of CPU in the
 * scanner, some 850 MB/s, about what reading and decoding the file as UTF-8 costs; the scanner it
 * replaced, which kept one piece per token and escape, took about 2.8 s. readHar of that file takes
 * about 2 s, mostly JSON.parse of the entries. (stream-json's token stream, fed to an assembler,
 * was measured at about 2 MB/s.)
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

/**
 * Which array's elements a scanner cuts out, and how its errors read. `path` names the keys from the
 * top-level object down to the array (`['log', 'entries']` for a HAR, `['value']` for a Graph page);
 * an empty path means the top level itself is the array.
 */
export interface ArrayTarget {
  readonly path: readonly string[];
  /** The kind of document, as errors name it: "not <what> (...)". */
  readonly what: string;
  /** The error to throw with a one-line message (it names the file). */
  readonly error: (file: string, message: string) => ToolError;
  /** Several documents may follow each other (JSON lines of pages): each one's array is cut out. */
  readonly sequence?: boolean;
}

const HAR_TARGET: ArrayTarget = { path: ['log', 'entries'], what: 'a HAR file', error: invalidHar };

/** Where a frame lies on the target's path: its depth on it, or -1 off it. */
interface Frame {
  readonly array: boolean;
  readonly level: number;
  key: string;
  expectKey: boolean;
}

const SPECIAL_IN_STRING = /["\\]/g;
const SCALAR_END = /[,\]\s]/g;
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const LOWER_U = 0x75;

function kindOf(c: string): string {
  if (c === '{') return 'an object';
  if (c === '[') return 'an array';
  if (c === '"') return 'a string';
  if (c === '-' || (c >= '0' && c <= '9')) return 'a number';
  return 'a literal';
}

/** JSON text -> the text of each element of the target array (null: too large). */
export class JsonArrayScanner {
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
  // the entry being cut out (scanEntry)
  private capping = false;
  /** The entry's text kept from earlier chunks, or around a shortened string. */
  private capPieces: string[] = [];
  private capLen = 0;
  private capDepth = 0;
  private capScalar = false;
  private capInStr = false;
  private capStrLen = 0;
  private capDrop = false;
  /** -1: the char after a backslash comes next; n > 0: n hex digits of \uXXXX to go. */
  private capEsc = 0;
  private capOversize = false;

  private readonly path: readonly string[];
  private readonly what: string;
  private readonly sequence: boolean;
  private readonly fail: (message: string) => ToolError;

  /** `file` names the file in errors; `stringCap`: characters kept per JSON string of an entry. */
  constructor(
    file: string,
    private readonly stringCap: number,
    target: ArrayTarget,
  ) {
    this.path = target.path;
    this.what = target.what;
    this.sequence = target.sequence === true;
    this.fail = (message) => target.error(file, message);
  }

  private notIt(why: string): ToolError {
    return this.fail(`not ${this.what} (${why})`);
  }

  private missing(): ToolError {
    return this.notIt(this.path.length > 0 ? `no ${this.path.join('.')}` : 'no top-level array');
  }

  /** Feed the next chunk of text; returns the entries completed in it. */
  feed(s: string): (string | null)[] {
    const out: (string | null)[] = [];
    let i = 0;
    while (i < s.length) i = this.capping ? this.scanEntry(s, i, out) : this.scanSkeleton(s, i);
    this.offset += s.length;
    return out;
  }

  /** At end of input: throws unless the document was complete and held the target array. */
  end(): void {
    if (!this.started) throw this.fail(`empty file, not ${this.what}`);
    if (this.capping || this.inStr || this.frames.length > 0 || !this.rootClosed) {
      throw this.fail('truncated JSON (unexpected end of file)');
    }
    if (!this.sawEntries) throw this.missing();
  }

  private bad(what: string, at: number): ToolError {
    return this.fail(`invalid JSON (${what} at offset ${this.offset + at})`);
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
    const depth = this.path.length;
    if (!top) {
      if (this.rootClosed && this.sequence && this.sawEntries) this.rootClosed = false;
      if (this.rootClosed) {
        // e.g. NDJSON (a session log given as a HAR): say what matters first.
        if (!this.sawEntries) throw this.missing();
        throw this.fail('unexpected data after the JSON document');
      }
      if (depth === 0) {
        if (c !== '[') throw this.notIt(`top level is ${kindOf(c)}, not an array`);
        this.sawEntries = true;
        this.frames.push({ array: true, level: 0, key: '', expectKey: false });
        return false;
      }
      if (c !== '{') throw this.notIt(`top level is ${kindOf(c)}`);
      this.frames.push({ array: false, level: 0, key: '', expectKey: true });
      return false;
    }
    if (top.array && top.level === depth) {
      this.capping = true;
      this.capPieces = [];
      this.capLen = 0;
      this.capDepth = 0;
      this.capInStr = false;
      this.capDrop = false;
      this.capEsc = 0;
      this.capOversize = false;
      this.capScalar = c !== '{' && c !== '[' && c !== '"';
      return true;
    }
    if (!top.array && top.expectKey) throw this.bad('expected a key', i);
    let level = -1;
    if (!top.array && top.level >= 0 && top.level < depth && top.key === this.path[top.level]) {
      level = top.level + 1;
      const name = this.path.slice(0, level).join('.');
      if (level === depth) {
        if (c !== '[') throw this.notIt(`${name} is ${kindOf(c)}, not an array`);
        this.sawEntries = true;
      } else if (c !== '{') throw this.notIt(`${name} is ${kindOf(c)}`);
    }
    if (c === '{') this.frames.push({ array: false, level, key: '', expectKey: true });
    else if (c === '[') this.frames.push({ array: true, level, key: '', expectKey: false });
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

  /** Keeps `piece` as the next part of the entry's text (nothing once the entry is over budget). */
  private keep(piece: string): void {
    if (this.capOversize || piece.length === 0) return;
    this.capLen += piece.length;
    if (this.capLen > ENTRY_BUDGET) {
      this.capOversize = true;
      this.capPieces = [];
    } else this.capPieces.push(piece);
  }

  /** The entry ends with `last`: gives its text (null: too large) and goes back to the skeleton. */
  private finish(last: string, out: (string | null)[]): void {
    this.keep(last);
    const p = this.capPieces;
    out.push(this.capOversize ? null : p.length === 1 ? (p[0] as string) : p.join(''));
    this.capPieces = [];
    this.capping = false;
  }

  /**
   * Cuts out the entry that starts or goes on at s[i]: returns where the skeleton resumes (s.length
   * when the entry goes on in the next chunk). `from` is where the text not kept yet begins (-1
   * while the tail of a shortened string is dropped); it is kept as one slice when the entry ends,
   * the chunk ends or a string is shortened.
   */
  private scanEntry(s: string, i: number, out: (string | null)[]): number {
    const n = s.length;
    if (this.capScalar) {
      SCALAR_END.lastIndex = i;
      const m = SCALAR_END.exec(s);
      if (!m) {
        this.keep(s.slice(i, n));
        return n;
      }
      this.finish(s.slice(i, m.index), out);
      return m.index;
    }
    const cap = this.stringCap;
    let depth = this.capDepth;
    let inStr = this.capInStr;
    let strLen = this.capStrLen;
    let drop = this.capDrop;
    let esc = this.capEsc;
    let from = drop ? -1 : i;
    // The next '"' and '\\' at or after i in this chunk (n: none); looked up again once passed.
    let q = -1;
    let b = -1;
    while (i < n) {
      if (!inStr) {
        // Between strings: short runs, where a charCode loop beats a regex.
        for (; i < n; i++) {
          const c = s.charCodeAt(i);
          if (c === QUOTE) break;
          if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
          else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth <= 0) {
            this.finish(s.slice(from, i + 1), out);
            return i + 1;
          }
        }
        if (i === n) break;
        inStr = true;
        strLen = 0;
        drop = false;
        i++;
        continue;
      }
      if (esc !== 0) {
        // Inside an escape sequence (it may have begun in an earlier chunk): taken blindly.
        if (esc === -1) esc = s.charCodeAt(i++) === LOWER_U ? 4 : 0;
        const k = Math.min(esc, n - i);
        i += k;
        esc -= k;
        continue;
      }
      if (q < i) {
        q = s.indexOf('"', i);
        if (q < 0) q = n;
      }
      if (b < i) {
        b = s.indexOf('\\', i);
        if (b < 0) b = n;
      }
      const e = q < b ? q : b;
      if (!drop) {
        if (strLen + (e - i) > cap) {
          // Shortened: keep the first `cap` characters, drop the rest of the string.
          this.keep(s.slice(from, i + cap - strLen));
          drop = true;
          from = -1;
        } else strLen += e - i;
      }
      if (e === n) {
        i = n;
        break;
      }
      if (e === q) {
        inStr = false;
        if (drop) {
          this.keep(MARK_JSON);
          drop = false;
          from = q;
        }
        i = q + 1;
        if (depth === 0) {
          this.finish(s.slice(from, i), out);
          return i;
        }
        continue;
      }
      // A backslash: its escape sequence is kept whole or dropped whole, and counts as one character.
      if (!drop) {
        if (strLen >= cap) {
          this.keep(s.slice(from, e));
          drop = true;
          from = -1;
        } else strLen++;
      }
      if (e + 1 < n && s.charCodeAt(e + 1) !== LOWER_U) {
        i = e + 2; // \n, \" and the like, within this chunk
      } else {
        esc = -1; // \uXXXX, or a backslash at the end of the chunk: taken above
        i = e + 1;
      }
    }
    if (from >= 0) this.keep(s.slice(from, n));
    this.capDepth = depth;
    this.capInStr = inStr;
    this.capStrLen = strLen;
    this.capDrop = drop;
    this.capEsc = esc;
    return n;
  }
}

/** The HAR preset: the elements of `log.entries`, errors as ERR_HAR_INVALID. */
export class HarScanner extends JsonArrayScanner {
  constructor(file: string, stringCap: number) {
    super(file, stringCap, HAR_TARGET);
  }
}
