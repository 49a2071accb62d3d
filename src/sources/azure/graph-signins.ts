/**
 * `signins pull`: Graph beta `auditLogs/signIns` for every `signInEventTypes` value, streamed page
 * by page to a file of JSON lines (one Graph page a line: the `graph` shape that `classify` reads).
 *
 * - Without the `signInEventTypes/any(...)` filter Graph returns interactive sign-ins only, so each
 *   event type is its own query.
 * - Without `Prefer: include-unknown-enum-members` a BAS-issued token reads `unknownFutureValue`.
 * - `@odata.nextLink` is followed as given, but only on the Graph origin the pull started on (the
 *   bearer token goes nowhere else).
 * - Throttling (429, 503, 504) and dropped connections are retried a bounded number of times,
 *   waiting what `Retry-After` says (capped) or backing off.
 * - Each row is cut down to the fields the rules read (PULL_FIELDS) before it is written: user
 *   names, UPNs, user and device ids, IP addresses, locations and session ids never reach the file.
 * - The file is written as FILE.partial and renamed when every event type is complete; a failed
 *   pull leaves no file that looks whole.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { TokenCredential } from '@azure/identity';
import { EnvHttpProxyAgent, fetch, type Response } from 'undici';
import { ToolError } from '../../core/errors.js';
import { isObj, type Obj } from '../signins/row.js';
import { bearer, endpoint, GRAPH_SCOPE, GRAPH_URL, safeCode, safeMessage } from './credential.js';

export const PULL_EVENT_TYPES = [
  'interactiveUser',
  'nonInteractiveUser',
  'servicePrincipal',
  'managedIdentity',
] as const;
export type PullEventType = (typeof PULL_EVENT_TYPES)[number];
type RowCounts = Record<PullEventType, number>;

/**
 * The sign-in fields kept, as Graph beta names them: exactly what sources/signins/row.ts reads
 * (a unit test checks that a row reads the same before and after). Objects keep only the listed
 * members.
 */
const PULL_FIELDS: Readonly<Record<string, true | readonly string[]>> = {
  createdDateTime: true,
  appId: true,
  appDisplayName: true,
  correlationId: true,
  signInEventTypes: true,
  isInteractive: true,
  servicePrincipalId: true,
  userType: true,
  authenticationProtocol: true,
  originalTransferMethod: true,
  clientAppUsed: true,
  clientCredentialType: true,
  incomingTokenType: true,
  crossTenantAccessType: true,
  homeTenantId: true,
  resourceTenantId: true,
  tokenIssuerType: true,
  status: ['errorCode'],
  managedServiceIdentity: ['msiType'],
  sessionLifetimePolicies: ['expirationRequirement'],
  authenticationProcessingDetails: ['key', 'value'],
};

function pick(v: unknown, keys: readonly string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => pick(x, keys));
  if (!isObj(v)) return null;
  const out: Obj = {};
  for (const k of keys) if (k in v) out[k] = v[k];
  return out;
}

/** One Graph sign-in cut down to PULL_FIELDS (library details: only the entry naming it). */
export function projectSignIn(row: unknown): Obj | null {
  if (!isObj(row)) return null;
  const out: Obj = {};
  for (const [k, keep] of Object.entries(PULL_FIELDS)) {
    if (!(k in row)) continue;
    out[k] = keep === true ? row[k] : pick(row[k], keep);
  }
  const details = out['authenticationProcessingDetails'];
  if (Array.isArray(details)) {
    out['authenticationProcessingDetails'] = details.filter(
      (d) => isObj(d) && typeof d['value'] === 'string' && d['value'].includes('Library:'),
    );
  }
  return out;
}

export interface PullOptions {
  readonly tenant: string;
  readonly days: number;
  /** The JSON-lines file the pages go to. */
  readonly file: string;
  readonly credential: TokenCredential;
  readonly now?: Date;
  /** Tries per request, the first included (default 6). */
  readonly maxAttempts?: number;
  /** The longest wait a Retry-After is honoured for, in seconds (default 300). */
  readonly maxWaitSeconds?: number;
  readonly onPage?: (type: PullEventType, rows: number, pages: number) => void;
  readonly onRetry?: (why: string, waitSeconds: number, attempt: number) => void;
}

export interface PullResult {
  readonly rows: Readonly<Record<PullEventType, number>>;
  readonly pages: number;
  /** Requests answered 429/503/504 (or dropped) and tried again. */
  readonly retried: number;
}

const RETRY_STATUS = new Set([429, 503, 504]);
const REQUEST_TIMEOUT_MS = 120_000;

/** The first page's URL for one event type. */
export function signInsUrl(base: string, type: PullEventType, since: Date): string {
  const filter = `createdDateTime ge ${since.toISOString().replace(/\.\d{3}Z$/, 'Z')} and signInEventTypes/any(t: t eq '${type}')`;
  return `${base}/beta/auditLogs/signIns?$filter=${encodeURIComponent(filter)}`;
}

export async function pullSignIns(o: PullOptions): Promise<PullResult> {
  const base = endpoint('ENTRA_BAS_PROXY_TEST_GRAPH_URL', GRAPH_URL);
  const origin = new URL(base).origin;
  const since = new Date((o.now ?? new Date()).getTime() - o.days * 86_400_000);
  const maxAttempts = o.maxAttempts ?? 6;
  const maxWait = o.maxWaitSeconds ?? 300;
  const dispatcher = new EnvHttpProxyAgent();
  const rows = Object.fromEntries(PULL_EVENT_TYPES.map((t) => [t, 0])) as RowCounts;
  let pages = 0;
  let retried = 0;
  const partial = `${o.file}.partial`;
  const out = createWriteStream(partial, { flags: 'w' });
  const failed = new Promise<never>((_, reject) =>
    out.once('error', (err: NodeJS.ErrnoException) => {
      const why = `${o.file}: cannot write (${err.code ?? 'error'})`;
      reject(new ToolError('ERR_IO', why, { cause: err }));
    }),
  );
  failed.catch(() => undefined);
  const write = async (line: string): Promise<void> => {
    if (!out.write(line))
      await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
  };

  async function get(url: string): Promise<Obj> {
    for (let attempt = 1; ; attempt++) {
      const token = await bearer(o.credential, GRAPH_SCOPE, o.tenant);
      let res: Response | null = null;
      let why: string;
      try {
        res = await fetch(url, {
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            prefer: 'include-unknown-enum-members',
            'client-request-id': randomUUID(),
          },
          dispatcher,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        why = String(res.status);
      } catch (err) {
        why = `no answer (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`;
      }
      if (res?.ok) {
        try {
          const body = (await res.json()) as unknown;
          if (isObj(body)) return body;
        } catch {
          // a cut-off body: retried below like a dropped connection
        }
        why = 'a page that is not JSON';
      } else if (res && !RETRY_STATUS.has(res.status)) {
        throw await graphError(res, o.tenant);
      }
      if (attempt >= maxAttempts) {
        throw new ToolError(
          'ERR_REMOTE',
          `Graph answered ${why} ${maxAttempts} times in a row (throttled or unavailable); try again later, or pull fewer --days`,
        );
      }
      const wait = retryAfter(res, attempt, maxWait);
      retried++;
      o.onRetry?.(why, wait, attempt);
      await res?.body?.cancel().catch(() => undefined);
      await new Promise((r) => setTimeout(r, wait * 1000));
    }
  }

  try {
    for (const type of PULL_EVENT_TYPES) {
      let url: string | null = signInsUrl(base, type, since);
      while (url !== null) {
        const page = await get(url);
        const value = Array.isArray(page['value']) ? (page['value'] as unknown[]) : null;
        if (value === null) {
          throw new ToolError(
            'ERR_REMOTE',
            `Graph answered a page without "value" (${type} sign-ins)`,
          );
        }
        const kept = value.map(projectSignIn).filter((r) => r !== null);
        rows[type] += kept.length;
        pages++;
        await write(
          `${JSON.stringify({ '@odata.context': page['@odata.context'] ?? null, value: kept })}\n`,
        );
        o.onPage?.(type, rows[type], pages);
        url = nextLink(page, origin);
      }
    }
    await new Promise<void>((resolve, reject) => {
      out.end(() => resolve());
      failed.catch((err: unknown) => reject(err as Error));
    });
    await rename(partial, o.file);
  } catch (err) {
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
  return { rows, pages, retried };
}

function nextLink(page: Obj, origin: string): string | null {
  const next = page['@odata.nextLink'];
  if (typeof next !== 'string' || next === '') return null;
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    throw new ToolError('ERR_REMOTE', 'Graph answered an @odata.nextLink that is not a URL');
  }
  if (url.origin !== origin) {
    throw new ToolError(
      'ERR_REMOTE',
      `Graph's @odata.nextLink points at ${url.origin}, not ${origin}: not followed (the token goes to Graph only)`,
    );
  }
  return next;
}

/** Seconds to wait before the next try: Retry-After (seconds or a date), capped; else backing off. */
function retryAfter(res: Response | null, attempt: number, maxWait: number): number {
  const h = res?.headers.get('retry-after') ?? null;
  if (h !== null) {
    const s = /^\s*\d+\s*$/.test(h) ? Number(h) : (Date.parse(h) - Date.now()) / 1000;
    if (Number.isFinite(s)) return Math.min(Math.max(0, Math.ceil(s)), maxWait);
  }
  return Math.min(2 ** attempt, 60);
}

/** A refused request as one line: 401/403 say which permission or licence is missing. */
async function graphError(res: Response, tenant: string): Promise<ToolError> {
  let code = '';
  let message = '';
  try {
    const body = (await res.json()) as unknown;
    const e = isObj(body) && isObj(body['error']) ? body['error'] : null;
    if (e) {
      code = typeof e['code'] === 'string' ? e['code'] : '';
      message = typeof e['message'] === 'string' ? e['message'] : '';
    }
  } catch {
    // no JSON error body: the status says enough
  }
  const said = `${res.status}${code ? ` ${safeCode(code)}` : ''}${message ? `: ${safeMessage(message).slice(0, 160)}` : ''}`;
  if (/NonPremium|B2CTenant|premium licen/i.test(`${code} ${message}`)) {
    return new ToolError(
      'ERR_AUTH',
      `tenant ${tenant} has no Microsoft Entra ID P1/P2 licence, which Graph's sign-in logs need (${said}); download the logs from the admin center instead (README "Review a whole tenant")`,
    );
  }
  if (res.status === 401 || res.status === 403) {
    return new ToolError(
      'ERR_AUTH',
      `Graph refused the sign-in logs (${said}): the identity needs the AuditLog.Read.All permission (an application permission with admin consent; a user also needs a role such as Reports Reader or Security Reader), and tenant ${tenant} needs Microsoft Entra ID P1/P2`,
    );
  }
  return new ToolError('ERR_REMOTE', `Graph answered ${said}`);
}
