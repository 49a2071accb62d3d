/**
 * The one declaration of the command line: every option (its parser type, value name and help
 * text) and every command (its usage, summary and the options it takes). The parser
 * (options.ts), the per-command check "does this command take this option" and both help texts
 * (help.ts) are derived from it, so help and behaviour cannot drift apart. The report formats
 * `--out` takes come from src/report/formats.ts.
 */
import { extensionNames } from '../report/formats.js';

import { SOURCE_KINDS, SOURCE_KIND_IDS } from '../sources/registry.js';

export interface OptionDecl {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's name in help (`--port N`); none for a boolean. */
  readonly arg?: string;
  /** Help text; `\n` starts a continuation line. */
  readonly help: string;
}

export const OPTIONS = {
  host: {
    type: 'string',
    arg: 'ADDR',
    help: 'listen address (default 127.0.0.1; anything else is warned about)',
  },
  port: { type: 'string', arg: 'N', help: 'listen port; 0 picks a free one (default 8080)' },
  certs: { type: 'string', arg: 'DIR', help: 'where the CA lives (default ./certs)' },
  out: {
    type: 'string',
    short: 'o',
    multiple: true,
    arg: 'FILE',
    help: `report to write, repeatable: ${extensionNames().join(' ')}\n(default entra-bas-report.json)`,
  },
  session: {
    type: 'string',
    arg: 'FILE',
    help: 'the NDJSON session log (default beside the first --out)',
  },
  'map-remote': {
    type: 'string',
    multiple: true,
    arg: 'HOST=URL',
    help: "send HOST's traffic to another origin (repeatable)",
  },
  'upstream-ca': {
    type: 'string',
    multiple: true,
    arg: 'FILE',
    help: 'extra CA bundle trusted for upstream TLS (repeatable)',
  },
  'upstream-proxy': {
    type: 'string',
    arg: 'URL',
    help: 'chain through a corporate proxy (http://HOST:PORT)',
  },
  intercept: {
    type: 'string',
    multiple: true,
    arg: 'HOST',
    help: 'also intercept HOST (custom domains; *.suffix allowed; repeatable)',
  },
  'fail-on': {
    type: 'string',
    arg: 'VERDICT',
    help: 'exit 3 if an application ends with VERDICT or worse\n(not-applicable < covered < conditional < unknown < not-covered),\nor if the session saw no sign-in exchange (nothing to judge)',
  },
  'allow-empty': {
    type: 'boolean',
    help: 'with --fail-on: a session with no sign-in exchange is not a failure',
  },
  'ui-port': {
    type: 'string',
    arg: 'N',
    help: 'dashboard port (loopback; 0 = a free one, the default)',
  },
  'no-ui': { type: 'boolean', help: 'no live dashboard' },
  'log-level': {
    type: 'string',
    arg: 'LEVEL',
    help: 'trace|debug|info|warn|error|fatal|silent (default info)',
  },
  'log-format': {
    type: 'string',
    arg: 'FORMAT',
    help: 'human|json: how log lines on stderr look (default human)',
  },
  format: {
    type: 'string',
    arg: 'KIND',
    help: `${SOURCE_KIND_IDS.join('|')}: read every input as this kind\ninstead of detecting it`,
  },
  days: {
    type: 'string',
    arg: 'N',
    help: 'sign-ins of the last N days (default 30)',
  },
  tables: {
    type: 'string',
    arg: 'T1,T2',
    help: 'the sign-in tables to read (default all four: SigninLogs,\nAADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs,\nAADManagedIdentitySignInLogs)',
  },
  adx: {
    type: 'boolean',
    help: 'the Azure Data Explorer variant: tables of the same names, any schema\n(every column through column_ifexists; time from TimeGenerated,\nelse CreatedDateTime, else the ingestion time)',
  },
  workspace: {
    type: 'string',
    arg: 'ID',
    help: 'a Log Analytics workspace ID: run the `kql` query there and classify its result\n(Azure credentials from the environment, as DefaultAzureCredential finds them)',
  },
  tenant: {
    type: 'string',
    arg: 'ID',
    help: 'the tenant (ID or domain) whose sign-ins to read from Graph',
  },
  quiet: { type: 'boolean', short: 'q', help: 'no per-exchange log lines' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', short: 'V', help: 'the version' },
} as const satisfies Readonly<Record<string, OptionDecl>>;

export type OptionName = keyof typeof OPTIONS;

/** Taken by every command. */
export const ALWAYS: readonly OptionName[] = ['help', 'version'];

export interface CommandDecl {
  /** After `entra-bas-proxy `: `classify FILE.har... [options]`. */
  readonly usage: string;
  /** One line for the global help. */
  readonly summary: string;
  /** The options it takes (help and version come with every command). */
  readonly options: readonly OptionName[];
  /** Help texts that say more precisely what an option means for this command. */
  readonly optionHelp?: Partial<Readonly<Record<OptionName, string>>>;
  /** Value names that say more precisely what an option takes for this command. */
  readonly optionArg?: Partial<Readonly<Record<OptionName, string>>>;
  /** A paragraph of its own help after the usage line. */
  readonly about?: string;
}

const PROXY_OPTIONS: readonly OptionName[] = [
  'host',
  'port',
  'certs',
  'out',
  'session',
  'map-remote',
  'upstream-ca',
  'upstream-proxy',
  'intercept',
  'fail-on',
  'allow-empty',
  'ui-port',
  'no-ui',
  'log-level',
  'log-format',
  'quiet',
];

export const COMMAND_TABLE = {
  start: {
    usage: 'start [options]',
    summary: 'run the proxy until Ctrl-C, then write the report(s)',
    options: PROXY_OPTIONS,
  },
  run: {
    usage: 'run [options] -- CMD ARGS...',
    summary: 'run CMD through the proxy, then write the report(s)',
    options: PROXY_OPTIONS,
    optionHelp: { port: 'listen port (default: a free one)' },
    about:
      'Exits with the status of CMD, or 3 when --fail-on is hit (an application at VERDICT or\nworse, or no sign-in traffic seen: nothing to judge).',
  },
  classify: {
    usage: 'classify FILE... [options]  |  classify --workspace ID [--days N] [FILE...] [options]',
    summary: 'classify recorded traffic (HAR 1.2) and sign-in log exports offline',
    options: [
      'out',
      'session',
      'fail-on',
      'allow-empty',
      'format',
      'workspace',
      'days',
      'log-level',
      'log-format',
    ],
    optionHelp: {
      days: 'with --workspace: how many days of sign-ins the query reads (default 30)',
    },
    about: `Each file's kind is detected from its content (--format forces it):\n${SOURCE_KINDS.map((k) => `  ${k.id.padEnd(9)}${k.label}`).join('\n')}\nWith --workspace, the query runs where the logs are and only its small result table comes\nback; a partial result is written but said loudly, and the exit status is then 1.`,
  },
  signins: {
    usage: 'signins pull --tenant ID [--days N] [--out FILE]... [options]',
    summary: "read a tenant's sign-ins from Graph beta into a file or a report",
    options: [
      'tenant',
      'days',
      'out',
      'session',
      'fail-on',
      'allow-empty',
      'log-level',
      'log-format',
    ],
    optionArg: { out: 'FILE' },
    optionHelp: {
      days: 'how many days of sign-ins, 1-30 (Entra keeps them 30 days; default 30)',
      out: 'where the sign-ins go, repeatable: .ndjson or .jsonl (Graph pages, one a line,\nfor `classify`), or a report (.json .md .html .xml .har)\n(default entra-bas-report.json)',
    },
    about:
      "Reads Graph beta auditLogs/signIns for every sign-in event type (interactive, non-interactive,\nservice principal, managed identity), BAS issuer values included, following pages and\nwaiting out throttling. Needs AuditLog.Read.All and Microsoft Entra ID P1/P2; the credential\nis DefaultAzureCredential's. Only the fields the rules read are kept: no personal data.",
  },
  report: {
    usage: 'report SESSION.ndjson [options]',
    summary: 'render the report(s) again from a session log',
    options: ['out', 'fail-on', 'allow-empty'],
  },
  merge: {
    usage: 'merge REPORT.json... [options]',
    summary: 'combine the reports of sharded test runs',
    options: ['out', 'fail-on', 'allow-empty'],
  },
  kql: {
    usage: 'kql [--days N] [--tables T1,T2] [--adx]',
    summary: 'print the KQL query that summarizes sign-in tables into fact tuples',
    options: ['days', 'tables', 'adx'],
    about:
      'Run it in Log Analytics, Sentinel or Azure Data Explorer, export the result as CSV or JSON,\nthen: entra-bas-proxy classify RESULT.csv. It reads no personal column.',
  },
  ca: {
    usage: 'ca [--certs DIR]',
    summary: 'create the CA if missing and say how to trust it',
    options: ['certs'],
  },
  sim: {
    usage: 'sim [--port N] [--host ADDR]',
    summary: 'run the simulated Entra ID alone, print the flags for start/run',
    options: ['host', 'port', 'log-level', 'log-format', 'quiet'],
    optionHelp: {
      host: 'listen address (default 127.0.0.1; anything else is warned about)',
      port: 'HTTPS port of the simulated Entra ID; IMDS (plain HTTP) listens on\nthe next one (default: free ports)',
      quiet: 'no line per request the simulator answers',
    },
    about:
      'Runs until Ctrl-C. Its test CA is written to a temporary folder, removed on exit.\nAny client in any language can then sign in through the proxy against it.',
  },
  demo: {
    usage: 'demo [--out DIR]',
    summary: 'a simulated Entra ID, real clients, every flow',
    options: ['port', 'certs', 'out', 'session', 'ui-port', 'no-ui', 'log-level', 'log-format'],
    optionArg: { out: 'DIR|FILE' },
    optionHelp: {
      port: 'proxy port (default: a free one)',
      out: `a folder for the report in every format (default demo-out),\nor report files (${extensionNames({ hints: false }).join(' ')}); repeatable`,
      'ui-port': 'dashboard port while the demo runs (loopback; 0 = a free one)',
    },
  },
} as const satisfies Readonly<Record<string, CommandDecl>>;

export type CommandName = keyof typeof COMMAND_TABLE;

export function isCommandName(s: string): s is CommandName {
  return Object.hasOwn(COMMAND_TABLE, s);
}

/** The options `command` takes, help and version included. */
export function optionsOf(command: CommandName): ReadonlySet<OptionName> {
  const decl: CommandDecl = COMMAND_TABLE[command];
  return new Set([...decl.options, ...ALWAYS]);
}
