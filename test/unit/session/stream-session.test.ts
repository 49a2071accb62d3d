/**
 * The live report as chunks (src/session/finish.ts streamSession, behind LiveSession.renderStream
 * and the dashboard's downloads), rendered in this thread from the session log: the same bytes as
 * a whole render, for every format; only the records in the log when it was asked (its head and
 * its exchanges match while traffic goes on); a reader that stops closes the log; a log that
 * cannot be read ends the iteration with a one-line error.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPORT_FORMAT_IDS, type ReportFormat } from '../../../src/report/formats.js';
import { renderToString } from '../../../src/report/writer.js';
import { reportInput, streamSession, type RecordedSession } from '../../../src/session/finish.js';
import { openSessionLog, readSessionLog } from '../../../src/sources/session-log.js';
import { sampleInput, sampleRecords } from '../../helpers/report-fixtures.js';
import { tempDir } from '../../helpers/temp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('ebp-stream-session-');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeLog(copies: number): string {
  const path = join(dir, 'session.ndjson');
  const log = openSessionLog(path, { startedAt: '2025-01-01T00:00:00.000Z' });
  for (let i = 0; i < copies; i++) {
    for (const r of sampleRecords()) log.append({ ...r, id: `${r.id}-${i}` });
  }
  log.close();
  return path;
}

/** A recording over `logPath`, with the sample input's aggregates. */
function recorded(logPath: string): RecordedSession {
  const { head } = sampleInput();
  return {
    startedAt: head.session.startedAt,
    endedAt: head.session.endedAt,
    sessionLogPath: logPath,
    aggregates: () =>
      Promise.resolve({ applications: head.applications, summary: head.summary }) as ReturnType<
        RecordedSession['aggregates']
      >,
    recent: () => Promise.resolve([]),
    settle: () => Promise.resolve(),
  };
}

async function collect(chunks: AsyncIterable<string | Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

const SOURCES = [{ kind: 'proxy' as const, name: 'http://127.0.0.1:8080' }];

describe('streamSession', () => {
  it.each(REPORT_FORMAT_IDS as ReportFormat[])(
    'streams %s exactly as a whole render of the log',
    async (format) => {
      const logPath = writeLog(30);
      const session = recorded(logPath);
      const streamed = await collect(await streamSession(session, SOURCES, format));
      const { head } = await reportInput(session, SOURCES);
      const whole = await renderToString(format, {
        head,
        exchanges: () => readSessionLog(logPath),
      });
      expect(streamed).toBe(whole);
    },
  );

  it('holds only the records in the log when it was asked', async () => {
    const logPath = writeLog(1);
    const chunks = await streamSession(recorded(logPath), SOURCES, 'json');
    // More records after the report was asked for: not in it.
    const more = openSessionLog(logPath, { startedAt: 'x', reopen: true });
    for (const r of sampleRecords()) more.append({ ...r, id: `late-${r.id}` });
    more.close();
    const json = await collect(chunks);
    const report = JSON.parse(json) as { exchanges: { id: string }[] };
    expect(report.exchanges.length).toBe(sampleRecords().length);
    expect(json).not.toContain('late-');
  });

  it('stops reading when the reader stops', async () => {
    const logPath = writeLog(400);
    const chunks = await streamSession(recorded(logPath), SOURCES, 'json');
    const it = chunks[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await it.return?.(undefined);
    expect((await it.next()).done).toBe(true);
  });

  it('ends with a one-line error when the log cannot be read', async () => {
    const chunks = await streamSession(recorded(join(dir, 'missing.ndjson')), SOURCES, 'json');
    await expect(collect(chunks)).rejects.toMatchObject({
      message: expect.stringMatching(/missing\.ndjson[^\n]*$/),
    });
  });
});
