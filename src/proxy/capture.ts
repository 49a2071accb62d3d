/**
 * Bounded copies of bodies as they stream through, and the translation of Node's errors into
 * exchange errors. The traffic itself is never delayed: a tap only keeps the chunks it is handed,
 * up to a limit; the copy is decoded where the exchange is classified (core/captured.ts).
 */
import type { CapturedBody } from '../core/captured.js';
import type { ExchangeError, ExchangeErrorCode } from '../core/types.js';

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

  /** The copy (null when nothing was sent); decoded where it is classified (core/captured.ts). */
  captured(): CapturedBody | null {
    if (this.size === 0) return null;
    const bytes =
      this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#kept);
    return { bytes, size: this.size, truncated: this.truncated, limit: this.#limit };
  }
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
