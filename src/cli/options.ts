/**
 * Command-line options (CONTRACT.md "Options shared where they make sense"): parsed and validated
 * once, up front; any problem is a ToolError('ERR_USAGE') with a one-line reason (exit 2).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { ToolError } from '../core/errors.js';
import { extensionNames, formatOfFile, orList } from '../report/formats.js';
import { SOURCE_KIND_IDS, isSourceKindId, type SourceKindId } from '../sources/registry.js';
import { KQL_MAX_DAYS, SIGNIN_TABLES, type SignInTable } from '../sources/signins/kql.js';
import { LOG_LEVELS, type LogFormat } from '../core/logger.js';
import { VERDICTS, type Verdict } from '../core/types.js';
import { isVerdict } from '../core/verdict.js';
import { OPTIONS, optionsOf, type CommandName, type OptionName } from './option-table.js';

export interface CommonOptions {
  host: string;
  port: number;
  /** True when --port was given (run picks a free port otherwise). */
  portGiven: boolean;
  certs: string;
  out: string[];
  session: string | null;
  mapRemote: Record<string, string>;
  upstreamCa: string[];
  upstreamProxy: string | null;
  intercept: string[];
  failOn: Verdict | null;
  /** --allow-empty: with --fail-on, a session with no sign-in exchange is not a failure. */
  allowEmpty: boolean;
  uiPort: number | null;
  noUi: boolean;
  logLevel: string;
  /** `--log-format`: readable lines (the default, on a terminal and off it) or pino's JSON. */
  logFormat: LogFormat;
  /** `classify --format`: every input read as this kind (null: detected per file). */
  format: SourceKindId | null;
  /** `--days N`: the window of sign-ins a query reads (null: not given, the command's default). */
  days: number | null;
  /** `kql --tables`: the sign-in tables to read (null: all four). */
  tables: SignInTable[] | null;
  /** `kql --adx`: the Azure Data Explorer variant. */
  adx: boolean;
  /** `classify --workspace`: the Log Analytics workspace to run the query in. */
  workspace: string | null;
  /** `signins pull --tenant`. */
  tenant: string | null;
  quiet: boolean;
}

export interface Parsed {
  options: CommonOptions;
  positionals: string[];
  help: boolean;
  version: boolean;
}

export const DEFAULT_OUT = 'entra-bas-report.json';

type Values = Partial<Record<OptionName, string | boolean | string[]>>;

/**
 * Parses and checks the options of `command` (any option when none is named). Everything wrong
 * is a ToolError('ERR_USAGE') with a one-line reason: an unknown option, one the command does
 * not take, a missing or empty value, a value out of range.
 */
export function parseOptions(argv: readonly string[], command?: CommandName): Parsed {
  const { values, positionals } = parseArgv(argv, command);
  const str = (n: OptionName): string | undefined => {
    const v = values[n];
    return typeof v === 'string' ? v : undefined;
  };
  const list = (n: OptionName): string[] => {
    const v = values[n];
    return Array.isArray(v) ? v : [];
  };
  const bool = (n: OptionName): boolean => values[n] === true;
  /** The option's value, null when not given; ERR_USAGE `--NAME wants WANTS; got 'VALUE'` unless `ok`. */
  const checked = (n: OptionName, ok: (v: string) => boolean, wants: string, shown = Infinity) => {
    const v = str(n);
    if (v === undefined) return null;
    if (!ok(v))
      throw new ToolError('ERR_USAGE', `--${n} wants ${wants}; got '${v.slice(0, shown)}'`);
    return v;
  };
  const mapRemote: Record<string, string> = {};
  for (const m of list('map-remote')) {
    const eq = m.indexOf('=');
    if (eq <= 0) throw new ToolError('ERR_USAGE', `--map-remote wants HOST=URL, got '${m}'`);
    const host = m.slice(0, eq).trim().toLowerCase();
    const target = m.slice(eq + 1).trim();
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new ToolError('ERR_USAGE', `--map-remote ${host}: '${target}' is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ToolError('ERR_USAGE', `--map-remote ${host}: only http(s) URLs are supported`);
    }
    mapRemote[host] = url.origin;
  }
  const upstreamCa = list('upstream-ca').map((f) => {
    let pem: string;
    try {
      pem = readFileSync(f, 'utf8');
    } catch (err) {
      throw new ToolError(
        'ERR_USAGE',
        `--upstream-ca ${f}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ToolError('ERR_USAGE', `--upstream-ca ${f}: no PEM certificate in it`);
    }
    return pem;
  });
  const upstreamProxy = str('upstream-proxy') ?? null;
  if (upstreamProxy !== null) {
    try {
      const u = new URL(upstreamProxy);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new ToolError(
        'ERR_USAGE',
        `--upstream-proxy wants http://HOST:PORT, got '${upstreamProxy}'`,
      );
    }
  }
  const failOn = checked('fail-on', isVerdict, `one of ${VERDICTS.join(', ')}`) as Verdict | null;
  const out = list('out').length > 0 ? list('out') : [DEFAULT_OUT];
  for (const o of out) {
    // `signins pull` also writes the sign-ins themselves (JSON lines)
    if (command === 'signins' && isPulledFile(o)) continue;
    // demo takes a folder too: anything without a report extension
    if (command !== 'demo' && formatOfFile(o) === null) {
      throw new ToolError(
        'ERR_USAGE',
        `--out ${o}: the extension must be ${orList(extensionNames({ hints: false }))}`,
      );
    }
  }
  const levels: readonly string[] = LOG_LEVELS;
  const logLevel =
    checked('log-level', (v) => levels.includes(v), `one of ${levels.join(', ')}`) ?? 'info';
  const format = checked('format', isSourceKindId, orList(SOURCE_KIND_IDS)) as SourceKindId | null;
  const days = checked(
    'days',
    (v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= KQL_MAX_DAYS,
    `a whole number of days from 1 to ${KQL_MAX_DAYS}`,
  );
  const tablesText = str('tables');
  const tables =
    tablesText === undefined
      ? null
      : tablesText
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
          .map((t) => {
            const hit = SIGNIN_TABLES.find((n) => n.toLowerCase() === t.toLowerCase());
            if (!hit)
              throw new ToolError(
                'ERR_USAGE',
                `--tables: '${t}' is not a sign-in table (one or more of ${SIGNIN_TABLES.join(', ')})`,
              );
            return hit;
          });
  if (tables !== null && tables.length === 0)
    throw new ToolError('ERR_USAGE', `--tables wants one or more of ${SIGNIN_TABLES.join(', ')}`);
  const workspace = checked(
    'workspace',
    (v) => /^[\w.-]{1,200}$/.test(v),
    'the workspace ID (a GUID, "Workspace ID" on its Overview page)',
    80,
  );
  const tenant = checked(
    'tenant',
    (v) => /^[0-9a-zA-Z.-]{1,200}$/.test(v),
    'a tenant ID or domain (contoso.onmicrosoft.com)',
    80,
  );
  const logFormat = (checked('log-format', (v) => v === 'human' || v === 'json', 'human or json') ??
    'human') as LogFormat;
  return {
    options: {
      host: str('host') ?? '127.0.0.1',
      port: parsePort('--port', str('port'), 8080),
      portGiven: str('port') !== undefined,
      certs: str('certs') ?? './certs',
      out,
      session: str('session') ?? null,
      mapRemote,
      upstreamCa,
      upstreamProxy,
      intercept: list('intercept')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      failOn,
      allowEmpty: bool('allow-empty'),
      uiPort: str('ui-port') === undefined ? null : parsePort('--ui-port', str('ui-port'), 0),
      noUi: bool('no-ui'),
      logLevel,
      logFormat,
      format,
      days: days === null ? null : Number(days),
      tables: tables === null ? null : [...new Set(tables)],
      adx: bool('adx'),
      workspace,
      tenant,
      quiet: bool('quiet'),
    },
    positionals,
    help: bool('help'),
    version: bool('version'),
  };
}

/** node:util parseArgs over the whole table, then the command's own list; its errors made one line. */
function parseArgv(
  argv: readonly string[],
  command: CommandName | undefined,
): { values: Values; positionals: string[] } {
  const where = command ? `entra-bas-proxy ${command} --help` : 'entra-bas-proxy --help';
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    throw new ToolError('ERR_USAGE', argvError(err, where), { cause: err });
  }
  const own = command ? optionsOf(command) : null;
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    const name = t.name as OptionName;
    const flag = `--${name}`;
    if (own && !own.has(name)) {
      throw new ToolError(
        'ERR_USAGE',
        `${command ?? ''} does not take ${flag} (${where} lists the options it takes)`,
      );
    }
    if (t.value === '') throw new ToolError('ERR_USAGE', `${flag} needs a value`);
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

/** node:util's parse errors (several sentences, sometimes lines) as one line that says what to do. */
function argvError(err: unknown, where: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  const unknown = /^Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown option '${unknown[1] ?? ''}' (${where} lists the options)`;
  const missing = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(msg);
  if (missing) return `${missing[1] ?? 'an option'} needs a value`;
  const ambiguous = /^Option '(-{1,2}[\w-]+)' argument is ambiguous/.exec(msg);
  if (ambiguous) {
    return `${ambiguous[1] ?? 'an option'} needs a value (for a value that starts with '-', write --OPTION=VALUE)`;
  }
  return msg.split('\n')[0] ?? msg;
}

function parsePort(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) > 65535) {
    throw new ToolError('ERR_USAGE', `${name} wants a port number 0-65535, got '${v}'`);
  }
  return Number(v);
}

/** An `--out` of `signins pull` that is the pulled sign-ins (JSON lines), not a report. */
export function isPulledFile(path: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(path);
}

/** The session log path: --session, else beside the first --out (`x.json` -> `x.session.ndjson`). */
export function sessionPathFor(o: Pick<CommonOptions, 'session' | 'out'>): string {
  if (o.session) return o.session;
  const first = o.out[0] ?? DEFAULT_OUT;
  const base = formatOfFile(first) === null ? first : first.slice(0, -extname(first).length);
  return `${base}.session.ndjson`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
