/**
 * The rows of the 2025 BAS page (issue 15), each tested on the golden fixture the simulator
 * recorded through the real proxy (test/fixtures/exchanges) and on variants of it: guests
 * (`idp`, `acct`, `client_info`), 21Vianet managed identity, service principals, MSAL's CCS routing
 * hint, and `protocol: oidc` when the response carries an ID token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import { EXACT_HOSTS } from '../../../src/core/hosts.js';
import type { ExchangeRecord, RawExchange } from '../../../src/core/types.js';
import { FIXTURES_DIR, type ExchangeFixture } from '../../fixtures/exchanges/record.js';
import { fakeJwt, makeRawExchange, rawBody } from '../../helpers/raw-exchange.js';

function fixture(name: string): RawExchange {
  return (JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8')) as ExchangeFixture).raw;
}

const codes = (r: ExchangeRecord): string[] => r.reasons.map((x) => x.code);
const ruleIds = (r: ExchangeRecord): (string | undefined)[] => r.reasons.map((x) => x.ruleId);

function b64json(o: unknown): string {
  return Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
}

function decode(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** The fixture with its token response's JSON edited. */
function withResponse(
  raw: RawExchange,
  edit: (json: Record<string, unknown>) => Record<string, unknown>,
): RawExchange {
  const json = JSON.parse(raw.responseBody?.text ?? '{}') as Record<string, unknown>;
  return { ...raw, responseBody: rawBody(JSON.stringify(edit(json))) };
}

/** A JWT of the response with some claims changed (undefined deletes). */
function editJwt(jwt: unknown, claims: Record<string, unknown>): string {
  const c = { ...decode(String(jwt)), ...claims };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) Reflect.deleteProperty(c, k);
  return fakeJwt({ alg: 'RS256', typ: 'JWT' }, c);
}

describe('guests (2025 BAS page: home-tenant members only)', () => {
  const redemption = fixture('guest-user-2.json');
  const refresh = fixture('guest-user-3.json');

  it('the simulator emits all three signals for a guest sign-in', () => {
    const json = JSON.parse(redemption.responseBody?.text ?? '{}') as Record<string, unknown>;
    const id = decode(String(json['id_token']));
    expect(String(id['idp'])).toMatch(/^https:\/\/sts\.windows\.net\/[0-9a-f-]{36}\/$/);
    expect(String(id['idp'])).not.toContain(String(id['tid']));
    expect(id['acct']).toBe(1);
    const info = JSON.parse(Buffer.from(String(json['client_info']), 'base64url').toString()) as {
      utid: string;
    };
    expect(info.utid).not.toBe(id['tid']);
  });

  it('idp of another tenant: not covered, guest-user first, the flow reason kept', () => {
    for (const raw of [redemption, refresh]) {
      const r = classifyExchange(raw);
      expect(r.verdict).toBe('not-covered');
      expect(codes(r)[0]).toBe('guest-user');
      expect(ruleIds(r)[0]).toBe('guest-user-idp');
      expect(r.reasons[0]?.docUrl).toContain('#what-makes-a-user-supportable');
    }
    expect(codes(classifyExchange(refresh))).toEqual([
      'guest-user',
      'native-silent',
      'token-cache-3-days',
    ]);
  });

  it('acct=1 alone, then client_info alone, each show the guest', () => {
    const noIdp = withResponse(redemption, (j) => ({
      ...j,
      id_token: editJwt(j['id_token'], { idp: undefined }),
      access_token: editJwt(j['access_token'], { idp: undefined }),
    }));
    expect(ruleIds(classifyExchange(noIdp))[0]).toBe('guest-user-acct');
    const infoOnly = withResponse(redemption, (j) => ({
      ...j,
      id_token: editJwt(j['id_token'], { idp: undefined, acct: undefined }),
      access_token: editJwt(j['access_token'], { idp: undefined, acct: undefined }),
    }));
    const r = classifyExchange(infoOnly);
    expect(ruleIds(r)[0]).toBe('guest-user-client-info');
    expect(r.verdict).toBe('not-covered');
  });

  it('where the response does not show it, the record stays as it is', () => {
    // The authorize leg: a redirect with a code, no token.
    const authorize = classifyExchange(fixture('guest-user-1.json'));
    expect(authorize.verdict).toBe('conditional');
    expect(codes(authorize)).toEqual(['native-interactive']);
    // A member: idp absent, acct 0, client_info naming the same tenant.
    const member = withResponse(redemption, (j) => {
      const tid = String(decode(String(j['id_token']))['tid']);
      return {
        ...j,
        id_token: editJwt(j['id_token'], { idp: undefined, acct: 0 }),
        access_token: editJwt(j['access_token'], { idp: undefined, acct: 0 }),
        client_info: b64json({ uid: 'u', utid: tid }),
      };
    });
    const r = classifyExchange(member);
    expect(r.verdict).toBe('conditional');
    expect(codes(r)).toEqual(['native-interactive']);
  });

  it('is not fooled by issuer spellings, app tokens or consumer accounts', () => {
    const tid = '11111111-2222-4333-8444-555555555555';
    const other = '99999999-2222-4333-8444-555555555555';
    const msa = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const judge = (claims: Record<string, unknown>): string[] =>
      codes(
        classifyExchange(
          makeRawExchange({
            url: `/${tid}/oauth2/v2.0/token`,
            form: {
              grant_type: 'refresh_token',
              client_id: 'c',
              refresh_token: 'x',
              client_info: '1',
            },
            responseJson: { token_type: 'Bearer', access_token: fakeJwt(undefined, claims) },
          }),
        ),
      );
    // v2 iss and a v1-style idp of the same tenant: a member.
    expect(
      judge({
        iss: `https://login.microsoftonline.com/${tid}/v2.0`,
        idp: `https://sts.windows.net/${tid}/`,
        tid,
      }),
    ).not.toContain('guest-user');
    // An app-only token naming another tenant's idp: not a user.
    expect(
      judge({
        iss: `https://sts.windows.net/${tid}/`,
        idp: `https://sts.windows.net/${other}/`,
        tid,
        idtyp: 'app',
      }),
    ).not.toContain('guest-user');
    // A personal account in its own consumer tenant.
    expect(
      judge({ iss: `https://login.microsoftonline.com/${msa}/v2.0`, idp: 'live.com', tid: msa }),
    ).not.toContain('guest-user');
    // A personal account invited as a guest into an organisation.
    expect(
      judge({ iss: `https://login.microsoftonline.com/${tid}/v2.0`, idp: 'live.com', tid }),
    ).toContain('guest-user');
  });
});

describe('21Vianet managed identity (2025 BAS page contradicts itself): unknown', () => {
  const statements = [
    'supported in all cloud environments except Microsoft Azure operated by 21Vianet',
    'Managed identities | https://login.partner.microsoftonline.cn',
  ];

  it('an IMDS token issued by the China cloud', () => {
    const r = classifyExchange(fixture('managed-identity-21vianet-1.json'));
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['managed-identity-21vianet']);
    for (const s of statements) expect(r.reasons[0]?.message).toContain(s);
  });

  it('a managed identity signing in at login.partner.microsoftonline.cn', () => {
    const r = classifyExchange(fixture('managed-identity-21vianet-host-1.json'));
    expect(r.host).toBe('login.partner.microsoftonline.cn');
    expect(r.verdict).toBe('unknown');
    expect(ruleIds(r)).toEqual(['managed-identity-21vianet-host']);
    for (const s of statements) expect(r.reasons[0]?.message).toContain(s);
  });

  it('every other China host stays as before: host-unsupported (mTLS hosts: their own unknown)', () => {
    const raw = fixture('managed-identity-21vianet-host-1.json');
    const chinaHosts = Object.entries(EXACT_HOSTS)
      .filter(([h, row]) => row.cloud === 'china' && row.role === 'sts' && h !== raw.host)
      .map(([h]) => h);
    expect(chinaHosts).toContain('login.chinacloudapi.cn');
    for (const host of chinaHosts) {
      const r = classifyExchange({ ...raw, host });
      if (host.startsWith('mtlsauth.')) {
        // mTLS PoP endpoints were never host-unsupported: their coverage is undocumented.
        expect(ruleIds(r), host).toEqual(['mtls-pop-client-credentials']);
        continue;
      }
      expect(r.verdict, host).toBe('not-covered');
      expect(codes(r), host).toEqual(['host-unsupported', 'client-credentials']);
    }
  });

  it('at login.partner.microsoftonline.cn, a service principal (no xms_mirid) stays not covered', () => {
    const raw = withResponse(fixture('managed-identity-21vianet-host-1.json'), (j) => ({
      ...j,
      access_token: editJwt(j['access_token'], { xms_mirid: undefined }),
    }));
    const r = classifyExchange(raw);
    expect(r.verdict).toBe('not-covered');
    expect(codes(r)).toEqual(['host-unsupported', 'client-credentials']);
  });

  it('a public-cloud IMDS token stays covered', () => {
    expect(classifyExchange(fixture('managed-identity-system-1.json')).verdict).toBe('covered');
  });
});

describe('service principals "aren\u2019t protected" (2025 BAS page)', () => {
  it('the client-credentials row links to the 2025 page', () => {
    const r = classifyExchange(fixture('client-credentials-secret-1.json'));
    const reason = r.reasons.find((x) => x.code === 'client-credentials');
    expect(reason?.docUrl).toBe(
      'https://learn.microsoft.com/entra/architecture/backup-authentication-system#summary-of-infrastructure-authentication-support',
    );
    expect(reason?.message).toContain('aren\u2019t protected');
    expect(r.verdict).toBe('not-covered');
  });
});

describe("MSAL's CCS routing hint (X-AnchorMailbox): MSAL-family evidence, kind only", () => {
  const OID = '6f1c2a3b-0000-4000-8000-00000000abcd';
  const TID = '11111111-2222-4333-8444-555555555555';
  const UPN = 'someone.private@contoso.example';
  const bare = (o: { header?: string; param?: string } = {}): ExchangeRecord =>
    classifyExchange(
      makeRawExchange({
        url: `/${TID}/oauth2/v2.0/token`,
        requestHeaders: o.header !== undefined ? { 'X-AnchorMailbox': o.header } : {},
        form: {
          grant_type: 'refresh_token',
          client_id: 'c0ffee00-0000-4000-8000-000000000001',
          refresh_token: 'fake-rt',
          ...(o.param !== undefined ? { 'X-AnchorMailbox': o.param } : {}),
        },
        responseJson: { token_type: 'Bearer', expires_in: 3599 },
      }),
    );

  it('without any MSAL hint, non-msal-client is reported (control)', () => {
    expect(codes(bare())).toContain('non-msal-client');
    expect(bare().evidence.routingHint).toBeUndefined();
  });

  it.each([
    ['header Oid:', { header: `Oid:${OID}@${TID}` }, 'oid'],
    ['header UPN: (msal-node spells it with a space)', { header: `UPN: ${UPN}` }, 'upn'],
    ['body parameter UPN: (msal-browser)', { param: `UPN:${UPN}` }, 'upn'],
    ['body parameter oid: (lower case)', { param: `oid:${OID}@${TID}` }, 'oid'],
  ] as const)('%s', (_name, o, kind) => {
    const r = bare(o);
    expect(codes(r)).not.toContain('non-msal-client');
    expect(r.evidence.routingHint).toBe(kind);
    // Same verdict as without the hint: it guarantees nothing about coverage.
    expect(r.verdict).toBe(bare().verdict);
    const text = JSON.stringify(r);
    expect(text).not.toContain(OID);
    expect(text).not.toContain(UPN);
    expect(text).not.toContain('someone.private');
  });

  it('a recorded msal-node silent refresh carries it as a header', () => {
    expect(classifyExchange(fixture('native-silent-refresh-1.json')).evidence.routingHint).toBe(
      'oid',
    );
  });
});

describe('protocol is oidc whenever the response carries an id_token', () => {
  const TID = '11111111-2222-4333-8444-555555555555';
  const IDT = fakeJwt(undefined, {
    aud: 'c',
    tid: TID,
    iss: `https://login.microsoftonline.com/${TID}/v2.0`,
  });
  const cases = [
    ['device-code final poll', { grant_type: 'device_code', device_code: 'dc', client_id: 'c' }],
    [
      'PKCE code redemption',
      {
        grant_type: 'authorization_code',
        code: 'x',
        code_verifier: 'v',
        client_id: 'c',
        redirect_uri: 'http://localhost',
      },
    ],
    ['refresh', { grant_type: 'refresh_token', refresh_token: 'r', client_id: 'c' }],
  ] as const;

  it.each(cases)('%s without scope=openid', (_name, form) => {
    const raw = (withIdToken: boolean): RawExchange =>
      makeRawExchange({
        url: `/${TID}/oauth2/v2.0/token`,
        requestHeaders: { 'x-client-SKU': 'MSAL.Python', 'x-client-Ver': '1.31.0' },
        form: { ...form, scope: 'https://graph.microsoft.com/.default' },
        responseJson: {
          token_type: 'Bearer',
          access_token: 'opaque',
          ...(withIdToken ? { id_token: IDT } : {}),
        },
      });
    const withId = classifyExchange(raw(true));
    const without = classifyExchange(raw(false));
    expect(withId.protocol).toBe('oidc');
    expect(without.protocol).toBe('oauth2');
    // The protocol is a label: verdict and reasons do not move.
    expect(withId.verdict).toBe(without.verdict);
    expect(codes(withId)).toEqual(codes(without));
  });
});
