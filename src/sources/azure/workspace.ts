/**
 * `classify --workspace`: the `kql` query run in a Log Analytics workspace (Sentinel's too) by
 * @azure/monitor-query-logs, the engine doing the heavy part where the logs already are; its
 * result (a small table of fact tuples) is written as a query API response
 * (`{"tables": [{"name", "columns", "rows"}]}`, the `la-api` shape of sources/signins/read.ts), so
 * `classify` reads it exactly like the same result exported by hand.
 *
 * A partial result (the API's 200 with an `error`: row or size limits hit, a shard that failed) is
 * kept and returned with its error, for the caller to say loudly: never a quiet complete-looking
 * report.
 */
import { writeFile } from 'node:fs/promises';
import type { TokenCredential } from '@azure/identity';
import {
  LogsQueryClient,
  LogsQueryResultStatus,
  type LogsQuerySuccessfulResult,
  type LogsTable,
} from '@azure/monitor-query-logs';
import { ToolError } from '../../core/errors.js';
import { endpoint, LOGS_URL, safeCode, safeMessage, tokenError } from './credential.js';

export const LOGS_SCOPE = 'https://api.loganalytics.io/.default';

export interface WorkspaceQueryOptions {
  readonly workspace: string;
  readonly days: number;
  readonly query: string;
  readonly credential: TokenCredential;
  /** Where the result table goes (JSON, the query API's own shape). */
  readonly file: string;
}

export interface WorkspaceResult {
  /** Rows of the result (fact tuples). */
  readonly rows: number;
  /** The service's error when it answered only part of the result, else null. */
  readonly partial: { readonly code: string; readonly message: string } | null;
}

/** The service's own words, from the error and its inner errors, as one scrubbed line. */
function errorText(e: unknown): { code: string; message: string } {
  const parts: string[] = [];
  let code = '';
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur !== null && typeof cur === 'object'; depth++) {
    const o = cur as Record<string, unknown>;
    if (typeof o['code'] === 'string' && code === '') code = o['code'];
    if (typeof o['message'] === 'string' && !parts.includes(o['message'])) parts.push(o['message']);
    const details = Array.isArray(o['details']) ? (o['details'] as unknown[]) : [];
    for (const d of details.slice(0, 3)) {
      const m = (d as Record<string, unknown> | null)?.['message'];
      if (typeof m === 'string' && !parts.includes(m)) parts.push(m);
    }
    cur = o['innererror'] ?? o['innerError'];
  }
  return { code: safeCode(code), message: safeMessage(parts.join(' / ')) };
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
  'AuthenticationError',
  'AuthenticationRequiredError',
]);

/** A failed query as the one line the CLI prints: 401/403 say which role is missing. */
function queryError(err: unknown, workspace: string): ToolError {
  if (err instanceof Error && CREDENTIAL_ERRORS.has(err.name)) return tokenError(err, LOGS_SCOPE);
  const e = err as { statusCode?: number; details?: { error?: unknown }; code?: string };
  const status = e.statusCode;
  const { code, message } = errorText(e.details?.error ?? err);
  const said = `${status ?? 'no answer'}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  if (status === 401 || status === 403) {
    return new ToolError(
      'ERR_AUTH',
      `workspace ${workspace} refused the query (${said}): the identity needs the Log Analytics Reader role (or Microsoft.OperationalInsights/workspaces/query/read) on the workspace, or on its SigninLogs tables`,
      { cause: err },
    );
  }
  if (status === 404) {
    return new ToolError(
      'ERR_REMOTE',
      `workspace ${workspace} not found (${said}): --workspace wants the workspace ID (a GUID, "Workspace ID" on its Overview page)`,
      { cause: err },
    );
  }
  return new ToolError('ERR_REMOTE', `workspace ${workspace}: the query failed (${said})`, {
    cause: err,
  });
}

function tableJson(t: LogsTable): unknown {
  return { name: t.name, columns: t.columnDescriptors, rows: t.rows };
}

export async function queryWorkspace(o: WorkspaceQueryOptions): Promise<WorkspaceResult> {
  const client = new LogsQueryClient(o.credential, {
    endpoint: endpoint('ENTRA_BAS_PROXY_TEST_LOGS_URL', LOGS_URL),
  });
  let result;
  try {
    result = await client.queryWorkspace(
      o.workspace,
      o.query,
      { duration: `P${o.days}D` },
      { serverTimeoutInSeconds: 600 },
    );
  } catch (err) {
    throw queryError(err, o.workspace);
  }
  const partial = result.status === LogsQueryResultStatus.PartialFailure ? result : null;
  const tables = partial ? partial.partialTables : (result as LogsQuerySuccessfulResult).tables;
  await writeFile(o.file, JSON.stringify({ tables: tables.map(tableJson) }), { mode: 0o600 });
  return {
    rows: tables.reduce((n, t) => n + t.rows.length, 0),
    partial: partial ? errorText(partial.partialError) : null,
  };
}
