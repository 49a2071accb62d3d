/**
 * The classification pipeline's entry point: RawExchange -> ExchangeRecord. Never throws: a failure
 * anywhere becomes a record with verdict `unknown` and reason `unparseable` (mitmproxy `safecall`).
 */
import {
  EMPTY_EVIDENCE,
  RECORD_SOURCES,
  type Evidence,
  type ExchangeRecord,
  type RawExchange,
  type RecordSource,
} from '../core/types.js';
import { hostFacts } from '../core/hosts.js';
import { classify } from './classify.js';
import { bodiesOf } from './evidence.js';
import { withFingerprintMemo } from './parse/hash.js';
import { parseExchange } from './parse/index.js';
import { redactHeaders, redactText } from './redact.js';

export { parseExchange } from './parse/index.js';

function pathOf(url: unknown): string {
  if (typeof url !== 'string') return '';
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

function safeHeaders(h: unknown): Record<string, string> {
  try {
    return h !== null && typeof h === 'object' ? redactHeaders(h as Record<string, string>) : {};
  } catch {
    // Evidence is best-effort on this path: the record itself must still be produced.
    return {};
  }
}

/** The record of an exchange the classifier could not handle. */
function failedRecord(raw: RawExchange, e: unknown): ExchangeRecord {
  // An exception message may quote its input (JSON.parse does): scrubbed like any kept text.
  const what = e instanceof Error ? redactText(`${e.name}: ${e.message}`, 160) : 'unknown error';
  const host = typeof raw.host === 'string' ? raw.host.toLowerCase() : '';
  let cloud: ExchangeRecord['cloud'] = 'unknown';
  let hostSupported = false;
  try {
    const hf = hostFacts(host, raw.port);
    cloud = hf.cloud;
    hostSupported = hf.supported;
  } catch {
    // hostFacts is total over strings; keep the defaults if it ever is not.
  }
  const evidence: Evidence = {
    ...EMPTY_EVIDENCE,
    requestHeaders: safeHeaders(raw.requestHeaders),
    responseHeaders: safeHeaders(raw.responseHeaders),
    bodies: bodiesOf(raw),
  };
  return {
    id: String(raw.id),
    startedAt: String(raw.startedAt),
    durationMs: typeof raw.durationMs === 'number' ? raw.durationMs : null,
    method: String(raw.method),
    host,
    path: pathOf(raw.url),
    status: typeof raw.status === 'number' ? raw.status : null,
    cloud,
    hostSupported,
    protocol: 'unknown',
    endpoint: 'other',
    grantType: null,
    pkce: null,
    clientType: 'unknown',
    clientCredential: 'unknown',
    appType: 'unknown',
    samlInitiation: null,
    clientId: null,
    tenant: null,
    scopes: null,
    library: null,
    libraryVersion: null,
    clientRequestId: null,
    serverRequestId: null,
    managedIdentity: null,
    interaction: null,
    verdict: 'unknown',
    reasons: [
      {
        code: 'unparseable',
        message: `The exchange could not be classified (${what}).`,
        ruleId: 'classifier-error',
      },
    ],
    error: raw.error ?? null,
    // Whatever a broken exchange says it came from, the record names a known source.
    source: (RECORD_SOURCES as readonly string[]).includes(raw.source)
      ? (raw.source as RecordSource)
      : 'proxy',
    evidence,
  };
}

/** Parse and classify one exchange. Never throws. */
export function classifyExchange(raw: RawExchange): ExchangeRecord {
  try {
    // A secret met twice in one exchange (parsed token, then redacted parameter) is hashed once.
    return withFingerprintMemo(() => classify(parseExchange(raw)));
  } catch (e) {
    return failedRecord(raw, e);
  }
}
