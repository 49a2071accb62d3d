/**
 * The redacted evidence of an exchange record (CONTRACT.md "evidence"): parameters, headers and JWT
 * claims through redact.ts, the deciding SAML message's non-secret fields, telemetry, body sizes and
 * the error the response carried. Pure.
 */
import type { Evidence, RawExchange } from '../core/types.js';
import type { ParsedExchange, SamlMessage, Telemetry } from './parsed.js';
import { redactHeaders, redactJwts, redactParams, redactText } from './redact.js';
import { scrubText } from './secret-text.js';

/** The response's error code; it comes from the wire, so it is kept as redacted text. */
function responseError(px: ParsedExchange): string | null {
  const e = errorCode(px);
  return e === null ? null : redactText(e, 128);
}

function errorCode(px: ParsedExchange): string | null {
  const j = px.responseJson;
  if (j !== null) {
    const codes = j['error_codes'];
    if (Array.isArray(codes) && typeof codes[0] === 'number') return `AADSTS${codes[0]}`;
    const e = j['error'];
    if (typeof e === 'string') return e;
    if (e !== null && typeof e === 'object') {
      const c = (e as Record<string, unknown>)['code'];
      if (typeof c === 'string') return c;
    }
  }
  const re = px.redirectParams?.['error'] ?? px.responseForm?.fields['error'];
  return re ?? null;
}

function samlEvidence(m: SamlMessage): Record<string, string | boolean> {
  // Built field by field (same key order as a literal with conditional spreads, fewer objects).
  const out: Record<string, string | boolean> = {
    kind: m.kind,
    binding: m.binding,
    foundIn: m.foundIn,
    hasInResponseTo: m.hasInResponseTo,
  };
  if (m.issuer !== null) out['issuer'] = scrubText(m.issuer);
  if (m.destination !== null) out['destination'] = scrubText(m.destination);
  if (m.audience !== null) out['audience'] = scrubText(m.audience);
  if (m.statusCode !== null) out['statusCode'] = scrubText(m.statusCode);
  out['fingerprint'] = `sha256:${m.fingerprint}`;
  return out;
}

function telemetryEvidence(tel: Telemetry): Record<string, string | number> {
  const out: Record<string, string | number> = { schema: tel.schema };
  if (tel.apiId !== null) out['apiId'] = tel.apiId;
  if (tel.cacheInfo !== null) out['cacheInfo'] = tel.cacheInfo;
  if (tel.kind !== null) out['kind'] = tel.kind;
  return out;
}

/** The body sizes of an exchange, and whether either body was cut at the capture limit. */
export function bodiesOf(raw: RawExchange): Evidence['bodies'] {
  const req = raw.requestBody;
  const res = raw.responseBody;
  return {
    requestSize: req?.size ?? null,
    responseSize: res?.size ?? null,
    truncated: (req?.truncated ?? false) || (res?.truncated ?? false),
  };
}

/** Build the evidence of a parsed exchange; `samlMessage` is the deciding SAML message, if any. */
export function buildEvidence(px: ParsedExchange, samlMessage: SamlMessage | null): Evidence {
  const raw = px.raw;
  const tel = px.telemetry;
  return {
    query: redactParams(px.query),
    form: redactParams(px.form),
    requestHeaders: redactHeaders(raw.requestHeaders),
    responseHeaders: redactHeaders(raw.responseHeaders),
    claims: redactJwts(px.jwts),
    saml: samlMessage === null ? null : samlEvidence(samlMessage),
    telemetry: tel === null ? null : telemetryEvidence(tel),
    bodies: bodiesOf(raw),
    responseError: responseError(px),
    ...(px.routingHint !== null ? { routingHint: px.routingHint } : {}),
  };
}
