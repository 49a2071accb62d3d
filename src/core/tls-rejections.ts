/**
 * Refused TLS handshakes as evidence: a client that aborts the handshake for an intercepted host
 * (a TLS alert such as unknown_ca, or a close right after our ServerHello or right after the
 * handshake without a request) does not trust the proxy's CA, so its sign-in traffic was never
 * seen. They are counted per host, per client and per TLS error, kept in the session log as
 * `{"type":"tls-rejected",...}` lines (so `report SESSION` shows them again) and become the
 * `tls-handshake-rejected` session finding. Bounded: a client retrying in a loop costs a counter.
 */

/** One refused handshake, as the TLS terminator saw it. */
export interface TlsRejection {
  readonly host: string;
  /**
   * The TLS alert or error, never a secret: Node's code for an alert the client sent (e.g.
   * `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`), or `closed-during-handshake` (the client hung up after our
   * ServerHello and certificate: how Node and Java refuse) or `closed-after-handshake` (the
   * client completed the handshake, then hung up without a request: how GnuTLS, e.g. wget, refuses).
   */
  readonly error: string;
  /** Who opened the tunnel, when it can be told (CONNECT User-Agent, the command `run` ran). */
  readonly client: string | null;
}

/** The refusals of one host. */
export interface HostRejections {
  readonly host: string;
  readonly count: number;
  readonly clients: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
}

/** The session-log line kind. */
export const TLS_REJECTED_LINE = 'tls-rejected';
/** What a refusal by an unknown client is counted under. */
export const UNKNOWN_CLIENT = 'unknown client';
const MAX_HOSTS = 200;
const MAX_KEYS = 20;
const OTHER = 'other';
const MAX_LABEL = 100;

/** A client label from untrusted text (a header): one line, printable, bounded. */
export function clientLabel(s: string | null | undefined): string | null {
  if (typeof s !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  if (t === '') return null;
  return t.length > MAX_LABEL ? `${t.slice(0, MAX_LABEL - 3)}...` : t;
}

interface Acc {
  count: number;
  clients: Map<string, number>;
  errors: Map<string, number>;
}

function bump(m: Map<string, number>, key: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) return;
  const k = m.has(key) || m.size < MAX_KEYS ? key : OTHER;
  m.set(k, (m.get(k) ?? 0) + n);
}

export class TlsRejectionTally {
  readonly #hosts = new Map<string, Acc>();
  #total = 0;

  /** Count `n` refusals; true when this is the first one for its host (the time to warn). */
  add(r: TlsRejection, n = 1): boolean {
    if (!Number.isSafeInteger(n) || n < 1) return false;
    const first = !this.#hosts.has(r.host);
    const acc = this.#acc(r.host, n);
    bump(acc.clients, clientLabel(r.client) ?? UNKNOWN_CLIENT, n);
    bump(acc.errors, r.error, n);
    return first;
  }

  /** The refusals of one host from elsewhere (a merged report's finding), counts added. */
  addHost(h: HostRejections): void {
    if (!Number.isSafeInteger(h.count) || h.count < 1) return;
    const acc = this.#acc(h.host, h.count);
    for (const [client, n] of Object.entries(h.clients)) bump(acc.clients, client, n);
    for (const [error, n] of Object.entries(h.errors)) bump(acc.errors, error, n);
  }

  #acc(host: string, n: number): Acc {
    this.#total += n;
    const key = this.#hosts.has(host) || this.#hosts.size < MAX_HOSTS ? host : OTHER;
    let acc = this.#hosts.get(key);
    if (!acc) {
      acc = { count: 0, clients: new Map(), errors: new Map() };
      this.#hosts.set(key, acc);
    }
    acc.count += n;
    return acc;
  }

  get total(): number {
    return this.#total;
  }

  /** Per host, most refused first. */
  hosts(): HostRejections[] {
    return [...this.#hosts]
      .map(([host, a]) => ({
        host,
        count: a.count,
        clients: Object.fromEntries(a.clients),
        errors: Object.fromEntries(a.errors),
      }))
      .sort((x, y) => y.count - x.count || x.host.localeCompare(y.host));
  }
}

/** The session-log line for `count` refusals alike (same host, error and client). */
export function tlsRejectionLine(r: TlsRejection, count: number, at: string): string {
  return JSON.stringify({
    type: TLS_REJECTED_LINE,
    at,
    host: r.host,
    error: r.error,
    client: r.client,
    count,
  });
}

/** A parsed session-log line back into refusals; null when it is not a well-formed one. */
export function parseTlsRejectionLine(
  v: unknown,
): { readonly rejection: TlsRejection; readonly count: number } | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (o['type'] !== TLS_REJECTED_LINE) return null;
  const { host, error, client, count } = o;
  if (typeof host !== 'string' || host === '' || typeof error !== 'string') return null;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) return null;
  if (client !== null && typeof client !== 'string') return null;
  return { rejection: { host, error: error.slice(0, 100), client: clientLabel(client) }, count };
}

/** A TLS error code as people read it: `alert unknown_ca`, `closed after the ServerHello`... */
export function describeTlsError(code: string): string {
  const alert = /_ALERT_([A-Z_]+)$/.exec(code);
  if (alert?.[1]) return `alert ${alert[1].toLowerCase()}`;
  if (code === 'closed-during-handshake') return 'closed after the ServerHello';
  if (code === 'closed-after-handshake') return 'closed after the handshake, no request';
  return code;
}
