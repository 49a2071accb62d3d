/**
 * The parsed form of a RawExchange: what the parsers (src/classifiers/parse/) produce and the
 * classifier (src/classifiers/classify.ts) consumes. Pure data; secrets may still be inside (decoded
 * JWT claims are kept whole here) and are dropped by the redactor when the record's evidence is built.
 */
import type { RawExchange, RoutingHintKind } from '../core/types.js';

/** Parameters by name, first value wins. Names as sent (case kept). */
export type Params = Readonly<Record<string, string>>;

/** A request parameter by name: the form body's first, else the query's. */
export type ParamLookup = (name: string) => string | undefined;

export interface JwtInfo {
  /** Decoded protected header fields (alg, typ, kid, x5t, `x5c` as "present"). */
  readonly header: Readonly<Record<string, string>>;
  /** Decoded payload claims (whole; only the non-secret subset goes into evidence). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** First 8 hex of SHA-256 of the compact token. */
  readonly fingerprint: string;
}

export type JwtResult =
  { readonly ok: true; readonly jwt: JwtInfo } | { readonly ok: false; readonly error: string };

export type SamlMessageKind =
  'AuthnRequest' | 'Response' | 'LogoutRequest' | 'LogoutResponse' | 'other';

export interface SamlMessage {
  readonly kind: SamlMessageKind;
  readonly binding: 'redirect' | 'post';
  /** Where it was found: the request (query/form) or an auto-post form in the response body. */
  readonly foundIn: 'request' | 'response';
  readonly id: string | null;
  /** True when samlp:Response/@InResponseTo or SubjectConfirmationData/@InResponseTo is present. */
  readonly hasInResponseTo: boolean;
  readonly issuer: string | null;
  readonly destination: string | null;
  /** The SP's entity ID from the assertion's AudienceRestriction (null when absent or encrypted). */
  readonly audience: string | null;
  readonly statusCode: string | null;
  /** Fingerprint of the encoded message (never the message itself). */
  readonly fingerprint: string;
}

export type SamlResult =
  | { readonly ok: true; readonly message: SamlMessage }
  | { readonly ok: false; readonly error: string };

export interface Telemetry {
  /** The schema version (first field), e.g. "5". */
  readonly schema: string;
  readonly apiId: number | null;
  /** Cache refresh reason / outcome (second field), when present. */
  readonly cacheInfo: number | null;
  /** What the api id says about the call, when known. */
  readonly kind:
    | 'silent'
    | 'by-refresh-token'
    | 'interactive'
    | 'auth-code'
    | 'ropc'
    | 'iwa'
    | 'device-code'
    | 'obo'
    | 'client-credentials'
    | 'managed-identity'
    | null;
}

export interface LibraryInfo {
  /** x-client-SKU (or similar) as sent. */
  readonly sku: string;
  readonly version: string | null;
}

export interface ParsedExchange {
  readonly raw: RawExchange;
  /** The path without query, as requested. */
  readonly pathname: string;
  readonly query: Params;
  /** Form-urlencoded body parameters, or a JSON object body's top-level string/number/bool fields. */
  readonly form: Params;
  readonly requestBodyKind: 'empty' | 'form' | 'json' | 'xml' | 'html' | 'text' | 'binary';
  /** The response body parsed as a JSON object (token responses, discovery), else null. */
  readonly responseJson: Readonly<Record<string, unknown>> | null;
  /** Fields of an auto-post form in an HTML response (SAMLResponse, wresult, id_token form_post...). */
  readonly responseForm: { readonly action: string | null; readonly fields: Params } | null;
  /** Fragment/query parameters of a redirect Location header (implicit fragments, code responses). */
  readonly redirectParams: Params | null;
  /** Request header lookup, case-insensitive. */
  readonly header: (name: string) => string | undefined;
  /** Response header lookup, case-insensitive. */
  readonly responseHeader: (name: string) => string | undefined;
  /** Every SAML message found in the request or the response. */
  readonly saml: readonly SamlResult[];
  /** JWTs found, by where they were: access_token, id_token, refresh_token?, client_assertion, assertion, request, and `bearer` (an Authorization: Bearer header). */
  readonly jwts: Readonly<Record<string, JwtResult>>;
  readonly telemetry: Telemetry | null;
  readonly library: LibraryInfo | null;
  /** MSAL's CCS routing hint (X-AnchorMailbox) kind, when one was sent (never its value). */
  readonly routingHint: RoutingHintKind | null;
  /** Problems met while parsing (truncated body, bad base64, XML refused...), human-readable. */
  readonly problems: readonly string[];
}
