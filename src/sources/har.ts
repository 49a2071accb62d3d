/**
 * HAR 1.2 reader: streams `log.entries` of a HAR file (Chromium/Firefox devtools, Fiddler, Charles,
 * mitmproxy exports) and yields a RawExchange per entry on a kept host (by default the hosts the
 * proxy intercepts).
 *
 * Bounded memory whatever the file size, and fast: a small scanner walks the JSON text chunk by
 * chunk, checks its structure, skips everything outside `log.entries` without building it, and cuts
 * out the text of one entry at a time, which the native JSON.parse then builds. While cutting, a JSON
 * string longer than STRING_CAP is shortened in place (its end marked), so a body keeps at most
 * 1 MiB of text (`truncated` says so), and an entry over ENTRY_BUDGET is skipped as too large.
 * (stream-json's token stream, fed to an assembler, was measured at about 2 MB/s; this scanner
 * reads a 144 MB synthetic HAR of 100k entries at about 50 MB/s, close to JSON.parse of the whole.)
 *
 * Garbage (not JSON, JSON but not a HAR, truncated JSON) -> ToolError ERR_HAR_INVALID with one line
 * naming the file. Malformed entries are skipped and counted (`onSkip`, `stats.skipped`).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ToolError } from '../core/errors.js';
import { createPolicy } from '../proxy/policy.js';
import type {
  ExchangeError,
  ExchangeErrorCode,
  HeaderMap,
  RawBody,
  RawExchange,
} from '../core/types.js';

/** Text kept per body, in UTF-8 bytes. */
export const HAR_BODY_CAP = 1024 * 1024;
/** Characters kept per JSON string (room for a base64-encoded body of HAR_BODY_CAP bytes). */
const STRING_CAP = Math.ceil((HAR_BODY_CAP * 4) / 3) + 8;
/** Characters of JSON text kept per entry before it is skipped as too large. */
const ENTRY_BUDGET = 16 * 1024 * 1024;
const KEY_CAP = 256;
const MAX_HEADERS = 1000;
/** Appended (as JSON text) to a string the scanner shortened; seen as MARK after JSON.parse. */
const MARK = '\u0000[truncated]';
const MARK_JSON = '\\u0000[truncated]';

export interface HarReadOptions {
  /** After each entry: entries seen so far and bytes read from the file. */
  onProgress?(entries: number, bytes: number): void;
  /**
   * Which requests to yield (host lowercase without port, path without query). Default: what the
   * live proxy records (src/proxy/policy.ts), so a HAR and a live session see the same exchanges.
   */
  keep?(host: string, port: number, path: string): boolean;
  /** Prefix of the exchange ids (default `har-<file basename>`); ids are `<prefix>-<index>`. */
  idPrefix?: string;
  /** For each malformed entry skipped: its index in log.entries and why. */
  onSkip?(index: number, reason: string): void;
  /** Read size in bytes (default 1 MiB); small values exercise chunk boundaries in tests. */
  chunkSize?: number;
}

export interface HarReadStats {
  /** Entries seen in log.entries. */
  entries: number;
  /** Entries yielded (on kept hosts). */
  kept: number;
  /** Malformed entries skipped. */
  skipped: number;
  bytes: number;
}

function invalid(file: string, what: string): ToolError {
  return new ToolError('ERR_HAR_INVALID', `${file}: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// The scanner: JSON text -> the text of each element of log.entries (null: too large)
// ---------------------------------------------------------------------------------------------

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

class HarScanner {
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

  constructor(private readonly file: string) {}

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
    if (!this.started) throw invalid(this.file, 'empty file, not a HAR file');
    if (this.cap || this.inStr || this.frames.length > 0 || !this.rootClosed) {
      throw invalid(this.file, 'truncated JSON (unexpected end of file)');
    }
    if (!this.sawEntries) throw invalid(this.file, 'not a HAR file (no log.entries)');
  }

  private bad(what: string, at: number): ToolError {
    return invalid(this.file, `invalid JSON (${what} at offset ${this.offset + at})`);
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
        if (!this.sawEntries) throw invalid(this.file, 'not a HAR file (no log.entries)');
        throw invalid(this.file, 'unexpected data after the JSON document');
      }
      if (c !== '{') throw invalid(this.file, `not a HAR file (top level is ${kindOf(c)})`);
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
      if (c !== '{') throw invalid(this.file, `not a HAR file (log is ${kindOf(c)})`);
      role = 'log';
    } else if (!top.array && top.role === 'log' && top.key === 'entries') {
      if (c !== '[') {
        throw invalid(this.file, `not a HAR file (log.entries is ${kindOf(c)}, not an array)`);
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
          if (!this.capDrop && this.capStrLen >= STRING_CAP) this.capDrop = true;
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

  /** Plain string content s[i, j) of an entry, shortened past STRING_CAP. */
  private plain(s: string, i: number, j: number): void {
    const len = j - i;
    if (!this.capDrop) {
      const room = STRING_CAP - this.capStrLen;
      if (len <= room) this.append(s.slice(i, j));
      else {
        this.append(s.slice(i, i + room));
        this.capDrop = true;
      }
    }
    this.capStrLen += len;
  }
}

// ---------------------------------------------------------------------------------------------
// HAR entry -> RawExchange
// ---------------------------------------------------------------------------------------------

type JsonObj = Record<string, unknown>;

function obj(v: unknown): JsonObj | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObj) : null;
}

/** A string value and whether the scanner shortened it. */
function textOf(v: unknown): { text: string; cut: boolean } | null {
  if (typeof v !== 'string') return null;
  return v.endsWith(MARK) ? { text: v.slice(0, -MARK.length), cut: true } : { text: v, cut: false };
}

function str(v: unknown): string | null {
  return textOf(v)?.text ?? null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  return null;
}

function headersOf(v: unknown): Record<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(v)) return {};
  for (const h of v.slice(0, MAX_HEADERS) as unknown[]) {
    const o = obj(h);
    const name = str(o?.['name'])?.trim().toLowerCase();
    const value = str(o?.['value']);
    if (!name || value === null || name.startsWith(':')) continue;
    const prev = out.get(name);
    out.set(
      name,
      prev === undefined ? value : `${prev}${name === 'set-cookie' ? '\n' : ', '}${value}`,
    );
  }
  return Object.fromEntries(out);
}

/** At most HAR_BODY_CAP bytes of UTF-8, cut on a character boundary. */
function capText(s: string): { text: string; cut: boolean } {
  if (s.length * 3 <= HAR_BODY_CAP || Buffer.byteLength(s, 'utf8') <= HAR_BODY_CAP) {
    return { text: s, cut: false };
  }
  const text = Buffer.from(s, 'utf8').subarray(0, HAR_BODY_CAP).toString('utf8');
  return { text: text.replace(/\uFFFD+$/, ''), cut: true };
}

function bodyOf(v: unknown, base64: boolean, declared: number | null): RawBody | null {
  const t = textOf(v);
  if (t === null) return null;
  let text = t.text;
  let size = declared ?? Buffer.byteLength(text, 'utf8');
  if (base64) {
    const buf = Buffer.from(text.slice(0, text.length - (text.length % 4)), 'base64');
    if (declared === null) size = buf.length;
    text = buf.subarray(0, HAR_BODY_CAP + 4).toString('utf8');
  }
  const c = capText(text);
  return { text: c.text, size: Math.max(0, size), truncated: t.cut || c.cut };
}

function requestBodyOf(req: JsonObj): RawBody | null {
  const post = obj(req['postData']);
  if (!post) return null;
  const declared = num(req['bodySize']);
  const size = declared !== null && declared >= 0 ? declared : null;
  if (post['text'] !== undefined && str(post['text']) !== null) {
    return bodyOf(post['text'], post['encoding'] === 'base64', size);
  }
  const params = post['params'];
  if (Array.isArray(params)) {
    const form = new URLSearchParams();
    for (const p of params as unknown[]) {
      const o = obj(p);
      const name = str(o?.['name']);
      if (name !== null) form.append(name, str(o?.['value']) ?? '');
    }
    return bodyOf(form.toString(), false, size);
  }
  return null;
}

function errorOf(entry: JsonObj, resp: JsonObj | null): ExchangeError {
  const detail = str(resp?.['_error']) ?? str(entry['_error']) ?? str(resp?.['statusText']) ?? '';
  const rules: [RegExp, ExchangeErrorCode][] = [
    [/NAME_NOT_RESOLVED|DNS/i, 'upstream-dns'],
    [/CERT|SSL|TLS/i, 'upstream-tls'],
    [/REFUSED/i, 'upstream-refused'],
    [/TIMED_OUT|TIMEOUT/i, 'upstream-timeout'],
    [/RESET|CLOSED|EMPTY_RESPONSE/i, 'upstream-reset'],
  ];
  const code = rules.find(([re]) => re.test(detail))?.[1] ?? 'client-aborted';
  const message = detail
    ? `no response in the HAR: ${detail.slice(0, 200)}`
    : 'no response in the HAR (status 0)';
  return { code, message };
}

function isoDate(v: unknown): string {
  // Fiddler writes 7 fractional digits ("...00.1234567+01:00"): keep milliseconds only.
  const s = str(v)?.replace(/(\.\d{3})\d+/, '$1');
  const d = s ? new Date(s) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : new Date(0).toISOString();
}

type Converted = { raw: RawExchange } | { skip: string } | { filtered: true };

function convert(
  e: unknown,
  id: string,
  keep: (host: string, port: number, path: string) => boolean,
): Converted {
  const entry = obj(e);
  if (!entry) return { skip: 'entry is not an object' };
  const req = obj(entry['request']);
  if (!req) return { skip: 'no request' };
  const urlText = str(req['url']);
  if (urlText === null) return { skip: 'no request.url' };
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    return { skip: 'request.url is not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { filtered: true };
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
  if (!keep(host, port, url.pathname)) return { filtered: true };

  const resp = obj(entry['response']);
  const statusNum = num(resp?.['status']);
  const status = statusNum !== null && statusNum >= 100 ? Math.trunc(statusNum) : null;
  const responseHeaders: Record<string, string> = headersOf(resp?.['headers']);
  const redirect = str(resp?.['redirectURL']);
  if (redirect && responseHeaders['location'] === undefined) responseHeaders['location'] = redirect;
  const content = obj(resp?.['content']);
  const declared = num(content?.['size']);
  const requestHeaders: HeaderMap = headersOf(req['headers']);
  const time = num(entry['time']);
  return {
    raw: {
      id,
      startedAt: isoDate(entry['startedDateTime']),
      durationMs: time !== null && time >= 0 ? time : null,
      scheme,
      method: (str(req['method']) ?? 'GET').toUpperCase(),
      host,
      port,
      url: url.pathname + url.search,
      requestHeaders,
      requestBody: requestBodyOf(req),
      status,
      responseHeaders,
      responseBody: content
        ? bodyOf(
            content['text'],
            content['encoding'] === 'base64',
            declared !== null && declared >= 0 ? declared : null,
          )
        : null,
      error: status === null ? errorOf(entry, resp) : null,
      source: 'har',
    },
  };
}

/** Reads the first bytes: BOM length, or a one-line reason why this cannot be a HAR. */
async function sniff(path: string, file: string): Promise<number> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new ToolError('ERR_INPUT', `${file}: cannot read (${code})`, { cause: err });
  }
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead === 0) throw invalid(file, 'empty file, not a HAR file');
    const head = buf.subarray(0, bytesRead);
    if (head[0] === 0x1f && head[1] === 0x8b)
      throw invalid(file, 'gzip-compressed; decompress it first');
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    const text = head.subarray(bom).toString('latin1');
    const first = /\S/.exec(text)?.[0];
    if (first === undefined) {
      if (bytesRead < buf.length) throw invalid(file, 'empty file, not a HAR file');
    } else if (first === '[') throw invalid(file, 'not a HAR file (top level is an array)');
    else if (first === '"') throw invalid(file, 'not a HAR file (top level is a string)');
    else if (first !== '{') throw invalid(file, 'not JSON');
    return bom;
  } finally {
    await fh.close();
  }
}

/**
 * Stream a HAR file's entries as RawExchanges. The iterable carries `stats`, filled in as it is
 * read. Throws ToolError ERR_HAR_INVALID on garbage, ERR_INPUT when the file cannot be read.
 */
export function readHar(
  path: string,
  opts: HarReadOptions = {},
): AsyncIterable<RawExchange> & { readonly stats: HarReadStats } {
  const stats: HarReadStats = { entries: 0, kept: 0, skipped: 0, bytes: 0 };
  const file = basename(path);
  const keep = opts.keep ?? defaultKeep;
  const idPrefix = opts.idPrefix ?? `har-${file}`;
  async function* gen(): AsyncGenerator<RawExchange> {
    const bom = await sniff(path, file);
    const src = createReadStream(path, {
      start: bom,
      encoding: 'utf8',
      highWaterMark: opts.chunkSize ?? 1 << 20,
    });
    const scanner = new HarScanner(file);
    try {
      for await (const chunk of src as AsyncIterable<string>) {
        stats.bytes = bom + src.bytesRead;
        for (const text of scanner.feed(chunk)) {
          const index = stats.entries++;
          const c = text === null ? { skip: 'entry too large' } : parseEntry(text, index);
          if ('raw' in c) {
            stats.kept++;
            yield c.raw;
          } else if ('skip' in c) {
            stats.skipped++;
            opts.onSkip?.(index, c.skip);
          }
          opts.onProgress?.(stats.entries, stats.bytes);
        }
      }
      scanner.end();
    } catch (err) {
      if (err instanceof ToolError) throw err;
      const code = (err as { code?: string }).code ?? String(err);
      throw new ToolError('ERR_INPUT', `${file}: read failed (${code})`, { cause: err });
    } finally {
      src.destroy();
    }
  }
  function parseEntry(text: string, index: number): Converted {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { skip: 'entry is not valid JSON' };
    }
    return convert(value, `${idPrefix}-${index}`, keep);
  }
  return { stats, [Symbol.asyncIterator]: () => gen() };
}

const defaultPolicy = createPolicy({});
const defaultKeep = (host: string, port: number, path: string): boolean =>
  defaultPolicy.record(host, port, path);
