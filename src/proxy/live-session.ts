/** The LiveSession a running proxy exposes (dashboard, programmatic API), backed by a Recorder. */
import { compactSnapshot } from '../core/compact-aggregates.js';
import type { LiveSession } from '../core/live.js';
import type { HostRejections } from '../core/tls-rejections.js';
import type { ExchangeRecord, ReportSource } from '../core/types.js';
import { formatById } from '../report/formats.js';
import { sessionFindings } from '../report/session-findings.js';
import type { Recorder } from '../session/recorder.js';
import { renderSession, streamSession } from '../session/finish.js';
import { readSessionLog } from '../sources/session-log.js';

/** What the proxy knows of its session besides the recorder's exchanges. */
export interface LiveExtras {
  /** Refused TLS handshakes so far, per host. */
  rejections(): readonly HostRejections[];
  /** Called when they change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export function createLiveSession(
  recorder: Recorder,
  sources: () => readonly ReportSource[],
  extras: LiveExtras,
): LiveSession {
  // The aggregates with the session-level findings, as the report head will have them.
  const snapshot = async () => {
    const { summary, applications } = await recorder.aggregates();
    const findings = sessionFindings(summary, extras.rejections());
    return { startedAt: recorder.startedAt, summary: { ...summary, findings }, applications };
  };
  return {
    snapshot,
    compactSnapshot: async () => compactSnapshot(await snapshot()),
    recent: (limit) => recorder.recent(limit),
    async get(id) {
      const held = await recorder.lookup(id);
      if (held || !recorder.sessionLogPath) return held;
      return findInLog(recorder.sessionLogPath, id);
    },
    subscribe: (listener) => recorder.subscribe(listener),
    onSessionChange: (listener) => extras.onChange(listener),
    render: async (format) =>
      renderSession(recorder, sources(), formatById(format), { rejections: extras.rejections() }),
    renderStream: async (format) =>
      streamSession(recorder, sources(), formatById(format), { rejections: extras.rejections() }),
  };
}

async function findInLog(path: string, id: string): Promise<ExchangeRecord | undefined> {
  for await (const r of readSessionLog(path)) if (r.id === id) return r;
  return undefined;
}
