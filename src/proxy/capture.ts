/**
 * Bounded copies of bodies as they stream through, and the translation of Node's request/response
 * objects and errors into the immutable RawExchange pieces. The traffic itself is never delayed:
 * a tap only copies chunks it is handed, up to a limit, and decodes the copy at the end.
 */
import type { IncomingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import type { ExchangeError, ExchangeErrorCode, HeaderMap, RawBody } from '../core/types.js';

/** Default capture limit per body: 1 MiB (decoded text beyond it is cut and marked truncated). */
export const DEFAULT_CAPTURE_LIMIT = 1024 * 1024;

export class BodyTap {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  /** Bytes seen on the wire. */
  size = 0;
  truncated = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.size += buf.length;
    if (this.#kept >= this.#limit) {
      this.truncated = true;
      return;
    }
    const room = this.#limit - this.#kept;
    if (buf.length > room) {
      this.#chunks.push(buf.subarray(0, room));
      this.#kept += room;
      this.truncated = true;
    } else {
      this.#chunks.push(buf);
      this.#kept += buf.length;
    }
  }

  /** The copy as text, content-decoded (gzip, deflate, br) within the limit; null when nothing was sent. */
  body(contentEncoding: string | undefined): RawBody | null {
    if (this.size === 0) return null;
    const raw =
      this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#kept);
    const decoded = decode(raw, contentEncoding, this.#limit, this.truncated);
    return { text: decoded.text, size: this.size, truncated: this.truncated || decoded.truncated };
  }
}

function decode(
  buf: Buffer,
  encoding: string | undefined,
  limit: number,
  cut: boolean,
): { text: string; truncated: boolean } {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return { text: buf.toString('utf8'), truncated: false };
  // A cut compressed stream still yields its first part with a sync flush.
  const opts = { maxOutputLength: limit, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  try {
    let out: Buffer;
    if (enc === 'gzip' || enc === 'x-gzip') out = zlib.gunzipSync(buf, opts);
    else if (enc === 'deflate') out = inflateEither(buf, opts);
    else if (enc === 'br') {
      out = zlib.brotliDecompressSync(buf, {
        maxOutputLength: limit,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    } else return { text: '', truncated: true };
    return { text: out.toString('utf8'), truncated: cut || out.length >= limit };
  } catch {
    // Corrupt, cut or over-limit compressed data: the classifier sees an empty, truncated body.
    return { text: '', truncated: true };
  }
}

function inflateEither(buf: Buffer, opts: zlib.ZlibOptions): Buffer {
  try {
    return zlib.inflateSync(buf, opts);
  } catch {
    // Some servers send raw DEFLATE under "deflate".
    return zlib.inflateRawSync(buf, opts);
  }
}

/** Lowercased header names; repeats joined with ", " (set-cookie with "\n"). */
export function headerMap(h: IncomingHttpHeaders): HeaderMap {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(k === 'set-cookie' ? '\n' : ', ') : v;
  }
  return out;
}

const TLS_CODES =
  /^(?:CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;

/** Maps a Node error met on the way upstream (or from the client) to an exchange error. */
export function exchangeError(
  err: unknown,
  where: 'upstream' | 'client',
  target: string,
): ExchangeError {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const detail = code || (typeof e?.message === 'string' ? e.message : 'error');
  if (where === 'client') {
    return {
      code: 'client-aborted',
      message: `the client hung up before the exchange completed (${detail})`,
    };
  }
  let c: ExchangeErrorCode = 'proxy-error';
  let text = `could not reach ${target}`;
  if (code === 'ECONNREFUSED') [c, text] = ['upstream-refused', `${target} refused the connection`];
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    [c, text] = ['upstream-dns', `${target} does not resolve`];
  else if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT')
    [c, text] = ['upstream-timeout', `${target} did not answer in time`];
  else if (TLS_CODES.test(code))
    [c, text] = ['upstream-tls', `TLS to ${target} failed verification`];
  else if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(String(e?.message)))
    [c, text] = ['upstream-reset', `${target} closed the connection`];
  return { code: c, message: `${text} (${detail})`.replace(/[\r\n]+/g, ' ').slice(0, 300) };
}
