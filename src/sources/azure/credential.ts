/**
 * The Azure side of `classify --workspace` and `signins pull`: one DefaultAzureCredential (whatever
 * the environment offers: AZURE_CLIENT_ID/AZURE_TENANT_ID with a secret or certificate, workload
 * identity, a managed identity, `az login`, ...), the service endpoints, and the one-line errors a
 * failed sign-in or a refused request become.
 *
 * Credentials never leave this module's callers: a token goes into an Authorization header and
 * nowhere else; error texts from the libraries are cut to one line and scrubbed of anything
 * token-shaped (classifiers/secret-text.ts) before they reach stderr.
 *
 * Test-only endpoint overrides (loopback URLs only, so a token can never be sent elsewhere by
 * them): ENTRA_BAS_PROXY_TEST_GRAPH_URL (instead of https://graph.microsoft.com),
 * ENTRA_BAS_PROXY_TEST_LOGS_URL (instead of https://api.loganalytics.io/v1) and
 * ENTRA_BAS_PROXY_TEST_AUTHORITY_HOST (the Entra authority; MSAL's instance discovery is then
 * off, as it would ask login.microsoftonline.com about a host it cannot know).
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { scrubText } from '../../classifiers/secret-text.js';
import { ToolError } from '../../core/errors.js';

export const GRAPH_URL = 'https://graph.microsoft.com';
export const LOGS_URL = 'https://api.loganalytics.io/v1';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

type TestEndpoint =
  | 'ENTRA_BAS_PROXY_TEST_GRAPH_URL'
  | 'ENTRA_BAS_PROXY_TEST_LOGS_URL'
  | 'ENTRA_BAS_PROXY_TEST_AUTHORITY_HOST';

const LOOPBACK = /^https:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;

/** A test-only endpoint override, or `dflt`. Anything but an https loopback URL is refused. */
export function endpoint(name: TestEndpoint, dflt: string, env = process.env): string {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (!LOOPBACK.test(v))
    throw new ToolError('ERR_USAGE', `${name} is for tests: an https loopback URL only`);
  return v.replace(/\/+$/, '');
}

/** The credential of the environment (see the module comment for the test-only authority). */
export function azureCredential(env = process.env): TokenCredential {
  const authority = endpoint('ENTRA_BAS_PROXY_TEST_AUTHORITY_HOST', '', env);
  return new DefaultAzureCredential(
    authority === '' ? {} : { authorityHost: authority, disableInstanceDiscovery: true },
  );
}

/** A library's error as one scrubbed line (no stack, nothing token-shaped, at most 300 chars). */
export function safeMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return scrubText(msg.replace(/\s+/g, ' ').trim()).slice(0, 300);
}

/**
 * A service's error code (`Authorization_RequestDenied`, `InsufficientAccessError`): kept as it
 * is when it has an error code's shape (words, underscores), else scrubbed like any text.
 */
export function safeCode(code: string): string {
  return /^[A-Za-z]+(?:_[A-Za-z0-9]+)*$/.test(code) && code.length <= 100
    ? code
    : safeMessage(code);
}

/** Why no token could be had for `scope`, as the one-line error the CLI prints (exit 1). */
export function tokenError(err: unknown, scope: string): ToolError {
  const name = err instanceof Error ? err.name : '';
  const hint =
    name === 'CredentialUnavailableError' || name === 'AggregateAuthenticationError'
      ? ' (no Azure credential found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, use a managed identity, or run `az login`)'
      : '';
  return new ToolError('ERR_AUTH', `cannot get a token for ${scope}${hint}: ${safeMessage(err)}`, {
    cause: err,
  });
}

/** A bearer token for `scope` (the credential caches and refreshes it). */
export async function bearer(
  credential: TokenCredential,
  scope: string,
  tenantId?: string,
): Promise<string> {
  let t;
  try {
    t = await credential.getToken(scope, tenantId !== undefined ? { tenantId } : {});
  } catch (err) {
    throw tokenError(err, scope);
  }
  if (t === null) throw tokenError(new Error('the credential returned no token'), scope);
  return t.token;
}
