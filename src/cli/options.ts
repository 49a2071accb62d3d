/**
 * Command-line options (CONTRACT.md "Options shared where they make sense"): parsed and validated
 * once, up front; any problem is a ToolError('ERR_USAGE') with a one-line reason (exit 2).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ToolError } from '../core/errors.js';
import type { Verdict } from '../core/types.js';
import { isVerdict } from '../core/verdict.js';

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
  upstreamCaFiles: string[];
  upstreamProxy: string | null;
  intercept: string[];
  failOn: Verdict | null;
  uiPort: number | null;
  noUi: boolean;
  logLevel: string;
  quiet: boolean;
}

export interface Parsed {
  options: CommonOptions;
  positionals: string[];
  help: boolean;
  version: boolean;
}

const SPEC = {
  host: { type: 'string' },
  port: { type: 'string' },
  certs: { type: 'string' },
  out: { type: 'string', multiple: true, short: 'o' },
  session: { type: 'string' },
  'map-remote': { type: 'string', multiple: true },
  'upstream-ca': { type: 'string', multiple: true },
  'upstream-proxy': { type: 'string' },
  intercept: { type: 'string', multiple: true },
  'fail-on': { type: 'string' },
  'ui-port': { type: 'string' },
  'no-ui': { type: 'boolean' },
  'log-level': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export const DEFAULT_OUT = 'entra-bas-report.json';

export function parseOptions(argv: readonly string[]): Parsed {
  let values: ReturnType<
    typeof parseArgs<{ options: typeof SPEC; allowPositionals: true }>
  >['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: SPEC,
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    throw new ToolError('ERR_USAGE', err instanceof Error ? err.message : String(err));
  }
  const mapRemote: Record<string, string> = {};
  for (const m of values['map-remote'] ?? []) {
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
  const upstreamCaFiles = values['upstream-ca'] ?? [];
  const upstreamCa = upstreamCaFiles.map((f) => {
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
  const upstreamProxy = values['upstream-proxy'] ?? null;
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
  const failOn = values['fail-on'] ?? null;
  if (failOn !== null && !isVerdict(failOn)) {
    throw new ToolError(
      'ERR_USAGE',
      `--fail-on wants one of not-applicable, covered, conditional, unknown, not-covered; got '${failOn}'`,
    );
  }
  const out = values.out && values.out.length > 0 ? [...values.out] : [DEFAULT_OUT];
  for (const o of out) {
    if (!/\.(json|md|html|xml|har)$/i.test(o)) {
      throw new ToolError(
        'ERR_USAGE',
        `--out ${o}: the extension must be .json, .md, .html, .xml or .har`,
      );
    }
  }
  return {
    options: {
      host: values.host ?? '127.0.0.1',
      port: parsePort('--port', values.port, 8080),
      portGiven: values.port !== undefined,
      certs: values.certs ?? './certs',
      out,
      session: values.session ?? null,
      mapRemote,
      upstreamCa,
      upstreamCaFiles,
      upstreamProxy,
      intercept: (values.intercept ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean),
      failOn: failOn as Verdict | null,
      uiPort: values['ui-port'] === undefined ? null : parsePort('--ui-port', values['ui-port'], 0),
      noUi: values['no-ui'] ?? false,
      logLevel: values['log-level'] ?? 'info',
      quiet: values.quiet ?? false,
    },
    positionals,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

function parsePort(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) > 65535) {
    throw new ToolError('ERR_USAGE', `${name} wants a port number 0-65535, got '${v}'`);
  }
  return Number(v);
}

/** The session log path: --session, else beside the first --out (`x.json` -> `x.session.ndjson`). */
export function sessionPathFor(o: CommonOptions): string {
  if (o.session) return o.session;
  const first = o.out[0] ?? DEFAULT_OUT;
  return first.replace(/\.(json|md|html|xml|har)$/i, '') + '.session.ndjson';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
