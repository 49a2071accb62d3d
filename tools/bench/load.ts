/**
 * A closed-loop load generator on undici: N workers, each sending its next request as soon as the
 * previous response body has been read. Warm-up first (not counted), then a fixed duration or count.
 */
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { quantile } from './common.js';

export interface LoadSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly concurrency: number;
  readonly warmupMs: number;
  /** Stop after this long (measured phase)... */
  readonly durationMs: number;
  /** ...or after this many completed requests, whichever comes first. */
  readonly maxRequests?: number;
  /** Keep per-request latencies (default true); off for very long runs. */
  readonly keepLatencies?: boolean;
  /** Called every ~1000 completions in the measured phase. */
  readonly onProgress?: (done: number) => void;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** A dispatcher through an HTTP proxy (CONNECT for https) trusting `ca` for the inner TLS. */
export function viaProxy(proxyPort: number, ca: readonly string[]): ProxyAgent {
  return new ProxyAgent({
    uri: `http://127.0.0.1:${proxyPort}`,
    requestTls: { ca: [...ca] },
    keepAliveTimeout: 30_000,
  });
}

/** A direct dispatcher trusting `ca`. */
export function direct(ca: readonly string[]): Agent {
  return new Agent({ connect: { ca: [...ca] }, keepAliveTimeout: 30_000 });
}

async function once(d: Dispatcher, spec: LoadSpec): Promise<number> {
  const res = await request(spec.url, {
    method: spec.method,
    dispatcher: d,
    ...(spec.headers ? { headers: { ...spec.headers } } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
  });
  await res.body.arrayBuffer();
  return res.statusCode;
}

export async function runLoad(d: Dispatcher, spec: LoadSpec): Promise<LoadResult> {
  const keep = spec.keepLatencies ?? true;
  let errors = 0;
  let firstError: string | null = null;
  const fail = (e: string): void => {
    errors++;
    firstError ??= e;
  };
  // Warm-up: connections, handshakes, JIT. Each worker also completes a few requests, so every
  // connection (client side and the proxy's upstream side) exists before the measured phase.
  const warmEnd = performance.now() + spec.warmupMs;
  const warmHardEnd = warmEnd + 15_000;
  const warm = async (): Promise<void> => {
    let guard = 0;
    while (
      (performance.now() < warmEnd || guard < 3) &&
      performance.now() < warmHardEnd &&
      guard++ < 1_000_000
    ) {
      try {
        await once(d, spec);
      } catch {
        // Counted in the measured phase only.
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  if (spec.warmupMs > 0) await Promise.all(Array.from({ length: spec.concurrency }, warm));

  const lat: number[] = [];
  const max = spec.maxRequests ?? Number.POSITIVE_INFINITY;
  let started = 0;
  let done = 0;
  const t0 = performance.now();
  const end = t0 + spec.durationMs;
  const worker = async (): Promise<void> => {
    while (started < max && performance.now() < end) {
      started++;
      const s = performance.now();
      try {
        const status = await once(d, spec);
        if (status !== 200) fail(`HTTP ${status}`);
      } catch (e) {
        fail(
          e instanceof Error
            ? `${(e as { code?: string }).code ?? ''} ${e.message}`.trim()
            : String(e),
        );
        await new Promise((r) => setTimeout(r, 5));
      }
      if (keep) lat.push(performance.now() - s);
      done++;
      if (spec.onProgress && done % 1000 === 0) spec.onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    requests: done,
    errors,
    firstError,
    seconds,
    rps: done / seconds,
    p50Ms: quantile(lat, 0.5),
    p99Ms: quantile(lat, 0.99),
  };
}

/** One request on a dispatcher, timed (ms); throws on a non-200. */
export async function timedRequest(
  d: Dispatcher,
  spec: Omit<LoadSpec, 'concurrency' | 'warmupMs' | 'durationMs'>,
): Promise<number> {
  const s = performance.now();
  const status = await once(d, { ...spec, concurrency: 1, warmupMs: 0, durationMs: 0 });
  if (status !== 200) throw new Error(`HTTP ${status} from ${spec.url}`);
  return performance.now() - s;
}
