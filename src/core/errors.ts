/** Codes of failures of the tool itself (bad usage, bad input, I/O). Traffic problems are data, not errors. */
export type ErrCode =
  | 'ERR_USAGE'
  | 'ERR_INPUT'
  | 'ERR_HAR_INVALID'
  | 'ERR_SIGNINS_INVALID'
  | 'ERR_SESSION_INVALID'
  | 'ERR_REPORT_INVALID'
  | 'ERR_CA_LOAD'
  | 'ERR_LISTEN'
  | 'ERR_IO'
  /** Azure sign-in failed, or a service refused the request (401/403): says what is missing. */
  | 'ERR_AUTH'
  /** An Azure service failed, throttled past the retries, or answered only in part. */
  | 'ERR_REMOTE'
  | 'ERR_INTERNAL';

/** The one error type of the tool. `code` decides the exit status in the CLI (usage/input -> 2). */
export class ToolError extends Error {
  readonly code: ErrCode;
  constructor(code: ErrCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ToolError';
  }
}

/** The codes of bad usage or input (exit status 2). */
const USAGE_OR_INPUT: ReadonlySet<ErrCode> = new Set<ErrCode>([
  'ERR_USAGE',
  'ERR_INPUT',
  'ERR_HAR_INVALID',
  'ERR_SIGNINS_INVALID',
  'ERR_SESSION_INVALID',
  'ERR_REPORT_INVALID',
]);

/** Exit status for an error per CONTRACT.md: 2 for bad usage or input, else 1. */
export function exitCodeFor(err: unknown): 1 | 2 {
  return err instanceof ToolError && USAGE_OR_INPUT.has(err.code) ? 2 : 1;
}

/** A one-line message for stderr, never a stack trace. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ').trim().slice(0, 500);
}
