/** Session event lines (`{"type":...}`) in the session log: never records, handed to onEvent. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tlsRejectionLine } from '../../../src/core/tls-rejections.js';
import { createRecorder } from '../../../src/session/recorder.js';
import { openSessionLog, readSessionLog } from '../../../src/sources/session-log.js';
import { makeRecord } from '../../helpers/records.js';

const dir = mkdtempSync(join(tmpdir(), 'ebp-slog-ev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINE = tlsRejectionLine(
  { host: 'login.microsoftonline.com', error: 'closed-during-handshake', client: 'node' },
  2,
  '2026-12-06T00:00:00.000Z',
);

describe('session event lines', () => {
  it('are skipped as records and given to onEvent, in order', async () => {
    const path = join(dir, 'a.ndjson');
    const log = openSessionLog(path, { startedAt: '2026-12-06T00:00:00.000Z' });
    log.append(makeRecord({ id: 'r1' }));
    log.appendLine(LINE);
    log.append(makeRecord({ id: 'r2' }));
    log.close();
    const events: unknown[] = [];
    const read = readSessionLog(path, { onEvent: (e) => events.push(e) });
    const ids: string[] = [];
    for await (const r of read) ids.push(r.id);
    expect(ids).toEqual(['r1', 'r2']);
    expect(read.stats.skipped).toBe(0);
    expect(events).toEqual([JSON.parse(LINE)]);
  });

  it('are written by Recorder.note', async () => {
    const path = join(dir, 'b.ndjson');
    const rec = await createRecorder({ sessionLogPath: path });
    rec.note(LINE);
    await rec.close();
    const events: unknown[] = [];
    for await (const r of readSessionLog(path, { onEvent: (e) => events.push(e) })) void r;
    expect(events).toEqual([JSON.parse(LINE)]);
  });
});
