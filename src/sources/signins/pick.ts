/**
 * A selective reader of one JSON line of a sign-in export (a Graph page, a records blob, a row or a
 * diagnostic record): it validates the whole line as JSON.parse would, but builds only what
 * chunk.ts and rowFromObject (row.ts) read. A record (about 2 KB, some 60 keys) becomes an object
 * of the few keys whose lower-case spelling rowFromObject may look up (PICKED), each value
 * JSON.parse-d from its own text; every other value is stepped over without building anything
 * (strings by indexOf). Duplicate keys keep their first position and last value, as JSON.parse
 * does, so rowFromObject reads the same facts, in the same order, as from the whole parse.
 *
 * `pickLine` gives undefined where it does not decide (invalid JSON, a fact-tuple row whose every
 * column counts): the caller then parses the line whole, which decides exactly as before.
 */

/** The keys (lower case) rowFromObject reads of a row or of its `properties`, and the tuple test's. */
const PICKED = new Set(
  [
    'properties',
    'status',
    'errorCode',
    'resultType',
    'signInErrorCode',
    'managedServiceIdentity',
    'msiType',
    'managedIdentityType',
    'userType',
    'createdDateTime',
    'timeGenerated',
    'time',
    'appId',
    'appDisplayName',
    'servicePrincipalName',
    'correlationId',
    'signInEventTypes',
    'category',
    'type',
    'isInteractive',
    'servicePrincipalId',
    'authenticationProtocol',
    'originalTransferMethod',
    'clientAppUsed',
    'clientCredentialType',
    'incomingTokenType',
    'crossTenantAccessType',
    'homeTenantId',
    'resourceTenantId',
    'tenantId',
    'AADTenantId',
    'tokenIssuerType',
    'sessionLifetimePolicies',
    'authenticationProcessingDetails',
  ].map((k) => k.toLowerCase()),
);

/** What a key is to a record: 0 skipped, 1 picked, 2 `properties` (picked in turn), 3 a tuple's count. */
type Role = 0 | 1 | 2 | 3;
const ROLES = new Map<string, Role>();

function roleOf(key: string): Role {
  let r = ROLES.get(key);
  if (r === undefined) {
    const k = key.toLowerCase();
    r = k === 'properties' ? 2 : PICKED.has(k) ? 1 : k === 'signins' ? 3 : 0;
    // A copy: the key is a slice of a line, which the map would keep alive.
    if (ROLES.size < 4096) ROLES.set(JSON.parse(JSON.stringify(key)) as string, r);
  }
  return r;
}

/** Not decided here: parse the line whole. */
const GIVE_UP = -1;
const ARRAY = 0;
const OBJECT = 1;

/** A character that needs a closer look inside a string: a backslash or a control character. */
// eslint-disable-next-line no-control-regex
const SPECIAL = /[\\\u0000-\u001f]/g;
const HEX4 = /^[0-9a-fA-F]{4}$/;
/** The characters after a backslash of a one-character escape: " \\ / b f n r t. */
const ESCAPES = [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Line {
  /** Position of the next backslash or control character (a cache for `string`). */
  private special = -1;
  /** The last string read had an escape. */
  private escaped = false;
  private readonly stack: number[] = [];

  constructor(private readonly s: string) {}

  ws(i: number): number {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return i;
    }
  }

  /** The end (after the closing quote) of the string opening at i, or GIVE_UP; validated. */
  private string(i: number): number {
    const s = this.s;
    let j = i + 1;
    this.escaped = false;
    for (;;) {
      const close = s.indexOf('"', j);
      if (close < 0) return GIVE_UP;
      if (this.special < j) {
        SPECIAL.lastIndex = j;
        this.special = SPECIAL.exec(s)?.index ?? s.length;
      }
      if (this.special > close) return close + 1;
      // A backslash or a control character before the quote: one escape at a time.
      j = this.special;
      if (s.charCodeAt(j) !== 0x5c) return GIVE_UP;
      this.escaped = true;
      const e = s.charCodeAt(j + 1);
      if (e === 0x75) {
        if (!HEX4.test(s.slice(j + 2, j + 6))) return GIVE_UP;
        j += 6;
      } else if (ESCAPES.includes(e)) j += 2;
      else return GIVE_UP;
    }
  }

  /** The end of the JSON value starting at i (after whitespace), or GIVE_UP; validated. */
  skip(i: number): number {
    const s = this.s;
    const stack = this.stack;
    const base = stack.length;
    for (;;) {
      // a value
      i = this.ws(i);
      const c = s.charCodeAt(i);
      if (c === 0x22) i = this.string(i);
      else if (c === 0x7b) {
        i = this.ws(i + 1);
        if (s.charCodeAt(i) === 0x7d) i++;
        else {
          stack.push(OBJECT);
          i = this.key(i);
          if (i < 0) break;
          continue;
        }
      } else if (c === 0x5b) {
        i = this.ws(i + 1);
        if (s.charCodeAt(i) === 0x5d) i++;
        else {
          stack.push(ARRAY);
          continue;
        }
      } else i = this.scalar(i, c);
      if (i < 0) break;
      // after a value: a comma, or the end of one or more containers
      for (;;) {
        if (stack.length === base) return i;
        i = this.ws(i);
        const d = s.charCodeAt(i);
        const top = stack[stack.length - 1];
        if (d === 0x2c) {
          i = top === OBJECT ? this.key(this.ws(i + 1)) : i + 1;
          break;
        }
        if (d === (top === OBJECT ? 0x7d : 0x5d)) {
          stack.pop();
          i++;
          continue;
        }
        i = GIVE_UP;
        break;
      }
      if (i < 0) break;
    }
    stack.length = base;
    return GIVE_UP;
  }

  /** After a member's key and colon (the key's string at i), or GIVE_UP. */
  private key(i: number): number {
    if (this.s.charCodeAt(i) !== 0x22) return GIVE_UP;
    i = this.string(i);
    if (i < 0) return GIVE_UP;
    i = this.ws(i);
    return this.s.charCodeAt(i) === 0x3a ? i + 1 : GIVE_UP;
  }

  private scalar(i: number, c: number): number {
    const s = this.s;
    if (c === 0x74) return s.startsWith('true', i) ? i + 4 : GIVE_UP;
    if (c === 0x66) return s.startsWith('false', i) ? i + 5 : GIVE_UP;
    if (c === 0x6e) return s.startsWith('null', i) ? i + 4 : GIVE_UP;
    NUMBER.lastIndex = i;
    return NUMBER.test(s) && NUMBER.lastIndex > i ? NUMBER.lastIndex : GIVE_UP;
  }

  /** The key of the string from i to end (quotes included). */
  private keyText(i: number, end: number): string {
    const k = this.s.slice(i + 1, end - 1);
    return this.escaped ? (JSON.parse(this.s.slice(i, end)) as string) : k;
  }

  /**
   * The value at i, as chunk.ts and rowFromObject read it: `level` 0 a line (a page, a blob or a
   * row), 1 a record, 2 a record's `properties`. Sets `end`; undefined when not decided here.
   */
  end = 0;
  value(i: number, level: 0 | 1 | 2): unknown {
    const s = this.s;
    i = this.ws(i);
    const c = s.charCodeAt(i);
    if (c === 0x5b && level === 0) {
      // A top-level array: its elements are records.
      const out: unknown[] = [];
      i = this.ws(i + 1);
      if (s.charCodeAt(i) === 0x5d) {
        this.end = i + 1;
        return out;
      }
      for (;;) {
        const v = this.value(i, 1);
        if (v === undefined) return undefined;
        out.push(v);
        i = this.ws(this.end);
        const d = s.charCodeAt(i);
        if (d === 0x5d) {
          this.end = i + 1;
          return out;
        }
        if (d !== 0x2c) return undefined;
        i++;
      }
    }
    if (c !== 0x7b) {
      // Not an object: nothing of it is read (a row that is not an object is skipped).
      const end = this.skip(i);
      if (end < 0) return undefined;
      this.end = end;
      return level === 1 ? null : JSON.parse(s.slice(i, end));
    }
    const o: Record<string, unknown> = {};
    i = this.ws(i + 1);
    if (s.charCodeAt(i) === 0x7d) {
      this.end = i + 1;
      return o;
    }
    for (;;) {
      if (s.charCodeAt(i) !== 0x22) return undefined;
      const keyEnd = this.string(i);
      if (keyEnd < 0) return undefined;
      const key = this.keyText(i, keyEnd);
      i = this.ws(keyEnd);
      if (s.charCodeAt(i) !== 0x3a) return undefined;
      i = this.ws(i + 1);
      const role = level === 0 && (key === 'value' || key === 'records') ? 4 : roleOf(key);
      if (role === 3) return undefined;
      let end: number;
      if (role === 4 && s.charCodeAt(i) === 0x5b) {
        const v = this.value(i, 0);
        if (v === undefined) return undefined;
        end = this.end;
        o[key] = v;
      } else if (role === 2 && level < 2 && s.charCodeAt(i) === 0x7b) {
        const v = this.value(i, 2);
        if (v === undefined) return undefined;
        end = this.end;
        o[key] = v;
      } else {
        end = this.skip(i);
        if (end < 0) return undefined;
        if (role === 1 || role === 2) o[key] = JSON.parse(s.slice(i, end));
        else if (role === 4) o[key] = null;
      }
      i = this.ws(end);
      const d = s.charCodeAt(i);
      if (d === 0x7d) {
        this.end = i + 1;
        return o;
      }
      if (d !== 0x2c) return undefined;
      i = this.ws(i + 1);
    }
  }
}

/**
 * The value of a JSON line, reduced to what chunk.ts's rowsOf and rowFromObject read (see above),
 * or undefined: parse the line whole instead (it may be invalid JSON, or a fact-tuple row).
 */
export function pickLine(line: string): unknown {
  const l = new Line(line);
  const v = l.value(0, 0);
  if (v === undefined) return undefined;
  const end = l.end;
  return l.ws(end) === line.length ? v : undefined;
}
export function skipLine(line: string): number { return new Line(line).skip(0); }
