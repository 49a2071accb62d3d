/**
 * The coverage table is first-match-wins (rules.ts): a row placed after a broader one would never
 * apply, silently. This test proves every row reachable: for each row it searches the fact space
 * for a witness, a set of facts the row matches while no earlier row does, and then checks the
 * witness with the real `firstRule`. Every modifier must have a witness too (its `when` without
 * any of its `unless`).
 *
 * The fact space is finite but large (about 10^13 tuples), so the search works on equivalence
 * classes: a condition only tells apart the values it lists, so per fact it tries the values some
 * row lists plus one value no row lists. The domains below are typed against RuleFacts, so a new
 * fact or a new value of a fact's type fails the build here until it is listed.
 */
import { describe, expect, it } from 'vitest';
import type { BasListing, HostRole } from '../../../src/core/hosts.js';
import {
  APP_TYPES,
  CLIENT_CREDENTIALS,
  CLIENT_TYPES,
  CLOUDS,
  ENDPOINTS,
  GRANT_TYPES,
  PROTOCOLS,
  SAML_INITIATIONS,
} from '../../../src/core/types.js';
import {
  MODIFIERS,
  RULES,
  applies,
  firstRule,
  type Condition,
  type FlowVariant,
  type MiSource,
  type Modifier,
  type Rule,
  type RuleFacts,
  type SamlMessageFact,
} from '../../../src/classifiers/rules.js';
import type { GuestSignal } from '../../../src/classifiers/token-facts.js';

/** Every value of a union, checked complete at compile time. */
function all<T>() {
  return <const A extends readonly T[]>(
    values: A & ([Exclude<T, A[number]>] extends [never] ? unknown : 'missing a value'),
  ): A => values;
}

const HOST_ROLES = all<HostRole>()([
  'sts',
  'userinfo',
  'launcher',
  'managed-identity',
  'client-cert',
  'other',
]);
const BAS_LISTINGS = all<BasListing>()(['users-and-mi', 'mi-conflicting', 'none']);
const MI_SOURCES = all<MiSource>()([
  'imds',
  'app-service',
  'app-service-legacy',
  'azure-arc',
  'service-fabric',
  'cloud-shell',
]);
const VARIANTS = all<FlowVariant>()([
  'none',
  'cors-preflight',
  'imds-probe',
  'imds-instance',
  'imds-v2',
  'mtls-pop',
  'broker-request',
  'srv-challenge',
  'iwa',
  'wstrust-password',
  'admin-consent',
  'device-login-page',
  'kerberos',
  'sign-in-ui',
  'asset',
  'api-call',
  'unknown-grant',
  'legacy-auth',
  'signin-ambiguous',
]);
const SAML_MESSAGES = all<SamlMessageFact>()([
  'authn-request',
  'response',
  'logout',
  'other',
  'unparseable',
]);
const GUEST_SIGNALS = all<GuestSignal>()(['idp', 'acct', 'client-info', 'signin-log']);
const BOOLS = [false, true] as const;

/** Every fact and all its values (a missing fact is a type error). */
const DOMAINS: { readonly [K in keyof RuleFacts]-?: readonly RuleFacts[K][] } = {
  hostRole: HOST_ROLES,
  hostSupported: BOOLS,
  cloud: CLOUDS,
  basListing: BAS_LISTINGS,
  b2cPolicy: BOOLS,
  protocol: PROTOCOLS,
  endpoint: ENDPOINTS,
  grantType: [...GRANT_TYPES, null],
  pkce: [...BOOLS, null],
  clientType: CLIENT_TYPES,
  clientCredential: CLIENT_CREDENTIALS,
  appType: APP_TYPES,
  samlInitiation: [...SAML_INITIATIONS, null],
  samlMessage: [...SAML_MESSAGES, null],
  implicit: ['id-token-only', 'access-token', null],
  interaction: ['silent', 'interactive', null],
  miSource: [...MI_SOURCES, null],
  variant: VARIANTS,
  msal: BOOLS,
  guest: [...GUEST_SIGNALS, null],
  miToken: BOOLS,
  issuerCloud: [...CLOUDS, null],
  evidence: ['wire', 'signin-log'],
  signInFrequency: BOOLS,
};
const KEYS = Object.keys(DOMAINS) as (keyof RuleFacts)[];

type Row = Rule | Modifier;

function conditionsOf(row: Row): readonly Condition[] {
  return [row.when, ...(row.unless ?? [])];
}

/** Per fact: the values tried (those some row lists, then one no row lists, if any). */
function candidates(rows: readonly Row[]): Map<keyof RuleFacts, unknown[]> {
  const out = new Map<keyof RuleFacts, unknown[]>();
  for (const k of KEYS) {
    const listed = new Set<unknown>();
    for (const r of rows)
      for (const c of conditionsOf(r)) for (const v of c[k] ?? []) listed.add(v);
    const domain = DOMAINS[k] as readonly unknown[];
    const other = domain.find((v) => !listed.has(v));
    out.set(k, [...domain.filter((v) => listed.has(v)), ...(other !== undefined ? [other] : [])]);
  }
  return out;
}

type Tri = 'yes' | 'no' | 'open';

function condState(c: Condition, facts: Partial<Record<keyof RuleFacts, unknown>>): Tri {
  let open = false;
  for (const k of KEYS) {
    const allowed = c[k] as readonly unknown[] | undefined;
    if (allowed === undefined) continue;
    if (!(k in facts)) open = true;
    else if (!allowed.includes(facts[k])) return 'no';
  }
  return open ? 'open' : 'yes';
}

function rowState(row: Row, facts: Partial<Record<keyof RuleFacts, unknown>>): Tri {
  const w = condState(row.when, facts);
  if (w === 'no') return 'no';
  let open = w === 'open';
  for (const u of row.unless ?? []) {
    const s = condState(u, facts);
    if (s === 'yes') return 'no';
    if (s === 'open') open = true;
  }
  return open ? 'open' : 'yes';
}

/**
 * Facts that `target` applies to and no row of `earlier` does, or null when there are none (the
 * row is shadowed). A depth-first search over the candidate values, most-tested facts first.
 */
export function witness(
  target: Row,
  earlier: readonly Row[],
  table: readonly Row[],
): RuleFacts | null {
  const cands = candidates(table);
  const uses = (k: keyof RuleFacts): number =>
    table.reduce((n, r) => n + conditionsOf(r).filter((c) => c[k] !== undefined).length, 0);
  const order = [...KEYS].sort((a, b) => uses(b) - uses(a));
  const facts: Partial<Record<keyof RuleFacts, unknown>> = {};
  const search = (i: number): boolean => {
    if (rowState(target, facts) === 'no') return false;
    if (earlier.some((r) => rowState(r, facts) === 'yes')) return false;
    const k = order[i];
    if (k === undefined) return true;
    for (const v of cands.get(k) ?? []) {
      facts[k] = v;
      if (search(i + 1)) return true;
    }
    delete facts[k];
    return false;
  };
  return search(0) ? (facts as unknown as RuleFacts) : null;
}

const rules = RULES as readonly Rule[];
const modifiers = MODIFIERS as readonly Modifier[];

describe('rules table: no row is shadowed by an earlier, broader one', () => {
  it('has unique row ids', () => {
    const ids = [...rules, ...modifiers].map((r) => r.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it.each(rules.map((r, i) => [r.id, i] as const))('%s is reachable', (_id, i) => {
    const row = rules[i] as Rule;
    const w = witness(row, rules.slice(0, i), rules);
    expect(
      w,
      `${row.id} is shadowed: every fact set it matches is taken by an earlier row`,
    ).not.toBeNull();
    // The witness is real: the classifier's own first-match picks this row for it.
    expect(firstRule(w as RuleFacts).id).toBe(row.id);
  });

  it.each(modifiers.map((m, i) => [m.id, i] as const))('modifier %s can apply', (_id, i) => {
    const m = modifiers[i] as Modifier;
    const w = witness(m, [], [...rules, ...modifiers]);
    expect(w, `${m.id} can never apply (its unless covers its when)`).not.toBeNull();
    expect(applies(m, w as RuleFacts)).toBe(true);
  });

  it('the last row matches everything (the table is total)', () => {
    expect(rules[rules.length - 1]?.when).toEqual({});
  });

  it('catches a shadowed row (the check can fail)', () => {
    const broad: Rule = {
      id: 'all-tokens',
      when: { endpoint: ['token'] },
      verdict: 'unknown',
      reason: 'unparseable',
      message: '',
      remediation: '',
      docUrl: '',
    };
    const narrow: Rule = {
      ...broad,
      id: 'ropc-only',
      when: { grantType: ['password'], endpoint: ['token'] },
    };
    expect(witness(narrow, [broad], [broad, narrow])).toBeNull();
    // Same rows the other way round: both reachable.
    expect(witness(broad, [narrow], [narrow, broad])).not.toBeNull();
    // An unless that covers the whole when: dead row.
    const dead: Rule = { ...broad, id: 'dead', unless: [{ endpoint: ['token'] }] };
    expect(witness(dead, [], [dead])).toBeNull();
  });
});
