/** The LiveSession a running proxy exposes (dashboard, programmatic API), backed by a Recorder. */
import type { LiveSession } from '../core/live.js';
import type { ExchangeRecord, ReportSource } from '../core/types.js';
import type { Recorder } from '../session/recorder.js';
import { renderSession, streamSession } from '../session/finish.js';
import { readSessionLog } from '../sources/session-log.js';

export function createLiveSession(
  recorder: Recorder,
  sources: () => readonly ReportSource[],
): LiveSession {
  return {
    snapshot: async () => ({ startedAt: recorder.startedAt, ...(await recorder.aggregates()) }),
    compactSnapshot: async () => ({
      startedAt: recorder.startedAt,
      ...(await recorder.compactAggregates()),
    }),
    recent: (limit) => recorder.recent(limit),
    async get(id) {
      const held = await recorder.lookup(id);
      if (held || !recorder.sessionLogPath) return held;
      return findInLog(recorder.sessionLogPath, id);
    },
    subscribe: (listener) => recorder.subscribe(listener),
    render: (format) => renderSession(recorder, sources(), format),
    renderStream: (format) => streamSession(recorder, sources(), format),
  };
}

async function findInLog(path: string, id: string): Promise<ExchangeRecord | undefined> {
  for await (const r of readSessionLog(path)) if (r.id === id) return r;
  return undefined;
}
