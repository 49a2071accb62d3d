/**
 * The redacted evidence of an exchange record (CONTRACT.md "evidence"): parameters, headers and JWT
 * claims through redact.ts, the deciding SAML message's non-secret fields, telemetry, body sizes and
 * the error the response carried. Pure.
 */
import type { Evidence } from '../core/types.js';
import type { ParsedExchange, SamlMessage } from './parsed.js';
import { redactHeaders, redactJwts, redactParams } from './redact.js';

function responseError(px: ParsedExchange): string | null {
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

/** Build the evidence of a parsed exchange; `samlMessage` is the deciding SAML message, if any. */
export function buildEvidence(px: ParsedExchange, samlMessage: SamlMessage | null): Evidence {
  const raw = px.raw;
  const reqBody = raw.requestBody;
  const resBody = raw.responseBody;
  const tel = px.telemetry;
  return {
    query: redactParams(px.query),
    form: redactParams(px.form),
    requestHeaders: redactHeaders(raw.requestHeaders),
    responseHeaders: redactHeaders(raw.responseHeaders),
    claims: redactJwts(px.jwts),
    saml:
      samlMessage === null
        ? null
        : {
            kind: samlMessage.kind,
            binding: samlMessage.binding,
            foundIn: samlMessage.foundIn,
            hasInResponseTo: samlMessage.hasInResponseTo,
            ...(samlMessage.issuer !== null ? { issuer: samlMessage.issuer } : {}),
            ...(samlMessage.destination !== null ? { destination: samlMessage.destination } : {}),
            ...(samlMessage.audience !== null ? { audience: samlMessage.audience } : {}),
            ...(samlMessage.statusCode !== null ? { statusCode: samlMessage.statusCode } : {}),
            fingerprint: `sha256:${samlMessage.fingerprint}`,
          },
    telemetry:
      tel === null
        ? null
        : {
            schema: tel.schema,
            ...(tel.apiId !== null ? { apiId: tel.apiId } : {}),
            ...(tel.cacheInfo !== null ? { cacheInfo: tel.cacheInfo } : {}),
            ...(tel.kind !== null ? { kind: tel.kind } : {}),
          },
    bodies: {
      requestSize: reqBody?.size ?? null,
      responseSize: resBody?.size ?? null,
      truncated: (reqBody?.truncated ?? false) || (resBody?.truncated ?? false),
    },
    responseError: responseError(px),
  };
}
