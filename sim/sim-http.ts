/**
 * The request/response shapes the simulated Entra ID handlers work on, and helpers to build
 * Entra-like answers (JSON, AADSTS errors, redirects, auto-post forms). Handlers are functions of a
 * buffered SimRequest returning a SimResponse, so they can be tested without sockets.
 */
import { randomUUID } from 'node:crypto';

export interface SimRequest {
  readonly method: string;
  /** Lowercase, without port (from the Host header, as the proxy forwards it). */
  readonly host: string;
  /** Path without query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Form body parameters (empty unless the body is application/x-www-form-urlencoded). */
  readonly form: URLSearchParams;
  readonly bodyText: string;
  /** Header lookup, case-insensitive; repeated headers joined with ", ". */
  header(name: string): string | undefined;
  /** The id joining this request to the server logs (x-ms-request-id / trace_id). */
  readonly requestId: string;
}

export interface SimResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Looks a parameter up in the query, then the form body. */
export function param(req: SimRequest, name: string): string | undefined {
  return req.query.get(name) ?? req.form.get(name) ?? undefined;
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store, no-cache',
      pragma: 'no-cache',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

export function html(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store, no-cache',
      ...headers,
    },
    body,
  };
}

export function redirect(location: string, status = 302): SimResponse {
  return {
    status,
    headers: {
      location,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store, no-cache',
    },
    body: `<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="${escapeHtml(location)}">here</a>.</h2></body></html>`,
  };
}

/** Entra's error timestamp format: `2025-01-01 00:00:00Z`. */
function entraTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * An OAuth error in Entra's JSON shape: `error`, `error_description` starting with `AADSTSnnnn:`,
 * `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
 */
export function aadError(
  req: SimRequest,
  status: number,
  error: string,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
): SimResponse {
  const now = new Date();
  const correlationId =
    req.header('client-request-id') ?? param(req, 'client-request-id') ?? randomUUID();
  const ts = entraTimestamp(now);
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${req.requestId} Correlation ID: ${correlationId} Timestamp: ${ts}`,
    error_codes: [code],
    timestamp: ts,
    trace_id: req.requestId,
    correlation_id: correlationId,
    error_uri: `https://${req.host}/error?code=${code}`,
    ...extra,
  });
}

/** AADSTS900561: the endpoint (token, devicecode) was called with another method than POST. */
export function postRequired(req: SimRequest): SimResponse {
  return aadError(
    req,
    400,
    'invalid_request',
    900561,
    `The endpoint only accepts POST requests. Received a ${req.method.slice(0, 10)} request.`,
  );
}

/** AADSTS900144: a required parameter is missing. */
export function missingParam(req: SimRequest, name: string): SimResponse {
  return aadError(
    req,
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Entra's auto-submitting form (form_post response mode, SAML and WS-Fed responses). */
export function autoPostForm(action: string, fields: Record<string, string>): SimResponse {
  const inputs = Object.entries(fields)
    .map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}" />`)
    .join('');
  return html(
    200,
    `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${escapeHtml(action)}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">document.forms[0].submit();</script></body></html>`,
  );
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}
