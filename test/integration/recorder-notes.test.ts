/**
 * Recorder.note (session event lines: refused TLS handshakes): written into the session log after
 * every exchange submitted before them and before the next, whether the worker lives or died.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tlsRejectionLine } from '../../src/core/tls-rejections.js';
import { createPool } from '../../src/session/pool.js';
import { createRecorder } from '../../src/session/recorder.js';
import { readSessionLog } from '../../src/sources/session-log.js';
import { makeRawExchange } from '../helpers/raw-exchange.js';
import { tempDir } from '../helpers/temp.js';
import { wrappedWorker } from '../helpers/worker-fixture.js';

const raw = (i: number) => makeRawExchange({ id: `n-${i}` });
const line = (n: number): string =>
  tlsRejectionLine(
    { host: 'login.microsoftonline.com', error: 'closed-during-handshake', client: 'node' },
    n,
    '2026-12-06T00:00:00.000Z',
  );

async function readBack(path: string): Promise<{ ids: string[]; events: unknown[] }> {
  const ids: string[] = [];
  const events: unknown[] = [];
  for await (const r of readSessionLog(path, { onEvent: (e: unknown) => events.push(e) }))
    ids.push(r.id);
  return { ids, events };
}

/** The log's lines after the header, as record ids and `note:<n>` for event lines. */
function order(path: string): string[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const v = JSON.parse(l) as { id?: string; type?: string; count?: number };
      return v.type ? `note:${v.type}` : String(v.id);
    });
}

describe('Recorder.note', () => {
  it('writes event lines into the log between the records, in submission order', async () => {
    const dir = tempDir('ebp-notes-');
    const log = join(dir, 'a.ndjson');
    const rec = await createRecorder({ sessionLogPath: log });
    rec.note(line(0)); // nothing pending: written at once
    rec.submit(raw(0));
    rec.note(line(1)); // after n-0, which is still on its way
    rec.submit(raw(1));
    await rec.backlog(0); // n-1 sent alone
    rec.submit(raw(2));
    rec.note(line(2));
    await rec.close();
    rec.note(line(99)); // after close: dropped, never a crash
    const { ids, events } = await readBack(log);
    expect(ids).toEqual(['n-0', 'n-1', 'n-2']);
    expect(events).toEqual([JSON.parse(line(0)), JSON.parse(line(1)), JSON.parse(line(2))]);
    expect(order(log)).toEqual([
      'note:tls-rejected',
      'n-0',
      'note:tls-rejected',
      'n-1',
      'n-2',
      'note:tls-rejected',
    ]);
    expect((await rec.aggregates()).summary.exchanges).toBe(3);
  });

  it('keeps their place when the worker died and its batch was redone', async () => {
    const dir = tempDir('ebp-notes-');
    const log = join(dir, 'b.ndjson');
    const dying = wrappedWorker(
      dir,
      'dies-on-first-batch.mjs',
      `parentPort.on('message', (m) => { if (m.task === 'classify-raws') process.exit(3); });`,
    );
    const pool = await createPool({ size: 1, workerUrl: dying });
    const rec = await createRecorder({ sessionLogPath: log, pool });
    rec.submit(raw(0));
    rec.note(line(2));
    rec.submit(raw(1));
    await rec.settle();
    rec.note(line(3));
    await rec.close();
    await pool.close();
    const { ids, events } = await readBack(log);
    expect(ids).toEqual(['n-0', 'n-1']);
    expect(events).toEqual([JSON.parse(line(2)), JSON.parse(line(3))]);
    expect(order(log)).toEqual(['n-0', 'note:tls-rejected', 'n-1', 'note:tls-rejected']);
  });
});
