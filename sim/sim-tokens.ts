/**
 * Token minting for the simulated Entra ID: one RSA signing key (published as the JWKS), access
 * tokens in the v1 or v2 format with Entra's claims (ver, tid, aud, appid/azp, appidacr/azpacr,
 * idtyp, scp/roles, xms_mirid), ID tokens, opaque refresh tokens and `client_info`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload } from 'jose';

export interface SimUser {
  readonly oid: string;
  readonly name: string;
  readonly username: string;
  /**
   * For a B2B guest: the user's home tenant and object id there. The tokens then carry `idp` (the
   * home tenant's issuer) and the optional claim `acct: 1` (the sim's apps ask for it), and
   * `client_info` names the home account (`uid` = home oid, `utid` = home tenant), as Entra does.
   */
  readonly home?: { readonly tenantId: string; readonly oid: string };
}

/** Users of these domains are B2B guests in the sim's tenant, homed in a tenant of their own. */
export const SIM_GUEST_DOMAINS: readonly string[] = ['fabrikam.example'];

/** 0 public client, 1 client secret, 2 certificate / federated assertion (appidacr / azpacr). */
export type ClientAuthLevel = 0 | 1 | 2;

export interface AccessTokenSpec {
  readonly tenantId: string;
  /** The host the request came to; picks the cloud of the issuer. */
  readonly host: string;
  readonly clientId: string;
  readonly clientAuth: ClientAuthLevel;
  /** Scopes or a v1 resource; the resource (aud) and the permission names come from them. */
  readonly scopes: readonly string[];
  /** Present for delegated tokens; absent for app-only (client credentials, managed identity). */
  readonly user?: SimUser;
  /** For managed identity: the identity's ARM resource id (xms_mirid). */
  readonly miResourceId?: string;
  readonly lifetimeSec: number;
}

export interface IdTokenSpec {
  readonly tenantId: string;
  readonly host: string;
  readonly clientId: string;
  readonly user: SimUser;
  readonly nonce?: string | undefined;
  readonly version: '1.0' | '2.0';
  readonly lifetimeSec: number;
}

export interface TokenIssuer {
  readonly kid: string;
  readonly jwks: { keys: JWK[] };
  accessToken(spec: AccessTokenSpec): Promise<string>;
  idToken(spec: IdTokenSpec): Promise<string>;
  /** Claims of a token this issuer signed and that has not expired, else null. */
  verify(token: string): Promise<JWTPayload | null>;
}

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/** The resource (audience) and permission names asked for by a list of v2 scopes (or a v1 resource). */
export function resourceOf(scopes: readonly string[]): { resource: string; permissions: string[] } {
  const api = scopes.filter((s) => !OIDC_SCOPES.has(s));
  let resource = 'https://graph.microsoft.com';
  const permissions: string[] = [];
  for (const s of api) {
    const cut = s.lastIndexOf('/');
    if (cut > 0 && /^(https?:\/\/|api:\/\/)/i.test(s)) {
      const r = s.slice(0, cut);
      const p = s.slice(cut + 1);
      if (permissions.length === 0) resource = r;
      if (p.length > 0 && p !== '.default') permissions.push(p);
      if (p.length === 0 && permissions.length === 0) resource = r;
    } else if (/^(https?:\/\/|api:\/\/)/i.test(s)) {
      resource = s; // a bare v1 resource
    } else {
      permissions.push(s);
    }
  }
  if (permissions.length === 0) permissions.push('User.Read');
  return { resource: resource.replace(/\/$/, ''), permissions };
}

/** Issuer host of the cloud the request host belongs to. */
export function issuerHostFor(host: string): string {
  if (host.endsWith('.us') || host.endsWith('usgovcloudapi.net')) return 'login.microsoftonline.us';
  if (host.endsWith('.cn')) return 'login.partner.microsoftonline.cn';
  return 'login.microsoftonline.com';
}

export function v2Issuer(host: string, tid: string): string {
  return `https://${issuerHostFor(host)}/${tid}/v2.0`;
}

export function v1Issuer(host: string, tid: string): string {
  const ih = issuerHostFor(host);
  if (ih === 'login.microsoftonline.com') return `https://sts.windows.net/${tid}/`;
  // Azure operated by 21Vianet issues v1 tokens as sts.chinacloudapi.cn (NATCLOUD).
  if (ih === 'login.partner.microsoftonline.cn') return `https://sts.chinacloudapi.cn/${tid}/`;
  return `https://${ih}/${tid}/`;
}

/** The guest claims of a user's tokens (none for a member of the sim's tenant). */
function guestClaims(user: SimUser): Record<string, unknown> {
  if (user.home === undefined) return {};
  return { idp: `https://sts.windows.net/${user.home.tenantId}/`, acct: 1 };
}

/** `client_info` for a user: the home account (a guest's home tenant and object id there). */
export function clientInfoFor(user: SimUser, tid: string): string {
  return user.home === undefined
    ? clientInfo(user.oid, tid)
    : clientInfo(user.home.oid, user.home.tenantId);
}

/** base64url `{"uid","utid"}`, what MSAL asks for with client_info=1. */
export function clientInfo(uid: string, utid: string): string {
  return Buffer.from(JSON.stringify({ uid, utid }), 'utf8').toString('base64url');
}

/** An opaque refresh token (Entra's are opaque, about a kilobyte). */
export function newRefreshToken(): string {
  return `1.AXkA${randomBytes(180).toString('base64url')}`;
}

function b64(n: number): string {
  return randomBytes(n).toString('base64url');
}

/** Pairwise subject per (user, app), like Entra's `sub`. */
function pairwiseSub(oid: string, clientId: string): string {
  return createHash('sha256').update(`${oid}|${clientId}`).digest('base64url').slice(0, 43);
}

/**
 * `appNames`: display names of registered applications by client id; a v1 access token issued to
 * one carries it as `app_displayname`, as Entra's do.
 */
export async function createTokenIssuer(
  appNames: Readonly<Record<string, string>> = {},
): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = createHash('sha1').update(JSON.stringify(pub)).digest('base64url').slice(0, 27);
  const jwk: JWK = { ...pub, kid, use: 'sig', alg: 'RS256', x5t: kid };

  async function sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5t: kid, kid })
      .sign(privateKey);
  }

  return {
    kid,
    jwks: { keys: [jwk] },
    async verify(token) {
      try {
        return (await jwtVerify(token, publicKey)).payload;
      } catch {
        // a bad, foreign or expired token: the caller answers 401
        return null;
      }
    },
    async accessToken(spec) {
      const now = Math.floor(Date.now() / 1000);
      const { resource, permissions } = resourceOf(spec.scopes);
      const isGraph =
        /^https:\/\/graph\.microsoft\.(com|us)$/i.test(resource) || resource === GRAPH_APP_ID;
      const v1 = isGraph || !resource.startsWith('api://');
      const common: Record<string, unknown> = {
        aud: isGraph ? GRAPH_APP_ID : resource,
        iss: v1 ? v1Issuer(spec.host, spec.tenantId) : v2Issuer(spec.host, spec.tenantId),
        iat: now,
        nbf: now,
        exp: now + spec.lifetimeSec,
        aio: b64(40),
        rh: `0.${b64(40)}.`,
        tid: spec.tenantId,
        uti: b64(16),
        ver: v1 ? '1.0' : '2.0',
        xms_tcdt: 1600000000,
      };
      if (v1) {
        common['appid'] = spec.clientId;
        common['appidacr'] = String(spec.clientAuth);
        const appName = Object.hasOwn(appNames, spec.clientId)
          ? appNames[spec.clientId]
          : undefined;
        if (appName !== undefined) common['app_displayname'] = appName;
      } else {
        common['azp'] = spec.clientId;
        common['azpacr'] = String(spec.clientAuth);
      }
      if (spec.user) {
        Object.assign(common, {
          idtyp: 'user',
          amr: ['pwd'],
          name: spec.user.name,
          oid: spec.user.oid,
          scp: permissions.join(' '),
          sub: pairwiseSub(spec.user.oid, spec.clientId),
          ...(v1
            ? { upn: spec.user.username, unique_name: spec.user.username }
            : { preferred_username: spec.user.username }),
          ...guestClaims(spec.user),
        });
      } else {
        const spOid = createHash('sha256').update(`sp|${spec.clientId}`).digest('hex');
        const oid = `${spOid.slice(0, 8)}-${spOid.slice(8, 12)}-${spOid.slice(12, 16)}-${spOid.slice(16, 20)}-${spOid.slice(20, 32)}`;
        Object.assign(common, {
          idtyp: 'app',
          idp: v1Issuer(spec.host, spec.tenantId),
          oid,
          sub: oid,
          roles: permissions.filter((p) => p !== 'User.Read'),
        });
        if (spec.miResourceId !== undefined) common['xms_mirid'] = spec.miResourceId;
      }
      return sign(common);
    },
    async idToken(spec) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        aud: spec.clientId,
        iss:
          spec.version === '2.0'
            ? v2Issuer(spec.host, spec.tenantId)
            : v1Issuer(spec.host, spec.tenantId),
        iat: now,
        nbf: now,
        exp: now + spec.lifetimeSec,
        aio: b64(40),
        name: spec.user.name,
        oid: spec.user.oid,
        rh: `0.${b64(40)}.`,
        sub: pairwiseSub(spec.user.oid, spec.clientId),
        tid: spec.tenantId,
        uti: b64(16),
        ver: spec.version,
      };
      if (spec.version === '2.0') claims['preferred_username'] = spec.user.username;
      else
        Object.assign(claims, {
          upn: spec.user.username,
          unique_name: spec.user.username,
          amr: ['pwd'],
        });
      if (spec.nonce !== undefined) claims['nonce'] = spec.nonce;
      Object.assign(claims, guestClaims(spec.user));
      return sign(claims);
    },
  };
}

/** A GUID-shaped id derived from text (stable users per username). */
export function guidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function userFor(username: string | undefined): SimUser {
  const u = username && username.length > 0 ? username.toLowerCase() : 'alex@contoso.example';
  const local = u.split('@')[0] ?? 'user';
  const domain = u.split('@')[1] ?? '';
  return {
    oid: guidFrom(`user|${u}`),
    name: local.charAt(0).toUpperCase() + local.slice(1),
    username: u,
    ...(SIM_GUEST_DOMAINS.includes(domain)
      ? { home: { tenantId: guidFrom(`home-tenant|${domain}`), oid: guidFrom(`home-user|${u}`) } }
      : {}),
  };
}
