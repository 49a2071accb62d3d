/**
 * Networking for the flow drivers: an undici ProxyAgent through the MITM proxy (trusting its CA for
 * the intercepted TLS), and an msal-node INetworkModule on top of any undici dispatcher. msal-node 7
 * has no proxy option of its own, so `system.networkClient` is how every MSAL request (discovery
 * included) is routed through the proxy.
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { ProxyAgent, request, type Dispatcher } from 'undici';

export interface ProxyEnv {
  /** http://127.0.0.1:PORT of the MITM proxy. */
  readonly proxyUrl: string;
  /** PEM of the proxy's CA: trusted for TLS to intercepted hosts. */
  readonly proxyCaPem: string;
}

/** A dispatcher sending every request through the proxy (CONNECT for https, absolute-form for http). */
export function createProxyDispatcher(env: ProxyEnv): ProxyAgent {
  return new ProxyAgent({ uri: env.proxyUrl, requestTls: { ca: env.proxyCaPem } });
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** msal-node's network interface over undici: JSON bodies parsed, non-2xx statuses returned as data. */
export class UndiciNetworkModule implements INetworkModule {
  readonly #dispatcher: Dispatcher;

  constructor(dispatcher: Dispatcher) {
    this.#dispatcher = dispatcher;
  }

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options);
  }

  async #send<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    const res = await request(url, {
      dispatcher: this.#dispatcher,
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      ...(timeout !== undefined ? { headersTimeout: timeout, bodyTimeout: timeout } : {}),
    });
    const text = await res.body.text();
    let body: unknown = {};
    try {
      body = text.length > 0 ? JSON.parse(text) : {};
    } catch {
      // not JSON: MSAL then reports the missing fields as its own error
      body = {};
    }
    return { status: res.statusCode, headers: flatHeaders(res.headers), body: body as T };
  }
}

/** Follows nothing: returns the Location of a 302 (what a browser would navigate to next). */
export async function getLocation(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await request(url, { dispatcher, method: 'GET', headers });
  await res.body.dump();
  const loc = res.headers['location'];
  if (res.statusCode < 300 || res.statusCode >= 400 || typeof loc !== 'string') {
    throw new Error(
      `expected a redirect from ${new URL(url).pathname}, got HTTP ${res.statusCode}`,
    );
  }
  return loc;
}

/** GETs or POSTs and returns status and text; throws on a 4xx/5xx. */
export async function fetchText(
  dispatcher: Dispatcher,
  url: string,
  opts: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const res = await request(url, {
    dispatcher,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  const text = await res.body.text();
  if (res.statusCode >= 400) {
    throw new Error(
      `HTTP ${res.statusCode} from ${new URL(url).host}${new URL(url).pathname}: ${text.slice(0, 300)}`,
    );
  }
  return { status: res.statusCode, text, headers: flatHeaders(res.headers) };
}

/** The parameters of a redirect Location (query and fragment together). */
export function redirectParams(location: string): URLSearchParams {
  const u = new URL(location);
  const out = new URLSearchParams(u.search);
  for (const [k, v] of new URLSearchParams(u.hash.replace(/^#/, ''))) out.set(k, v);
  return out;
}
