/**
 * The parsing stage: RawExchange -> ParsedExchange. Pure (no I/O, clock or logger) and total:
 * whatever the traffic holds, problems go to `problems` and nothing is thrown.
 */
import type { HeaderMap, RawBody, RawExchange } from '../../core/types.js';
import type { LibraryInfo, ParsedExchange, Params, SamlResult, Telemetry } from '../parsed.js';
import { findAutoPostForm, mayHoldForm } from './html-form.js';
import { addLazyJwt, newJwtTable } from './jwt-table.js';
import { JWT_NAMES, looksLikeJwt } from './jwt.js';
import { detectLibrary, detectRoutingHint } from './library.js';
import { findParam, jsonScalars, parseJsonObject, parseUrlEncoded, splitUrl } from './params.js';
import { isRedirectStatus, locationParams } from './redirect.js';
import { parseSamlParam } from './saml.js';
import { parseTelemetry } from './telemetry.js';

type BodyKind = ParsedExchange['requestBodyKind'];

/** Header lookup over a (normally lowercased) header map; lowercases a copy when needed. */
function headerLookup(h: HeaderMap): (name: string) => string | undefined {
  for (const k in h) {
    if (k !== k.toLowerCase()) {
      const lowered = new Map<string, string>();
      for (const [name, v] of Object.entries(h)) {
        const key = name.toLowerCase();
        // Repeated names differing only by case: join like the adapter does.
        const prev = lowered.get(key);
        lowered.set(key, prev === undefined ? v : `${prev}, ${v}`);
      }
      return (name: string) => lowered.get(name.toLowerCase());
    }
  }
  return (name: string) => {
    const key = name.toLowerCase();
    return Object.hasOwn(h, key) ? h[key] : undefined;
  };
}

const FORM_BODY = /^[A-Za-z0-9_.\-~%+*]+=/;

function bodyKind(body: RawBody | null, contentType: string | undefined): BodyKind {
  if (body === null || body.text.length === 0) return 'empty';
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('application/x-www-form-urlencoded')) return 'form';
  if (ct.includes('json')) return 'json';
  if (ct.includes('xml') || ct.includes('soap')) return 'xml';
  if (ct.includes('text/html')) return 'html';
  if (
    ct.includes('octet-stream') ||
    ct.includes('kerberos') ||
    ct.startsWith('image/') ||
    ct.includes('protobuf')
  ) {
    return 'binary';
  }
  // No (useful) content type: sniff.
  const t = body.text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return 'json';
  if (t.startsWith('<')) return /^<(?:!doctype\s+html|html)\b/i.test(t) ? 'html' : 'xml';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1f]/.test(t.slice(0, 512))) return 'binary';
  if (FORM_BODY.test(t) && !/\s/.test(t.slice(0, 256))) return 'form';
  return 'text';
}

const SAML_NAMES = ['SAMLRequest', 'SAMLResponse'] as const;

/** Where JWTs are looked for, in order (first place wins): the names used in problems. */
const JWT_SOURCE_NAMES = [
  'request body',
  'query',
  'response body',
  'redirect Location',
  'response form',
] as const;

function truncationProblem(what: string, body: RawBody): string {
  return `${what} body truncated: ${body.text.length} characters kept of ${body.size} bytes`;
}

/** Parse one exchange. Never throws. */
export function parseExchange(raw: RawExchange): ParsedExchange {
  try {
    return parseUnsafe(raw);
  } catch (e) {
    // A bug in a parser must not stop the pipeline: keep what is certain, report the failure.
    const msg = e instanceof Error ? `${e.name}: ${e.message.slice(0, 120)}` : 'unknown error';
    const url = typeof raw.url === 'string' ? raw.url : '';
    return {
      raw,
      pathname: splitUrl(url).pathname,
      query: {},
      form: {},
      requestBodyKind: 'empty',
      responseJson: null,
      responseForm: null,
      redirectParams: null,
      header: () => undefined,
      responseHeader: () => undefined,
      saml: [],
      jwts: {},
      telemetry: null,
      library: null,
      routingHint: null,
      problems: [`internal parser error (${msg})`],
    };
  }
}

function parseUnsafe(raw: RawExchange): ParsedExchange {
  const problems: string[] = [];
  const header = headerLookup(raw.requestHeaders);
  const responseHeader = headerLookup(raw.responseHeaders);

  // URL
  const url = splitUrl(raw.url);
  const query: Params = parseUrlEncoded(url.search);

  // Request body
  const reqBody = raw.requestBody;
  const requestBodyKind = bodyKind(reqBody, header('content-type'));
  let form: Params = {};
  if (reqBody !== null && reqBody.truncated) problems.push(truncationProblem('request', reqBody));
  if (reqBody !== null && requestBodyKind === 'form') {
    form = parseUrlEncoded(reqBody.text.trim());
  } else if (reqBody !== null && requestBodyKind === 'json') {
    const obj = parseJsonObject(reqBody.text);
    if (obj !== null) form = jsonScalars(obj);
    else if (!reqBody.text.trimStart().startsWith('['))
      problems.push('request body is not a valid JSON object');
  }

  // Response body
  const resBody = raw.responseBody;
  let responseJson: Record<string, unknown> | null = null;
  let responseForm: ParsedExchange['responseForm'] = null;
  if (resBody !== null && resBody.text.length > 0) {
    if (resBody.truncated) problems.push(truncationProblem('response', resBody));
    const ct = (responseHeader('content-type') ?? '').toLowerCase();
    responseJson = parseJsonObject(resBody.text);
    if (responseJson === null && ct.includes('json') && resBody.text.trimStart().startsWith('{')) {
      problems.push('response body is not valid JSON');
    }
    if (responseJson === null && !ct.includes('json') && mayHoldForm(resBody.text)) {
      responseForm = findAutoPostForm(resBody.text);
    }
  }

  // Redirect
  let redirectParams: Params | null = null;
  const location = responseHeader('location');
  if (location !== undefined && isRedirectStatus(raw.status)) {
    redirectParams = locationParams(location);
  }

  // SAML
  const saml: SamlResult[] = [];
  const addSaml = (
    params: Params | null,
    binding: 'redirect' | 'post',
    foundIn: 'request' | 'response',
    where: string,
  ): void => {
    if (params === null) return;
    for (const name of SAML_NAMES) {
      const v = params[name];
      if (v === undefined || !Object.hasOwn(params, name)) continue;
      const r = parseSamlParam(v, binding, foundIn);
      saml.push(r);
      if (!r.ok) problems.push(`${name} in ${where}: ${r.error}`);
    }
  };
  addSaml(query, 'redirect', 'request', 'query');
  addSaml(form, 'post', 'request', 'request body');
  addSaml(responseForm?.fields ?? null, 'post', 'response', 'response form');
  addSaml(redirectParams, 'redirect', 'response', 'redirect Location');

  // JWTs: first place wins. Decoding is deferred to the first read of an entry (jose's decoder is
  // the costliest step of a token exchange) and shared between entries holding the same token.
  const jwts = newJwtTable();
  const sources = [form, query, responseJson, redirectParams, responseForm?.fields ?? null];
  // Indexed loops (no tuple destructuring): this runs for every exchange.
  for (let n = 0; n < JWT_NAMES.length; n++) {
    const entry = JWT_NAMES[n] as (typeof JWT_NAMES)[number];
    const name = entry[0];
    const onlyIfShaped = entry[1];
    for (let i = 0; i < sources.length; i++) {
      const src: Readonly<Record<string, unknown>> | null = sources[i] ?? null;
      if (src === null || !Object.hasOwn(src, name)) continue;
      const v = src[name];
      if (typeof v !== 'string' || v.length === 0) continue;
      const shaped = looksLikeJwt(v);
      if (onlyIfShaped && !shaped) continue;
      addLazyJwt(jwts, name, v);
      // An opaque access token (consumer accounts) is normal, not a problem.
      if (!shaped && name !== 'access_token')
        problems.push(`${name} in ${JWT_SOURCE_NAMES[i] ?? ''}: not a compact JWT`);
      break;
    }
  }

  // A bearer token sent to an API (UserInfo): its claims name the calling app and tenant.
  const authorization = header('authorization');
  if (authorization !== undefined && /^bearer\s+/i.test(authorization)) {
    const token = authorization.replace(/^bearer\s+/i, '').trim();
    if (looksLikeJwt(token)) addLazyJwt(jwts, 'bearer', token);
  }

  // Library and telemetry
  const library: LibraryInfo | null = detectLibrary(header, form, query);
  const routingHint = detectRoutingHint(header, form, query);
  let telemetry: Telemetry | null = null;
  const telemetryValue =
    header('x-client-current-telemetry') ??
    findParam(form, 'x-client-current-telemetry') ??
    findParam(query, 'x-client-current-telemetry');
  if (telemetryValue !== undefined && telemetryValue.length > 0) {
    telemetry = parseTelemetry(telemetryValue, library);
    if (telemetry === null) problems.push('x-client-current-telemetry not understood');
  }

  return {
    raw,
    pathname: url.pathname,
    query,
    form,
    requestBodyKind,
    responseJson,
    responseForm,
    redirectParams,
    header,
    responseHeader,
    saml,
    jwts,
    telemetry,
    library,
    routingHint,
    problems,
  };
}
