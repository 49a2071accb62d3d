/**
 * Synthetic HAR writer for tests and the benchmark: `writeSyntheticHar(path, n)` streams a realistic
 * HAR 1.2 file of n entries (Chromium-style), deterministic for a given n. The mix, by index mod 20:
 * native refresh-token redemptions (MSAL.NetCore), SPA authorize + code redemption (msal.js.browser),
 * implicit id_token authorize, client credentials, SAML SP-initiated (redirect) and IdP-initiated
 * (auto-post response), IMDS managed identity, OIDC discovery, and non-Entra traffic (Graph, a CDN
 * image as base64, HTML pages). All tokens are fake.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { deflateRawSync } from 'node:zlib';
import { createPolicy } from '../../src/proxy/policy.js';

const TENANT = '72f988bf-0000-0000-0000-000000000001';
const NATIVE = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const SPA = '22222222-2222-2222-2222-222222222222';
const DAEMON = '33333333-3333-3333-3333-333333333333';

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

function jwt(claims: Record<string, unknown>): string {
  return `${b64url('{"alg":"RS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.${b64url('fake-signature')}`;
}

const FILLER = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(40);

type H = [string, string][];
interface Spec {
  method: string;
  url: string;
  reqHeaders?: H;
  postText?: string;
  postMime?: string;
  status: number;
  respHeaders?: H;
  body?: string;
  mime?: string;
  base64?: boolean;
  redirectURL?: string;
}

function headers(h: H): { name: string; value: string }[] {
  return h.map(([name, value]) => ({ name, value }));
}

function tokenResponse(i: number, appid: string): string {
  return JSON.stringify({
    token_type: 'Bearer',
    scope: 'https://graph.microsoft.com/User.Read',
    expires_in: 3599,
    access_token: jwt({ aud: 'https://graph.microsoft.com', tid: TENANT, appid, ver: '1.0', n: i }),
    refresh_token: `fake-refresh-${i}`,
    id_token: jwt({ aud: appid, tid: TENANT, ver: '2.0' }),
  });
}

function samlResponse(inResponseTo: string | null): string {
  const irt = inResponseTo ? ` InResponseTo="${inResponseTo}"` : '';
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0"${irt}><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/${TENANT}/</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`;
  const v = Buffer.from(xml).toString('base64');
  return `<html><body><form method="POST" action="https://sp.example.com/acs"><input type="hidden" name="SAMLResponse" value="${v}" /></form></body></html>`;
}

function spec(i: number): Spec {
  const login = `https://login.microsoftonline.com/${TENANT}`;
  switch (i % 20) {
    case 0:
    case 1:
    case 2:
      return {
        method: 'POST',
        url: `${login}/oauth2/v2.0/token`,
        reqHeaders: [
          ['x-client-SKU', 'MSAL.NetCore'],
          ['x-client-Ver', '4.61.3.0'],
          ['client-request-id', `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`],
          ['Content-Type', 'application/x-www-form-urlencoded'],
        ],
        postText: `client_id=${NATIVE}&grant_type=refresh_token&refresh_token=fake-rt-${i}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default+openid+offline_access`,
        status: 200,
        respHeaders: [
          ['x-ms-request-id', `req-${i}`],
          ['Content-Type', 'application/json; charset=utf-8'],
        ],
        body: tokenResponse(i, NATIVE),
        mime: 'application/json',
      };
    case 3:
      return {
        method: 'GET',
        url: `${login}/oauth2/v2.0/authorize?client_id=${SPA}&response_type=code&redirect_uri=https%3A%2F%2Fspa.example.com&scope=User.Read+openid&code_challenge=abc&code_challenge_method=S256&x-client-SKU=msal.js.browser&state=s${i}`,
        status: 302,
        respHeaders: [['Location', `https://spa.example.com/#code=fake-code-${i}`]],
        redirectURL: `https://spa.example.com/#code=fake-code-${i}`,
      };
    case 4:
      return {
        method: 'POST',
        url: `${login}/oauth2/v2.0/token`,
        reqHeaders: [
          ['Origin', 'https://spa.example.com'],
          ['Content-Type', 'application/x-www-form-urlencoded'],
        ],
        postText: `client_id=${SPA}&grant_type=authorization_code&code=fake-code-${i}&code_verifier=v&x-client-SKU=msal.js.browser&scope=User.Read+openid`,
        status: 200,
        body: tokenResponse(i, SPA),
        mime: 'application/json',
      };
    case 5:
      return {
        method: 'GET',
        url: `${login}/oauth2/v2.0/authorize?client_id=${SPA}&response_type=id_token&scope=openid&nonce=n${i}&x-client-SKU=MSAL.JS`,
        status: 302,
        redirectURL: `https://spa.example.com/#id_token=${jwt({ aud: SPA })}`,
      };
    case 6:
      return {
        method: 'POST',
        url: `${login}/oauth2/v2.0/token`,
        postText: `client_id=${DAEMON}&grant_type=client_credentials&client_secret=fake-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default`,
        postMime: 'application/x-www-form-urlencoded',
        status: 200,
        body: tokenResponse(i, DAEMON),
        mime: 'application/json',
      };
    case 7: {
      const req = deflateRawSync(
        Buffer.from(
          `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a${i}" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sp.example.com</saml:Issuer></samlp:AuthnRequest>`,
        ),
      ).toString('base64');
      return {
        method: 'GET',
        url: `${login}/saml2?SAMLRequest=${encodeURIComponent(req)}`,
        status: 200,
        body: samlResponse(`_a${i}`),
        mime: 'text/html',
      };
    }
    case 8:
      return {
        method: 'POST',
        url: `${login}/saml2`,
        postText: 'SAMLRequest=',
        status: 200,
        body: samlResponse(null),
        mime: 'text/html',
      };
    case 9:
      return {
        method: 'GET',
        url: 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net',
        reqHeaders: [['Metadata', 'true']],
        status: 200,
        body: JSON.stringify({
          access_token: jwt({ idtyp: 'app' }),
          expires_in: '86399',
          token_type: 'Bearer',
        }),
        mime: 'application/json',
      };
    case 10:
      return {
        method: 'GET',
        url: `${login}/v2.0/.well-known/openid-configuration`,
        status: 200,
        body: JSON.stringify({ issuer: `https://login.microsoftonline.com/${TENANT}/v2.0` }),
        mime: 'application/json',
      };
    case 11:
    case 12:
      return {
        method: 'GET',
        url: `https://graph.microsoft.com/v1.0/me?n=${i}`,
        reqHeaders: [['Authorization', `Bearer ${jwt({ n: i })}`]],
        status: 200,
        body: JSON.stringify({ displayName: 'Fake User', id: String(i) }),
        mime: 'application/json',
      };
    case 13:
      return {
        method: 'GET',
        url: `https://cdn.example.com/img/${i}.png`,
        status: 200,
        body: Buffer.from(FILLER.slice(0, 600)).toString('base64'),
        mime: 'image/png',
        base64: true,
      };
    default:
      return {
        method: 'GET',
        url: `https://www.example.com/page/${i}`,
        reqHeaders: [['Cookie', `session=fake-${i}`]],
        status: 200,
        body: `<html><body><p>${FILLER.slice(0, 1200)}</p></body></html>`,
        mime: 'text/html',
      };
  }
}

function entry(i: number): unknown {
  const s = spec(i);
  const started = new Date(Date.UTC(2025, 0, 1) + i * 250).toISOString();
  const reqHeaders = [
    ['Host', new URL(s.url).host],
    ['User-Agent', 'synthetic'],
    ...(s.reqHeaders ?? []),
  ] as H;
  return {
    startedDateTime: started,
    time: 10 + (i % 90),
    request: {
      method: s.method,
      url: s.url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headers(reqHeaders),
      queryString: [],
      ...(s.postText !== undefined
        ? {
            postData: {
              mimeType: s.postMime ?? 'application/x-www-form-urlencoded',
              text: s.postText,
            },
          }
        : {}),
      headersSize: -1,
      bodySize: s.postText !== undefined ? Buffer.byteLength(s.postText) : 0,
    },
    response: {
      status: s.status,
      statusText: s.status === 200 ? 'OK' : 'Found',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headers(s.respHeaders ?? []),
      content: {
        size: s.body !== undefined ? Buffer.byteLength(s.body) : 0,
        mimeType: s.mime ?? 'text/plain',
        ...(s.body !== undefined ? { text: s.body } : {}),
        ...(s.base64 ? { encoding: 'base64' } : {}),
      },
      redirectURL: s.redirectURL ?? '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { send: 1, wait: 5, receive: 1 },
  };
}

/** How many of the first n synthetic entries are on hosts `keep` accepts (default: intercepted hosts). */
export function syntheticKeptCount(
  n: number,
  keep: (host: string, port: number, path: string) => boolean = (h, p, path) =>
    createPolicy({}).record(h, p, path),
): number {
  let c = 0;
  for (let i = 0; i < n; i++) {
    const u = new URL(spec(i).url);
    if (keep(u.hostname, u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80, u.pathname))
      c++;
  }
  return c;
}

/** Write a HAR of `n` synthetic entries to `path`, streaming (bounded memory for any n). */
export async function writeSyntheticHar(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(
    '{"log":{"version":"1.2","creator":{"name":"entra-bas-proxy synthetic","version":"1"},"pages":[],"entries":[\n',
  );
  for (let i = 0; i < n; i++) {
    await write((i === 0 ? '' : ',\n') + JSON.stringify(entry(i)));
  }
  await write('\n]}}\n');
  out.end();
  await once(out, 'finish');
}
