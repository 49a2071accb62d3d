/**
 * A synthetic HAR 1.2 file (Chromium-style entries) of n entries, written as a stream (bounded
 * memory for any n): 85% sign-in traffic from the mix in mix.ts, 15% non-Entra (Graph API calls,
 * CDN images as base64, HTML pages). Deterministic for a given n; 720 distinct entries, repeated
 * with increasing start times (generation is I/O bound).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { entraSpec, otherSpec, type Spec } from './mix.js';

function specAt(i: number): Spec {
  return i % 20 < 17 ? entraSpec(i) : otherSpec(i);
}

function nv(h: readonly (readonly [string, string])[]): { name: string; value: string }[] {
  return h.map(([name, value]) => ({ name, value }));
}

/** Distinct entries; beyond that the text repeats with a new start time (an app refreshing again). */
const DISTINCT = 720;
const TIME_MARK = '@@startedDateTime@@';

function entry(i: number): string {
  const s = specAt(i);
  const u = new URL(s.url);
  const location = s.respHeaders.find(([k]) => k === 'location')?.[1] ?? '';
  return JSON.stringify({
    startedDateTime: TIME_MARK,
    time: 10 + (i % 90),
    request: {
      method: s.method,
      url: s.url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: nv([['Host', u.host], ...s.reqHeaders]),
      queryString: [...u.searchParams].map(([name, value]) => ({ name, value })),
      ...(s.reqBody !== undefined
        ? {
            postData: {
              mimeType: s.reqMime ?? 'application/x-www-form-urlencoded',
              text: s.reqBody,
            },
          }
        : {}),
      headersSize: -1,
      bodySize: s.reqBody !== undefined ? Buffer.byteLength(s.reqBody) : 0,
    },
    response: {
      status: s.status,
      statusText: s.status === 200 ? 'OK' : s.status === 302 ? 'Found' : 'Bad Request',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: nv(s.respHeaders),
      content: {
        size: s.respBody !== undefined ? Buffer.byteLength(s.respBody) : 0,
        mimeType: s.respMime ?? 'text/plain',
        ...(s.respBody !== undefined ? { text: s.respBody } : {}),
        ...(s.base64 ? { encoding: 'base64' } : {}),
      },
      redirectURL: location,
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: {
      blocked: -1,
      dns: -1,
      connect: -1,
      ssl: -1,
      send: 1,
      wait: 5 + (i % 40),
      receive: 1,
    },
  });
}

/** How many of the first n entries are sign-in (Entra / managed-identity) traffic. */
export function harEntraCount(n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (i % 20 < 17) c++;
  return c;
}

/** Writes the HAR; returns its size in bytes. */
export async function writeHar(path: string, n: number): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let buf = '';
  const flush = async (): Promise<void> => {
    bytes += Buffer.byteLength(buf);
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  };
  buf +=
    '{"log":{"version":"1.2","creator":{"name":"entra-bas-proxy bench","version":"1"},"pages":[],"entries":[\n';
  const templates = new Map<number, string>();
  const t0 = Date.UTC(2025, 0, 1);
  for (let i = 0; i < n; i++) {
    const k = i % DISTINCT;
    let text = templates.get(k);
    if (text === undefined) templates.set(k, (text = entry(k)));
    buf += (i === 0 ? '' : ',\n') + text.replace(TIME_MARK, new Date(t0 + i * 250).toISOString());
    if (buf.length > 256 * 1024) await flush();
  }
  buf += '\n]}}\n';
  await flush();
  out.end();
  await once(out, 'finish');
  return bytes;
}
