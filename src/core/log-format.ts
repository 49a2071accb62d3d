/**
 * Log lines for people (`--log-format human`, the default): one pino JSON line in, one readable line
 * out. It is applied to the line pino has already serialized, so the redaction of REDACT_PATHS is
 * in force before anything here sees a value. A classified exchange (the fields of
 * `logExchange` in session/record-step.ts) becomes one line: verdict, app, grant, host, then method, path and status.
 * Pure: no I/O, the clock comes from the line itself.
 */

export interface HumanFormat {
  /** ANSI colours (a terminal, NO_COLOR unset). */
  readonly color: boolean;
  /** `HH:MM:SS` local time (a terminal) instead of the full ISO time (logs kept in files or CI). */
  readonly shortTime: boolean;
}

/** pino's levels: label and ANSI colour. */
const LEVELS: Readonly<Record<number, readonly [string, string?]>> = {
  10: ['TRACE', '2'],
  20: ['DEBUG', '2'],
  30: ['INFO'],
  40: ['WARN', '33'],
  50: ['ERROR', '31'],
  60: ['FATAL', '31;1'],
};

const VERDICT_COLOR: Readonly<Record<string, string>> = {
  covered: '32',
  conditional: '33',
  unknown: '35',
  'not-covered': '31;1',
  'not-applicable': '2',
};

/** Keys pino or the exchange line print in their own place, never as `key=value`. */
const OWN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);
const EXCHANGE_KEYS = new Set([
  'id',
  'method',
  'host',
  'path',
  'endpoint',
  'grant',
  'app',
  'verdict',
  'status',
  'error',
]);

/** Control characters (terminal escapes included) never reach the terminal from a logged value. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function clean(s: string): string {
  return s.replace(CONTROL, (c) => (c === '\n' ? '\\n' : '?'));
}

function paint(on: boolean, code: string | undefined, s: string): string {
  return on && code ? `\u001b[${code}m${s}\u001b[0m` : s;
}

function timeOf(t: unknown, short: boolean): string {
  const d = new Date(typeof t === 'number' || typeof t === 'string' ? t : Date.now());
  if (Number.isNaN(d.getTime())) return '';
  if (!short) return d.toISOString();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function valueText(v: unknown): string {
  let text: string;
  if (typeof v === 'string') text = /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  else if (v !== null && typeof v === 'object' && 'message' in v && typeof v.message === 'string')
    // a serialized Error: its message is enough on one line (the stack is for --log-format json)
    text = JSON.stringify(v.message);
  else text = JSON.stringify(v) ?? String(v);
  return clean(text);
}

function extras(o: Record<string, unknown>, skip: ReadonlySet<string>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (skip.has(k) || OWN_KEYS.has(k) || v === undefined) continue;
    parts.push(`${k}=${valueText(v)}`);
  }
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

function isExchange(o: Record<string, unknown>): boolean {
  return typeof o.verdict === 'string' && typeof o.host === 'string' && typeof o.id === 'string';
}

function str(v: unknown, dflt = '-'): string {
  return typeof v === 'string' && v !== '' ? clean(v) : typeof v === 'number' ? String(v) : dflt;
}

function exchangeLine(o: Record<string, unknown>, f: HumanFormat, time: string): string {
  const verdict = str(o.verdict);
  const status = o.status === null || o.status === undefined ? '-' : str(o.status);
  const grant = str(o.grant, str(o.endpoint));
  const error = typeof o.error === 'string' ? ` error=${valueText(o.error)}` : '';
  return (
    `${time} ${paint(f.color, VERDICT_COLOR[verdict], verdict.padEnd(14))} ` +
    `${str(o.app).padEnd(36)} ${grant.padEnd(18)} ${str(o.host)} ` +
    `${str(o.method)} ${str(o.path)} ${status}${error}${extras(o, EXCHANGE_KEYS)}`
  );
}

/** One pino JSON line (with or without its newline) as a human line ending in a newline. */
export function humanLine(json: string, f: HumanFormat): string {
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return `${clean(json.trimEnd())}\n`;
    o = parsed as Record<string, unknown>;
  } catch {
    // not JSON (cannot happen with pino's serializer): passed on as it is, one line
    return `${clean(json.trimEnd())}\n`;
  }
  const time = timeOf(o.time, f.shortTime);
  const level = typeof o.level === 'number' ? o.level : 30;
  if (isExchange(o) && level === 30) return `${exchangeLine(o, f, time)}\n`;
  const [name = String(level), color] = LEVELS[level] ?? [];
  const label = paint(f.color, color, name.padEnd(5));
  const msg = typeof o.msg === 'string' ? clean(o.msg) : '';
  return `${time} ${label} ${msg}${extras(o, new Set())}\n`;
}
