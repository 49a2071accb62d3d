/**
 * Recorder.note (session event lines: refused TLS handshakes) through the worker recorder from
 * dist/: written by the worker between the records, and by this thread once the worker died.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkerRecorder } from '../../dist/src/session/worker-recorder.js';
import { readSessionLog } from '../../dist/src/sources/session-log.js';
import { tlsRejectionLine } from '../../src/core/tls-rejections.js';
import { makeRawExchange } from '../helpers/raw-exchange.js';

const dir = mkdtempSync(join(tmpdir(), 'ebp-notes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('Recorder.note (dist)', () => {
  it('the worker writes event lines into the log, records untouched', async () => {
    const log = join(dir, 'a.ndjson');
    const rec = await createWorkerRecorder({ sessionLogPath: log });
    rec.submit(raw(0));
    rec.note(line(1));
    rec.submit(raw(1));
    await rec.close();
    rec.note(line(99)); // after close: dropped, never a crash
    const { ids, events } = await readBack(log);
    expect(ids).toEqual(['n-0', 'n-1']);
    expect(events).toEqual([JSON.parse(line(1))]);
    expect((await rec.aggregates()).summary.exchanges).toBe(2);
  });

  it('after the worker died, this thread writes them', async () => {
    const log = join(dir, 'b.ndjson');
    const rec = await createWorkerRecorder({
      sessionLogPath: log,
      workerUrl: new URL('../fixtures/workers/dies-on-first-batch.mjs', import.meta.url),
    });
    rec.submit(raw(0));
    for (let i = 0; i < 100 && rec.count() < 1; i++) await new Promise((r) => setTimeout(r, 10));
    rec.note(line(2));
    await rec.settle();
    await rec.close();
    const { ids, events } = await readBack(log);
    expect(ids).toEqual(['n-0']);
    expect(events).toEqual([JSON.parse(line(2))]);
  });
});
