/**
 * Which exchanges are sign-in traffic worth recording, as host facts plus a few paths: one
 * decision for the live proxy (src/proxy/policy.ts `record`, which adds the `--intercept` hosts)
 * and the HAR reader (src/sources/har.ts), so a HAR and a live session see the same exchanges.
 * Pure.
 */
import { hostFacts } from './hosts.js';

/** Paths worth recording on hosts that also serve other traffic. */
const RECORDED_PATHS: Readonly<Record<'userinfo' | 'launcher', RegExp>> = {
  userinfo: /^\/oidc\/userinfo\b/i,
  launcher: /^\/(?:api\/signin\/|signin\/|applications\/redirecttofederatedapplication)/i,
};

/** Local managed-identity token paths (App Service/Functions IDENTITY_ENDPOINT, IMDS, Arc, Cloud Shell). */
const LOCAL_MI_PATH = /^\/(?:msi\/token|metadata\/identity\/|oauth2\/token)/i;

/** Host patterns (exact, or `*.suffix`), case-insensitive -> a test of a lowercase host. */
export function hostMatcher(patterns: readonly string[]): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const p of patterns) {
    const h = p.trim().toLowerCase();
    if (!h) continue;
    if (h.startsWith('*.')) suffixes.push(h.slice(1));
    else exact.add(h);
  }
  return (host) => exact.has(host) || suffixes.some((s) => host.endsWith(s));
}

export function isLocalHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** What widens the decision: hosts given with --intercept, local managed-identity endpoints. */
export interface RecordScope {
  readonly isExtra?: (host: string) => boolean;
  readonly isManagedIdentityHost?: (host: string) => boolean;
}

const NO_SCOPE: RecordScope = {};

/** Whether a request to `host:port` for `path` (no query) becomes an exchange. */
export function isRecorded(
  host: string,
  port: number,
  path: string,
  scope: RecordScope = NO_SCOPE,
): boolean {
  const h = host.toLowerCase();
  if (scope.isExtra?.(h)) return true;
  const role = hostFacts(h, port).role;
  switch (role) {
    case 'sts':
    case 'managed-identity':
      return true;
    case 'userinfo':
    case 'launcher':
      return RECORDED_PATHS[role].test(path);
    case 'client-cert':
      return false;
    case 'other':
      return (
        (scope.isManagedIdentityHost?.(h) === true || isLocalHost(h)) && LOCAL_MI_PATH.test(path)
      );
  }
}
