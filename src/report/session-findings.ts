/**
 * The session-level findings of a report (`summary.findings`): what no application owns. Pure.
 * - `no-signin-traffic` (error): nothing to judge. No exchange at all, or only not-applicable ones
 *   (discovery documents, metadata): a session that saw no sign-in flow proves nothing, and says
 *   so rather than showing a quiet `not-applicable`.
 * - `tls-handshake-rejected` (warning), one per host: clients refused the proxy's certificate, so
 *   their sign-in traffic was never seen.
 */
import { plural } from '../core/plural.js';
import type { ReportSummary, SessionFinding } from '../core/types.js';
import { describeTlsError, type HostRejections } from '../core/tls-rejections.js';
import { trustFix } from '../core/trust-hint.js';

/** True when the session judged no sign-in exchange: none, or only not-applicable ones. */
export function isEmptySession(s: Pick<ReportSummary, 'exchanges' | 'byVerdict'>): boolean {
  return s.exchanges - (s.byVerdict['not-applicable'] ?? 0) <= 0;
}

export const NO_SIGNIN_REMEDIATION =
  "Check that the client goes through the proxy (HTTPS_PROXY/HTTP_PROXY picked up: Node's fetch, Java and .NET ignore them unless configured; NO_PROXY must not list the Entra hosts; `entra-bas-proxy run` sets all of this for the command it starts), that it trusts the proxy's CA (`entra-bas-proxy ca`), and that it really signed in (a token cache may have answered without a request).";

export function sessionFindings(
  summary: Pick<ReportSummary, 'exchanges' | 'byVerdict'>,
  rejections: readonly HostRejections[] = [],
): SessionFinding[] {
  const out: SessionFinding[] = [];
  if (isEmptySession(summary)) out.push(noSigninTraffic(summary, rejections));
  for (const h of rejections) out.push(handshakeRejected(h));
  return out;
}

function noSigninTraffic(
  s: Pick<ReportSummary, 'exchanges' | 'byVerdict'>,
  rejections: readonly HostRejections[],
): SessionFinding {
  let message =
    s.exchanges === 0
      ? 'No sign-in traffic seen: no request to an Entra ID or managed-identity endpoint went through the proxy, so there was nothing to judge. This is not a pass.'
      : `No sign-in traffic seen: ${plural(s.exchanges, 'exchange')} with Entra ID, all not applicable (discovery documents, metadata), so no sign-in flow was judged. This is not a pass.`;
  const refused = rejections.reduce((n, h) => n + h.count, 0);
  if (refused > 0) {
    const hosts = rejections.map((h) => h.host).slice(0, 3);
    message += ` ${plural(refused, 'TLS handshake')} for ${hosts.join(', ')}${rejections.length > 3 ? ', ...' : ''} ${refused === 1 ? 'was' : 'were'} refused: a client does not trust the proxy's CA.`;
  }
  return {
    code: 'no-signin-traffic',
    severity: 'error',
    message,
    remediation: NO_SIGNIN_REMEDIATION,
  };
}

function handshakeRejected(h: HostRejections): SessionFinding {
  const clients = Object.keys(h.clients);
  const errors = Object.keys(h.errors).map(describeTlsError);
  return {
    code: 'tls-handshake-rejected',
    severity: 'warning',
    message:
      `${plural(h.count, 'TLS handshake')} for ${h.host} ${h.count === 1 ? 'was' : 'were'} refused by ` +
      `${clients.join(', ')} (${errors.join(', ')}): the client does not trust the proxy's CA, so ` +
      'its sign-in traffic was not seen.',
    remediation: `Make the client trust the proxy's CA: ${trustFix(clients.length === 1 ? (clients[0] ?? null) : null)}.`,
    host: h.host,
    count: h.count,
    clients: h.clients,
    errors: h.errors,
  };
}
