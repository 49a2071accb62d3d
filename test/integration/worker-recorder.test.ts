/**
 * The worker recorder as the live proxy and `classify` run it (from dist/, where its worker module
 * exists; `npm test` builds first): order, backpressure, the session log written by the worker,
 * full records for the detail view, and classification in this thread once the worker is gone.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../../src/core/types.js';
import { createWorkerRecorder } from '../../dist/src/session/worker-recorder.js';
import { readSessionLog } from '../../dist/src/sources/session-log.js';
import { makeRawExchange } from '../helpers/raw-exchange.js';
import { wrappedWorker } from '../helpers/worker-fixture.js';
import { tempDir } from '../helpers/temp.js';

const ropc = (i: number) =>
  makeRawExchange({
    id: `w-${i}`,
    form: {
      grant_type: 'password',
      client_id: '99999999-9999-9999-9999-999999999999',
      username: 'u@contoso.example',
      password: `PLANTED-WORKER-PW-${i}`,
      scope: 'openid',
    },
  });

describe('createWorkerRecorder (dist)', () => {
  it('records in order, writes the session log in the worker, serves full records', async () => {
    const dir = tempDir('ebp-worker-');
    const log = join(dir, 's.ndjson');
    const rec = await createWorkerRecorder({ sessionLogPath: log });
    for (let i = 0; i < 300; i++) {
      rec.submit(ropc(i));
      if (i % 50 === 0) await rec.backlog(10);
    }
    await rec.settle();
    expect(rec.count()).toBe(300);
    expect((await rec.recent(3)).map((r) => r.id)).toEqual(['w-297', 'w-298', 'w-299']);
    expect((await rec.aggregates()).summary.byVerdict['not-covered']).toBe(300);
    // the dashboard's view is cut where the aggregates live: the latest ids and the count
    const compact = await rec.compactAggregates();
    expect(compact.applications[0]?.exchangeCount).toBe(300);
    expect(compact.applications[0]?.exchangeIds).toHaveLength(20);
    expect(compact.applications[0]?.exchangeIds.at(-1)).toBe('w-299');
    // nothing came back to this thread but counts: the worker has the full record
    const full = await rec.lookup('w-299');
    expect(full?.evidence.form['grant_type']).toBe('password');
    await rec.close();
    await rec.close();
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(301);
    expect(
      lines
        .slice(1)
        .map((l) => (JSON.parse(l) as { id: string }).id)
        .at(-1),
    ).toBe('w-299');
    expect(readFileSync(log, 'utf8')).not.toContain('PLANTED-WORKER-PW');
    // the aggregates outlive the worker
    expect((await rec.aggregates()).summary.exchanges).toBe(300);
    // a late exchange after close is still classified and counted, in this thread
    rec.submit(ropc(300));
    expect(rec.count()).toBe(301);
  });

  it('refuses to start when the session log cannot be created', async () => {
    const dir = tempDir('ebp-worker-');
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    await expect(
      createWorkerRecorder({ sessionLogPath: join(blocker, 'sub', 's.ndjson') }),
    ).rejects.toThrow(/cannot start the recorder/);
  });

  it('loses no exchange when the worker dies: the ones in flight are classified here', async () => {
    const dir = tempDir('ebp-worker-');
    const log = join(dir, 's.ndjson');
    const rec = await createWorkerRecorder({
      sessionLogPath: log,
      workerUrl: new URL('../fixtures/workers/dies-on-first-batch.mjs', import.meta.url),
    });
    for (let i = 0; i < 5; i++) rec.submit(ropc(i));
    for (let i = 0; i < 100 && rec.count() < 5; i++) await new Promise((r) => setTimeout(r, 10));
    await rec.settle();
    expect(rec.count()).toBe(5);
    expect((await rec.recent(5)).map((r) => r.id)).toEqual(['w-0', 'w-1', 'w-2', 'w-3', 'w-4']);
    rec.submit(ropc(5));
    expect(rec.count()).toBe(6);
    expect((await rec.aggregates()).summary.exchanges).toBe(6);
    await rec.close();
    // the worker never wrote its log: this thread started one, with every exchange
    const ids = [];
    for await (const r of readSessionLog(log)) ids.push(r.id);
    expect(ids).toEqual(['w-0', 'w-1', 'w-2', 'w-3', 'w-4', 'w-5']);
  });

  it('after answering some batches, a dying worker leaves the rest to this thread: in order, none twice', async () => {
    const dir = tempDir('ebp-worker-');
    const dying = wrappedWorker(
      dir,
      'dies-on-third-batch.mjs',
      `let seen = 0;
parentPort.on('message', (m) => { if (m.type === 'raws' && ++seen === 3) process.exit(9); });`,
    );
    const log = join(dir, 's.ndjson');
    const rec = await createWorkerRecorder({ sessionLogPath: log, workerUrl: dying });
    for (let i = 0; i < 40; i++) {
      rec.submit(ropc(i));
      // a new batch every few exchanges
      if (i % 8 === 7) await new Promise((r) => setTimeout(r, 30));
    }
    for (let i = 0; i < 200 && rec.count() < 40; i++) await new Promise((r) => setTimeout(r, 10));
    await rec.settle();
    const all = Array.from({ length: 40 }, (_, i) => `w-${i}`);
    // rebuilt here from what the worker logged, then the batches it never answered
    expect((await rec.recent(100)).map((r) => r.id)).toEqual(all);
    expect((await rec.aggregates()).summary.exchanges).toBe(40);
    await rec.close();
    const ids = [];
    for await (const r of readSessionLog(log)) ids.push(r.id);
    expect(ids).toEqual(all);
  });

  it('a worker that logged a batch but died before answering: replayed without doubles', async () => {
    const dir = tempDir('ebp-worker-');
    const dying = wrappedWorker(
      dir,
      'dies-before-answering.mjs',
      `let answered = 0;
const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (m) => (m && m.type === 'recorded' && ++answered === 2 ? process.exit(7) : post(m));`,
    );
    const log = join(dir, 's.ndjson');
    const rec = await createWorkerRecorder({ sessionLogPath: log, workerUrl: dying });
    for (let i = 0; i < 30; i++) {
      rec.submit(ropc(i));
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 30));
    }
    await rec.settle();
    const all = Array.from({ length: 30 }, (_, i) => `w-${i}`);
    expect(rec.count()).toBe(30);
    expect((await rec.aggregates()).summary.byVerdict['not-covered']).toBe(30);
    await rec.close();
    const ids = [];
    for await (const r of readSessionLog(log)) ids.push(r.id);
    expect(ids).toEqual(all);
  });

  it('sends records back only while someone listens, and log fields while info logging is on', async () => {
    const dir = tempDir('ebp-worker-');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const rec = await createWorkerRecorder({ sessionLogPath: join(dir, 's.ndjson'), logger });
    const heard: ExchangeRecord[] = [];
    const stop = rec.subscribe((r) => heard.push(r));
    for (let i = 0; i < 5; i++) rec.submit(ropc(i));
    await rec.settle();
    expect(heard.map((r) => r.id)).toEqual(['w-0', 'w-1', 'w-2', 'w-3', 'w-4']);
    expect(heard[0]?.verdict).toBe('not-covered');
    // the evidence stays in the worker (and the log)
    expect(heard[0]?.evidence.form).toEqual({});
    stop();
    for (let i = 5; i < 8; i++) rec.submit(ropc(i));
    await rec.settle();
    expect(heard).toHaveLength(5);
    // one log line per exchange either way, from fields the worker sent
    const logged = lines.map((l) => JSON.parse(l) as { id?: string; verdict?: string });
    expect(logged.filter((l) => l.verdict === 'not-covered').map((l) => l.id)).toEqual(
      Array.from({ length: 8 }, (_, i) => `w-${i}`),
    );
    expect(lines.join('')).not.toContain('PLANTED-WORKER-PW');
    await rec.close();
  });

  it('throttles a live source while too many bytes wait for the worker, and lets go once it caught up', async () => {
    const dir = tempDir('ebp-worker-');
    const slow = wrappedWorker(
      dir,
      'slow-worker.mjs',
      `const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (m) => (m && m.type === 'recorded' ? setTimeout(() => post(m), 300) : post(m));`,
    );
    const rec = await createWorkerRecorder({
      sessionLogPath: join(dir, 's.ndjson'),
      workerUrl: slow,
      maxPendingBytes: 4096,
    });
    expect(rec.throttle?.()).toBeNull();
    for (let i = 0; i < 10; i++) rec.submit(ropc(i));
    void rec.backlog(Number.MAX_SAFE_INTEGER); // sends the batch now
    const held = rec.throttle?.();
    expect(held).toBeInstanceOf(Promise);
    expect(rec.throttle?.()).toBe(held); // one hold for everybody
    let released = false;
    void held?.then(() => (released = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(released).toBe(false);
    expect(rec.count()).toBe(0);
    await held;
    expect(rec.count()).toBe(10);
    expect(rec.throttle?.()).toBeNull();
    await rec.close();
  });

  it('runs classification at a lower priority than the proxy thread (Linux)', async () => {
    if (process.platform !== 'linux') return;
    const nices = (): number[] =>
      readdirSync('/proc/self/task').map((t) => {
        const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const before = nices().filter((n) => n === 10).length;
    const dir = tempDir('ebp-worker-');
    const rec = await createWorkerRecorder({ sessionLogPath: join(dir, 's.ndjson') });
    expect(nices().filter((n) => n === 10).length).toBe(before + 1);
    expect(getPriority()).toBe(0);
    await rec.close();
  });
});
