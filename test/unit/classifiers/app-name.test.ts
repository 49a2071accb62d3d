/**
 * Applications are named by the `app_displayname` claim of a v1 access token issued to them
 * (decoded claim only; the token is never kept), and only by a token whose appid/azp is the
 * exchange's client. Records without a name keep their shape (no `appName` key at all).
 */
import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import { MAX_APP_NAME } from '../../../src/classifiers/app-name.js';
import { createSession } from '../../../src/classifiers/session.js';
import { fakeJwt, makeRawExchange } from '../../helpers/raw-exchange.js';

const TID = '11111111-2222-3333-4444-555555555555';
const CLIENT = '0a1b2c3d-0000-4000-8000-00000000c1e7';
const OTHER = '0a1b2c3d-0000-4000-8000-0000000000ff';

function accessToken(claims: Record<string, unknown>): string {
  return fakeJwt(
    { alg: 'RS256', typ: 'JWT' },
    { aud: '00000003-0000-0000-c000-000000000000', tid: TID, ...claims },
  );
}

function tokenExchange(id: string, at: string, clientId = CLIENT) {
  return makeRawExchange({
    id,
    url: `/${TID}/oauth2/v2.0/token`,
    form: {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: 's3cr3t-not-real',
      scope: 'https://graph.microsoft.com/.default',
    },
    responseJson: { token_type: 'Bearer', expires_in: 3599, access_token: at },
    requestHeaders: { 'x-client-SKU': 'MSAL.Node', 'x-client-Ver': '3.8.0' },
  });
}

describe('application names from app_displayname', () => {
  it('names the client of a v1 access token issued to it, and keeps no token', () => {
    const at = accessToken({ ver: '1.0', appid: CLIENT, app_displayname: 'Nightly Export Daemon' });
    const r = classifyExchange(tokenExchange('n1', at));
    expect(r.clientId).toBe(CLIENT);
    expect(r.appName).toBe('Nightly Export Daemon');
    expect(JSON.stringify(r)).not.toContain(at);
    expect(JSON.stringify(r)).not.toContain(at.split('.')[1]);
  });

  it('names a UserInfo call by the bearer token of the app that holds it', () => {
    const bearer = accessToken({ ver: '1.0', appid: CLIENT, app_displayname: 'Profile Widget' });
    const r = classifyExchange(
      makeRawExchange({
        method: 'GET',
        host: 'graph.microsoft.com',
        url: '/oidc/userinfo',
        requestHeaders: { authorization: `Bearer ${bearer}` },
        responseJson: { sub: 'x' },
      }),
    );
    expect(r.clientId).toBe(CLIENT);
    expect(r.appName).toBe('Profile Widget');
  });

  it.each([
    [
      'a token issued to another app',
      { ver: '1.0', appid: OTHER, app_displayname: 'Someone Else' },
    ],
    ['a token naming no owner', { ver: '1.0', app_displayname: 'Nobody' }],
    ['a v2 token (no app_displayname)', { ver: '2.0', azp: CLIENT }],
    ['an empty name', { ver: '1.0', appid: CLIENT, app_displayname: '   ' }],
    ['a name that is not a string', { ver: '1.0', appid: CLIENT, app_displayname: 42 }],
  ])('gives no name for %s, and no appName key at all', (_, claims) => {
    const r = classifyExchange(tokenExchange('x', accessToken(claims)));
    expect(r.appName).toBeUndefined();
    expect(Object.hasOwn(r, 'appName')).toBe(false);
  });

  it('puts a name on one line and caps its length', () => {
    const long = `Line one\n\tline\u2028two ${'x'.repeat(300)}`;
    const r = classifyExchange(
      tokenExchange(
        'c',
        accessToken({ ver: '1.0', appid: CLIENT.toUpperCase(), app_displayname: long }),
      ),
    );
    expect(r.appName).toMatch(/^Line one line two x+$/);
    expect(r.appName).toHaveLength(MAX_APP_NAME);
  });

  it('gives the application the first name its exchanges carried (null when none did)', () => {
    const s = createSession();
    const plain = classifyExchange(tokenExchange('p', accessToken({ ver: '2.0', azp: CLIENT })));
    s.add(plain);
    expect(s.applications()[0]?.name).toBeNull();
    s.add(
      classifyExchange(
        tokenExchange('a', accessToken({ ver: '1.0', appid: CLIENT, app_displayname: 'First' })),
      ),
    );
    s.add(
      classifyExchange(
        tokenExchange('b', accessToken({ ver: '1.0', appid: CLIENT, app_displayname: 'Renamed' })),
      ),
    );
    expect(s.applications()[0]?.name).toBe('First');
    // A record read back from a log with a bad value is ignored, never a crash.
    s.add({ ...plain, id: 'bad', clientId: OTHER, appName: 7 as unknown as string });
    expect(s.applications().find((a) => a.clientId === OTHER)?.name).toBeNull();
  });
});
