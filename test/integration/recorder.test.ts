/**
 * The live recorder as the proxy runs it: the session in this thread, classification in a pool
 * worker (loaded from the TS sources through tsx, as production loads it from dist/). Order,
 * backpressure, the session log, full records for the detail view, and a worker that dies
 * mid-stream: never an exchange lost or recorded twice.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { compactApplication } from '../../src/core/compact-aggregates.js';
import type { ExchangeRecord } from '../../src/core/types.js';
import { createPool } from '../../src/session/pool.js';
import { createRecorder } from '../../src/session/recorder.js';
import { readSessionLog } from '../../src/sources/session-log.js';
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

const ids = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `w-${from + i}`);

async function logIds(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readSessionLog(path)) out.push(r.id);
  return out;
}

/** A recorder whose pool runs `workerUrl` (one worker, as the proxy's). */
async function recorderWith(log: string, workerUrl: URL, logger?: pino.Logger) {
  const pool = await createPool({ size: 1, workerUrl, ...(logger ? { logger } : {}) });
  expect(pool.size).toBe(1);
  const rec = await createRecorder({ sessionLogPath: log, pool });
  return { rec, pool };
}

describe('createRecorder', () => {
  it('records in order, writes the session log, serves full records', async () => {
    const dir = tempDir('ebp-worker-');
    const log = join(dir, 's.ndjson');
    const rec = await createRecorder({ sessionLogPath: log });
    for (let i = 0; i < 300; i++) {
      rec.submit(ropc(i));
      if (i % 50 === 0) await rec.backlog(10);
    }
    await rec.settle();
    expect(rec.count()).toBe(300);
    expect((await rec.recent(3)).map((r) => r.id)).toEqual(['w-297', 'w-298', 'w-299']);
    expect((await rec.aggregates()).summary.byVerdict['not-covered']).toBe(300);
    // the dashboard's view is cut: the latest ids and the count
    const [compact] = (await rec.aggregates()).applications.map(compactApplication);
    expect(compact?.exchangeCount).toBe(300);
    expect(compact?.exchangeIds).toHaveLength(20);
    expect(compact?.exchangeIds.at(-1)).toBe('w-299');
    // the full record (evidence included) is read back from the log
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
    // the aggregates and the latest records outlive the pool
    expect((await rec.aggregates()).summary.exchanges).toBe(300);
    expect((await rec.recent(1)).map((r) => r.id)).toEqual(['w-299']);
    // a late exchange after close is still classified and counted, in this thread
    rec.submit(ropc(300));
    expect(rec.count()).toBe(301);
    expect(await logIds(log)).toEqual(ids(300));
  });

  it('refuses to start when the session log cannot be created', async () => {
    const dir = tempDir('ebp-worker-');
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    await expect(
      createRecorder({ sessionLogPath: join(blocker, 'sub', 's.ndjson') }),
    ).rejects.toMatchObject({ code: 'ERR_IO', message: /cannot create the session log/ });
  });

  it('loses no exchange when the worker dies on its first batch: redone in this thread', async () => {
    const dir = tempDir('ebp-worker-');
    const log = join(dir, 's.ndjson');
    const dying = wrappedWorker(
      dir,
      'dies-on-first-batch.mjs',
      `parentPort.on('message', (m) => { if (m.task === 'classify-raws') process.exit(3); });`,
    );
    const { rec, pool } = await recorderWith(log, dying);
    for (let i = 0; i < 5; i++) rec.submit(ropc(i));
    await rec.settle();
    expect(pool.size).toBe(0);
    expect(rec.count()).toBe(5);
    expect((await rec.recent(5)).map((r) => r.id)).toEqual(ids(5));
    rec.submit(ropc(5));
    await rec.settle();
    expect(rec.count()).toBe(6);
    expect((await rec.aggregates()).summary.exchanges).toBe(6);
    await rec.close();
    await pool.close();
    expect(await logIds(log)).toEqual(ids(6));
  });

  it('a worker killed mid-stream, after answering some batches: in order, none lost, none twice', async () => {
    const dir = tempDir('ebp-worker-');
    const dying = wrappedWorker(
      dir,
      'dies-on-third-batch.mjs',
      `let seen = 0;
parentPort.on('message', (m) => { if (m.task === 'classify-raws' && ++seen === 3) process.exit(9); });`,
    );
    const log = join(dir, 's.ndjson');
    const { rec, pool } = await recorderWith(log, dying);
    const heard: string[] = [];
    rec.subscribe((r) => heard.push(r.id));
    for (let i = 0; i < 40; i++) {
      rec.submit(ropc(i));
      // a new batch every few exchanges
      if (i % 8 === 7) await new Promise((r) => setTimeout(r, 30));
    }
    await rec.settle();
    expect(pool.size).toBe(0);
    expect(rec.count()).toBe(40);
    expect(heard).toEqual(ids(40));
    expect((await rec.recent(100)).map((r) => r.id)).toEqual(ids(40));
    expect((await rec.aggregates()).summary.exchanges).toBe(40);
    await rec.close();
    await pool.close();
    expect(await logIds(log)).toEqual(ids(40));
  });

  it('a worker that classified a batch but died before answering: redone, recorded once', async () => {
    const dir = tempDir('ebp-worker-');
    const dying = wrappedWorker(
      dir,
      'dies-before-answering.mjs',
      `let answered = 0;
const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (m) => (m && 'id' in m && ++answered === 2 ? process.exit(7) : post(m));`,
    );
    const log = join(dir, 's.ndjson');
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const { rec, pool } = await recorderWith(log, dying, logger);
    for (let i = 0; i < 30; i++) {
      rec.submit(ropc(i));
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 30));
    }
    await rec.settle();
    expect(rec.count()).toBe(30);
    expect((await rec.aggregates()).summary.byVerdict['not-covered']).toBe(30);
    await rec.close();
    await pool.close();
    expect(await logIds(log)).toEqual(ids(30));
    // said loudly, once
    expect(lines.join('')).toContain('classification worker stopped (exit 7)');
  });

  it('listeners hear every record in order, without its evidence; one log line per exchange', async () => {
    const dir = tempDir('ebp-worker-');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const rec = await createRecorder({ sessionLogPath: join(dir, 's.ndjson'), logger });
    const heard: ExchangeRecord[] = [];
    const stop = rec.subscribe((r) => heard.push(r));
    for (let i = 0; i < 5; i++) rec.submit(ropc(i));
    await rec.settle();
    expect(heard.map((r) => r.id)).toEqual(ids(5));
    expect(heard[0]?.verdict).toBe('not-covered');
    // the evidence is in the log (lookup), not in what listeners get
    expect(heard[0]?.evidence.form).toEqual({});
    stop();
    for (let i = 5; i < 8; i++) rec.submit(ropc(i));
    await rec.settle();
    expect(heard).toHaveLength(5);
    const logged = lines.map((l) => JSON.parse(l) as { id?: string; verdict?: string });
    expect(logged.filter((l) => l.verdict === 'not-covered').map((l) => l.id)).toEqual(ids(8));
    expect(lines.join('')).not.toContain('PLANTED-WORKER-PW');
    await rec.close();
  });

  it('throttles a live source while too many bytes wait for the worker, and lets go once it caught up', async () => {
    const dir = tempDir('ebp-worker-');
    const slow = wrappedWorker(
      dir,
      'slow-worker.mjs',
      `const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (m) => (m && 'id' in m ? setTimeout(() => post(m), 300) : post(m));`,
    );
    const pool = await createPool({ size: 1, workerUrl: slow });
    const rec = await createRecorder({
      sessionLogPath: join(dir, 's.ndjson'),
      pool,
      maxPendingBytes: 4096,
    });
    expect(rec.throttle()).toBeNull();
    for (let i = 0; i < 10; i++) rec.submit(ropc(i));
    void rec.backlog(Number.MAX_SAFE_INTEGER); // sends the batch now
    const held = rec.throttle();
    expect(held).toBeInstanceOf(Promise);
    expect(rec.throttle()).toBe(held); // one hold for everybody
    let released = false;
    void held?.then(() => (released = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(released).toBe(false);
    expect(rec.count()).toBe(0);
    await held;
    expect(rec.count()).toBe(10);
    expect(rec.throttle()).toBeNull();
    await rec.close();
    await pool.close();
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
    const rec = await createRecorder({ sessionLogPath: join(dir, 's.ndjson') });
    expect(nices().filter((n) => n === 10).length).toBe(before + 1);
    expect(getPriority()).toBe(0);
    await rec.close();
  });
});
