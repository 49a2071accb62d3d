/**
 * An exchange as the proxy's thread copies it, and its translation into the RawExchange the
 * classifiers read. The proxy thread does no more than keep references: bodies stay bytes and
 * headers stay the objects Node parsed; decoding (gzip, deflate, br, UTF-8) and header maps are
 * made where the exchange is classified, in the classification worker.
 */
import type { IncomingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import type { ExchangeError, HeaderMap, RawBody, RawExchange } from './types.js';

/** A bounded copy of a body as it went through. */
export interface CapturedBody {
  readonly bytes: Uint8Array;
  /** Bytes seen on the wire. */
  readonly size: number;
  /** Cut at the capture limit. */
  readonly truncated: boolean;
  /** The capture limit, which also bounds the decoded text. */
  readonly limit: number;
}

export interface CapturedExchange {
  readonly captured: true;
  readonly id: string;
  /** Epoch milliseconds. */
  readonly started: number;
  readonly durationMs: number;
  readonly scheme: 'http' | 'https';
  readonly method: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly requestHeaders: IncomingHttpHeaders;
  readonly requestBody: CapturedBody | null;
  readonly status: number | null;
  readonly responseHeaders: IncomingHttpHeaders;
  readonly responseBody: CapturedBody | null;
  readonly error: ExchangeError | null;
}

/** What a recorder accepts: a raw exchange (HAR, tests) or one the proxy captured. */
export type SubmittedExchange = RawExchange | CapturedExchange;

export function toRawExchange(x: SubmittedExchange): RawExchange {
  if (!('captured' in x)) return x;
  const requestHeaders = headerMap(x.requestHeaders);
  const responseHeaders = headerMap(x.responseHeaders);
  return {
    id: x.id,
    startedAt: new Date(x.started).toISOString(),
    durationMs: x.durationMs,
    scheme: x.scheme,
    method: x.method,
    host: x.host,
    port: x.port,
    url: x.url,
    requestHeaders,
    requestBody: x.requestBody && decodeBody(x.requestBody, requestHeaders['content-encoding']),
    status: x.status,
    responseHeaders,
    responseBody: x.responseBody && decodeBody(x.responseBody, responseHeaders['content-encoding']),
    error: x.error,
    source: 'proxy',
  };
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

/** The copy as text, content-decoded (gzip, deflate, br) within the limit. */
export function decodeBody(body: CapturedBody, contentEncoding: string | undefined): RawBody {
  const buf = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength);
  const decoded = decode(buf, contentEncoding, body.limit, body.truncated);
  return { text: decoded.text, size: body.size, truncated: body.truncated || decoded.truncated };
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
