/**
 * The simulator's ledger of every secret that crossed the wire in either direction: credentials it
 * received (client secrets, passwords, assertions, codes, refresh tokens, cookies, Authorization
 * and managed-identity headers) and everything it issued (tokens, codes, device and user codes,
 * SAML responses, WS-Fed results, cookies). Tests search every output of the proxy for each of them.
 */
import type { SimRequest, SimResponse } from './sim-http.js';

const SECRET_PARAMS = [
  'client_secret',
  'password',
  'client_assertion',
  'assertion',
  'code',
  'device_code',
  'user_code',
  'refresh_token',
  'access_token',
  'id_token',
  'code_verifier',
  'spa_code',
  'SAMLResponse',
  'wresult',
  'request',
] as const;

const SECRET_HEADERS = ['x-identity-header', 'secret', 'x-ms-identity-header'] as const;

/** Values this short are not worth searching for (they match by accident). */
const MIN_LENGTH = 6;

export interface SecretLedger {
  observe(req: SimRequest, res: SimResponse, setCookies: readonly string[]): void;
  /** Every secret seen so far (distinct). */
  secrets(): string[];
}

export function createSecretLedger(): SecretLedger {
  const seen = new Set<string>();
  const add = (v: string | null | undefined): void => {
    if (v !== null && v !== undefined && v.length >= MIN_LENGTH) seen.add(v);
  };
  const addParams = (p: URLSearchParams): void => {
    for (const name of SECRET_PARAMS) for (const v of p.getAll(name)) add(v);
  };
  return {
    observe(req, res, setCookies) {
      addParams(req.query);
      addParams(req.form);
      const auth = req.header('authorization');
      if (auth) {
        add(auth);
        add(auth.replace(/^\S+\s+/, ''));
      }
      for (const h of SECRET_HEADERS) add(req.header(h));
      for (const c of (req.header('cookie') ?? '').split(';'))
        add(c.split('=').slice(1).join('=').trim());
      for (const c of setCookies) add(/^[^=]+=([^;]*)/.exec(c)?.[1]);
      const location = res.headers['location'] ?? res.headers['Location'];
      if (location) {
        try {
          const u = new URL(location);
          addParams(u.searchParams);
          addParams(new URLSearchParams(u.hash.replace(/^#/, '')));
        } catch {
          // not an absolute URL: nothing to note
        }
      }
      const type = (res.headers['content-type'] ?? '').toLowerCase();
      if (type.includes('json')) {
        try {
          const body = JSON.parse(res.body) as Record<string, unknown>;
          for (const name of SECRET_PARAMS) {
            const v = body[name];
            if (typeof v === 'string') add(v);
          }
        } catch {
          // not JSON after all
        }
      } else if (type.includes('html')) {
        for (const m of res.body.matchAll(/name="([^"]+)"\s+value="([^"]*)"/g)) {
          if ((SECRET_PARAMS as readonly string[]).includes(m[1] ?? ''))
            add(decodeAttr(m[2] ?? ''));
        }
      }
    },
    secrets: () => [...seen],
  };
}

function decodeAttr(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
