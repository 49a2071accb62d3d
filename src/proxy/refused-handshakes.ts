/**
 * Refused TLS handshakes during a live session (core/tls-rejections.ts): counted per host, warned
 * about once per host with the fix for the client's ecosystem, written to the session log
 * (refusals alike folded into one line per NOTE_EVERY_MS, and whatever is pending when the proxy
 * closes), and announced to the dashboard.
 */
import type { Logger } from '../core/logger.js';
import {
  TlsRejectionTally,
  describeTlsError,
  tlsRejectionLine,
  type HostRejections,
  type TlsRejection,
} from '../core/tls-rejections.js';
import { trustFix, type TrustPaths } from '../core/trust-hint.js';
import type { Recorder } from '../session/recorder.js';
import type { LiveExtras } from './live-session.js';
/** How long refusals alike are counted together before their session-log line is written. */
const NOTE_EVERY_MS = 250;

export interface RefusedHandshakes extends LiveExtras {
  /** One refused handshake (the TLS terminator's report). */
  add(r: TlsRejection): void;
  rejections(): readonly HostRejections[];
  /** Writes the pending session-log lines now (before the recorder closes). */
  flush(): void;
}

export function refusedHandshakes(
  logger: Logger,
  recorder: Pick<Recorder, 'note'>,
  paths: () => TrustPaths,
): RefusedHandshakes {
  const tally = new TlsRejectionTally();
  const listeners = new Set<() => void>();
  const pending = new Map<string, { r: TlsRejection; n: number; at: string }>();
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    for (const { r, n, at } of pending.values()) recorder.note(tlsRejectionLine(r, n, at));
    pending.clear();
  };
  return {
    add(r) {
      const who = r.client ?? 'a client';
      const why = describeTlsError(r.error);
      if (tally.add(r)) {
        logger.warn(
          { host: r.host, tlsError: r.error, client: r.client },
          `${r.host}: ${who} refused the proxy's certificate (${why}): it does not trust the proxy's CA, so its sign-in traffic is not seen. Fix: ${trustFix(r.client, paths())}`,
        );
      } else {
        logger.debug({ host: r.host, tlsError: r.error, client: r.client }, 'handshake refused');
      }
      const key = `${r.host}\n${r.error}\n${r.client ?? ''}`;
      const p = pending.get(key);
      if (p) p.n++;
      else pending.set(key, { r, n: 1, at: new Date().toISOString() });
      if (timer === null) {
        timer = setTimeout(flush, NOTE_EVERY_MS);
        timer.unref();
      }
      for (const l of listeners) {
        try {
          l();
        } catch (err) {
          // A listener (the dashboard) failing must not reach the proxy's socket handling.
          logger.debug({ err: String(err) }, 'session change listener failed');
        }
      }
    },
    rejections: () => tally.hosts(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush,
  };
}
