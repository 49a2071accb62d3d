/**
 * The captured exchanges as a HAR 1.2 log, rebuilt only from each record's redacted evidence:
 * nothing that is not in the record (and so nothing secret) can reach the file. Bodies are not
 * kept; form parameters appear as postData.params. Each entry carries its classification in
 * `comment` (human) and `_entraBas` (machine; HAR allows custom fields starting with `_`).
 *
 * Records do not hold the scheme or port: Entra endpoints are HTTPS on 443, and IMDS / local
 * managed-identity endpoints (endpoint `imds`, link-local or loopback hosts) are plain HTTP.
 */
import type { ExchangeRecord } from '../core/types.js';
import type { ReportInput } from './build.js';

interface NameValue {
  readonly name: string;
  readonly value: string;
}

export async function* renderHar(input: ReportInput): AsyncIterable<string> {
  const { head } = input;
  const creator = { name: head.tool.name, version: head.tool.version };
  const comment =
    `entra-bas-proxy session ${head.session.startedAt} to ${head.session.endedAt}; ` +
    `overall verdict ${head.summary.verdict}. Redacted: secrets appear only as fingerprints.`;
  yield (
    `{"log":{"version":"1.2","creator":${JSON.stringify(creator)},"pages":[],` +
    `"comment":${JSON.stringify(comment)},"entries":[`
  );
  let first = true;
  for await (const r of input.exchanges()) {
    yield (first ? '\n' : ',\n') + JSON.stringify(harEntry(r));
    first = false;
  }
  yield '\n]}}\n';
}

/** One HAR entry from one record (exported for tests and the live dashboard's "copy as HAR"). */
export function harEntry(r: ExchangeRecord): Record<string, unknown> {
  const ev = r.evidence;
  const queryString = pairs(ev.query);
  const search = new URLSearchParams(ev.query).toString();
  const url = `${schemeOf(r)}://${r.host}${r.path}${search ? `?${search}` : ''}`;
  const requestHeaders = pairs(ev.requestHeaders);
  const responseHeaders = pairs(ev.responseHeaders);
  const time = r.durationMs ?? 0;
  const request: Record<string, unknown> = {
    method: r.method,
    url,
    httpVersion: 'HTTP/1.1',
    cookies: [],
    headers: requestHeaders,
    queryString,
    headersSize: -1,
    bodySize: ev.bodies.requestSize ?? -1,
  };
  const formPairs = pairs(ev.form);
  if (formPairs.length > 0) {
    const mimeType =
      header(ev.requestHeaders, 'content-type') ?? 'application/x-www-form-urlencoded';
    const text = /json/i.test(mimeType)
      ? JSON.stringify(ev.form)
      : new URLSearchParams(ev.form).toString();
    request.postData = { mimeType, params: formPairs, text };
  }
  const responseMime = header(ev.responseHeaders, 'content-type') ?? 'x-unknown';
  const response = {
    status: r.status ?? 0,
    statusText: '',
    httpVersion: 'HTTP/1.1',
    cookies: [],
    headers: responseHeaders,
    content: {
      size: ev.bodies.responseSize ?? 0,
      mimeType: responseMime,
      comment: 'Body not kept by entra-bas-proxy (redacted capture).',
    },
    redirectURL: header(ev.responseHeaders, 'location') ?? '',
    headersSize: -1,
    bodySize: ev.bodies.responseSize ?? -1,
  };
  const entry: Record<string, unknown> = {
    startedDateTime: r.startedAt,
    time,
    request,
    response,
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: time, receive: 0 },
    comment: `verdict: ${r.verdict}; reasons: ${r.reasons.map((x) => x.code).join(', ') || 'none'}`,
    _entraBas: classification(r),
  };
  if (r.error) entry._error = `${r.error.code}: ${r.error.message}`;
  return entry;
}

function classification(r: ExchangeRecord): Record<string, unknown> {
  return {
    id: r.id,
    verdict: r.verdict,
    reasons: r.reasons,
    cloud: r.cloud,
    hostSupported: r.hostSupported,
    protocol: r.protocol,
    endpoint: r.endpoint,
    grantType: r.grantType,
    pkce: r.pkce,
    clientType: r.clientType,
    clientCredential: r.clientCredential,
    appType: r.appType,
    samlInitiation: r.samlInitiation,
    clientId: r.clientId,
    tenant: r.tenant,
    scopes: r.scopes,
    library: r.library,
    libraryVersion: r.libraryVersion,
    clientRequestId: r.clientRequestId,
    serverRequestId: r.serverRequestId,
    managedIdentity: r.managedIdentity,
    interaction: r.interaction,
    error: r.error,
    source: r.source,
    claims: r.evidence.claims,
    saml: r.evidence.saml,
    telemetry: r.evidence.telemetry,
    responseError: r.evidence.responseError,
    truncated: r.evidence.bodies.truncated,
  };
}

function schemeOf(r: ExchangeRecord): 'http' | 'https' {
  if (r.endpoint === 'imds') return 'http';
  if (/^(169\.254\.\d+\.\d+|127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/.test(r.host)) return 'http';
  return 'https';
}

function pairs(m: Readonly<Record<string, string>>): NameValue[] {
  return Object.entries(m).map(([name, value]) => ({ name, value }));
}

function header(m: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [k, v] of Object.entries(m)) if (k.toLowerCase() === name) return v;
  return undefined;
}
