/**
 * The display name an exchange shows for its application: the `app_displayname` claim of a v1
 * access token issued to that client (Entra puts it in v1 tokens, e.g. Microsoft Graph's). Only the
 * decoded claim is read; the token is never kept. A name is taken only from a token whose `appid`
 * (or `azp`) is the exchange's client, so a token held for another app never renames this one. Pure.
 */
import { claim } from './jwt-claim.js';
import type { ParsedExchange } from './parsed.js';

/** Longest name kept (a display name is at most 120 characters in Entra). */
export const MAX_APP_NAME = 120;

/** Token kinds that can carry the client's display name: a token response, or a bearer token. */
const KINDS = ['access_token', 'bearer'] as const;

/** The client's display name carried by this exchange, or null. */
export function appNameOf(px: ParsedExchange, clientId: string | null): string | null {
  if (clientId === null) return null;
  const id = clientId.toLowerCase();
  for (const kind of KINDS) {
    const jwt = px.jwts[kind];
    const name = claim(jwt, 'app_displayname');
    if (name === null) continue;
    const owner = claim(jwt, 'appid') ?? claim(jwt, 'azp');
    if (owner === null || owner.toLowerCase() !== id) continue;
    const clean = name
      .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (clean !== '') return clean.length > MAX_APP_NAME ? clean.slice(0, MAX_APP_NAME) : clean;
  }
  return null;
}
