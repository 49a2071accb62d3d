import { pino, type Logger, type DestinationStream } from 'pino';

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

/**
 * The CLI's root logger: JSON lines to `dest` (default stderr), or readable lines when `pretty`
 * (a terminal). Only the CLI creates one; library code takes a `logger` option.
 */
export function createLogger(opts: {
  level?: string;
  pretty?: boolean;
  dest?: DestinationStream;
}): Logger {
  const base = {
    level: opts.level ?? 'info',
    base: null,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (opts.pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: {
          destination: 2,
          colorize: true,
          ignore: 'pid,hostname',
          translateTime: 'HH:MM:ss',
        },
      },
    });
  }
  return pino(base, opts.dest ?? pino.destination(2));
}
