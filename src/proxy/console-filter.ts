/**
 * Quiets http-mitm-proxy's console output, process-wide and narrowly: imported for its effect by
 * mitm-adapter.ts. Only the exact lines the library prints are dropped.
 */
// The library announces every per-host server and every client reset on console.debug (stdout,
// where scripts wait for our listening line), and prints socket errors with console.error as a
// label line followed by the error. Drop exactly those; anything else still reaches the original.
// The failures themselves are not lost: they become exchange errors (502s) or tunnel closes.
const LIBRARY_CHATTER =
  /^(?:starting server for |https server started for |creating SNI context for |Got ECONNRESET on )/;
const LIBRARY_ERROR_LABEL = /^(?:Socket error:|Connection error:|Error getting HTTPs server)$/;
type ConsoleFn = (...args: unknown[]) => void;
type Filtered = ConsoleFn & { filtered?: boolean };
/* eslint-disable no-console -- wrapping the library's console output, not logging */
if (!(console.debug as Filtered).filtered) {
  const debug: ConsoleFn = console.debug;
  const error: ConsoleFn = console.error;
  let dropNextError = false;
  console.debug = Object.assign(
    (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && LIBRARY_CHATTER.test(args[0])) return;
      debug(...args);
    },
    { filtered: true },
  );
  console.error = Object.assign(
    (...args: unknown[]): void => {
      if (args.length === 1 && typeof args[0] === 'string' && LIBRARY_ERROR_LABEL.test(args[0])) {
        dropNextError = true;
        return;
      }
      if (dropNextError && args.length === 1 && args[0] instanceof Error) {
        dropNextError = false;
        return;
      }
      dropNextError = false;
      error(...args);
    },
    { filtered: true },
  );
}
/* eslint-enable no-console */

export {};
