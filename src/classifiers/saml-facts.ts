/**
 * The SAML facts of an exchange (entra-wire §6): which message decides (the Response when there is
 * one), the rule fact it gives and the initiation (SP or IdP), and the SAML app's entity ID. Pure.
 */
import type { SamlInitiation } from '../core/types.js';
import type { ParsedExchange, SamlMessage } from './parsed.js';
import type { SamlMessageFact } from './rules.js';

export interface SamlFacts {
  message: SamlMessage | null;
  fact: SamlMessageFact | null;
  initiation: SamlInitiation | null;
}

/** The deciding SAML message of an exchange and what it says. */
export function samlFacts(px: ParsedExchange): SamlFacts {
  if (px.saml.length === 0) return { message: null, fact: null, initiation: null };
  let response: SamlMessage | null = null;
  let request: SamlMessage | null = null;
  let logout: SamlMessage | null = null;
  let other: SamlMessage | null = null;
  for (const r of px.saml) {
    if (!r.ok) continue;
    const m = r.message;
    if (m.kind === 'Response') response ??= m;
    else if (m.kind === 'AuthnRequest') request ??= m;
    else if (m.kind === 'LogoutRequest' || m.kind === 'LogoutResponse') logout ??= m;
    else other ??= m;
  }
  // Decide on the Response when there is one (entra-wire §6.2: InResponseTo is decisive).
  if (response !== null) {
    return {
      message: response,
      fact: 'response',
      initiation: response.hasInResponseTo ? 'sp' : 'idp',
    };
  }
  if (request !== null) return { message: request, fact: 'authn-request', initiation: 'sp' };
  if (logout !== null) return { message: logout, fact: 'logout', initiation: null };
  if (other !== null) return { message: other, fact: 'other', initiation: null };
  return { message: null, fact: 'unparseable', initiation: null };
}

/**
 * A SAML app is named by its entity ID: the AuthnRequest's Issuer, or the Audience of the response's
 * assertion (the reply URL only when the assertion is encrypted).
 */
export function samlAppId(saml: SamlFacts): string | null {
  return saml.fact === 'response'
    ? (saml.message?.audience ?? saml.message?.destination ?? null)
    : (saml.message?.issuer ?? null);
}
