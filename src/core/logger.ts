import { pino, type Logger, type DestinationStream } from 'pino';
import { humanLine, type HumanFormat } from './log-format.js';

/** Paths pino censors on every line, whatever a caller binds by mistake. */
export const REDACT_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["proxy-authorization"]',
  '*.authorization',
  '*.cookie',
  'password',
  'client_secret',
  'client_assertion',
  'code',
  'device_code',
  'refresh_token',
  'access_token',
  'id_token',
  'assertion',
  'SAMLResponse',
  'SAMLRequest',
  '*.password',
  '*.client_secret',
  '*.client_assertion',
  '*.refresh_token',
  '*.access_token',
  '*.id_token',
  '*.SAMLResponse',
];

export type { Logger };

/** A logger that writes nothing: the default for library entry points. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export type LogFormat = 'human' | 'json';

/**
 * The CLI's root logger: JSON lines (`format: 'json'`, the default) or one readable line each
 * (`'human'`: src/core/log-format.ts, applied after redaction; `tty`: a short local time, and
 * colours unless `color` is false), written synchronously to `dest` (default stderr). Only the CLI
 * creates one; library code takes a `logger` option.
 */
export function createLogger(opts: {
  level?: string;
  format?: LogFormat;
  tty?: boolean;
  color?: boolean;
  dest?: DestinationStream;
}): Logger {
  const tty = opts.tty === true;
  const human: HumanFormat = {
    color: tty && opts.color !== false,
    shortTime: tty,
  };
  return pino(
    {
      level: opts.level ?? 'info',
      base: null,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...(opts.format === 'human'
        ? { hooks: { streamWrite: (s: string) => humanLine(s, human) } }
        : {}),
    },
    opts.dest ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** Level names `--log-level` accepts (pino's, plus `silent`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
