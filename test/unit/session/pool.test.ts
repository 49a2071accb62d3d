/**
 * The worker pool (src/session/pool.ts) with its real worker module, loaded from the TS sources
 * through tsx as the pool does under vitest: answers match their jobs whatever the order, a job
 * that throws fails alone, a dying worker's jobs are redone once, size 0 stays in this thread.
 */
import { readdirSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createPool } from '../../../src/session/pool.js';
import { RawBatchWriter, type RawBatch } from '../../../src/session/raw-batch.js';
import { makeRawExchange } from '../../helpers/raw-exchange.js';
import { tempDir } from '../../helpers/temp.js';
import { wrappedWorker } from '../../helpers/worker-fixture.js';

/** A batch of `n` exchanges with ids `${tag}-0`... */
function batch(tag: string, n: number): RawBatch {
  const w = new RawBatchWriter();
  for (let i = 0; i < n; i++) w.write(makeRawExchange({ id: `${tag}-${i}` }));
  return w.take()!;
}

/** The ids of a classify-raws answer, read from its log lines. */
const idsOf = (o: { readonly lines: Uint8Array }): string[] =>
  Buffer.from(o.lines)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { id: string }).id);

const threads = (): number => readdirSync('/proc/self/task').length;

function said(level = 'warn') {
  const lines: string[] = [];
  return { logger: pino({ level }, { write: (l: string) => void lines.push(l) }), lines };
}

describe('createPool', () => {
  it('gives each job its own answer, with several workers and jobs in flight', async () => {
    const pool = await createPool({ size: 2 });
    expect(pool.size).toBe(2);
    const jobs = Array.from({ length: 12 }, (_, k) =>
      pool.run('classify-raws', batch(`j${k}`, 1 + (k % 4))),
    );
    const out = await Promise.all(jobs);
    out.forEach((o, k) => {
      expect(idsOf(o)).toEqual(Array.from({ length: 1 + (k % 4) }, (_, i) => `j${k}-${i}`));
    });
    await pool.close();
    await pool.close();
    expect(pool.size).toBe(0);
  });

  it('a job that throws in the worker fails alone; the worker goes on', async () => {
    const pool = await createPool({ size: 1 });
    const bad = pool.run('classify-raws', { data: '\x01\x02\x03', count: 1 });
    const good = pool.run('classify-raws', batch('ok', 2));
    await expect(bad).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
      message: expect.stringMatching(/^task classify-raws failed: /) as unknown,
    });
    expect(idsOf(await good)).toEqual(['ok-0', 'ok-1']);
    expect(pool.size).toBe(1);
    await pool.close();
  });

  it('size 0 runs the tasks in this thread, no worker started; a throwing task rejects', async () => {
    const before = threads();
    const pool = await createPool({ size: 0 });
    expect(pool.size).toBe(0);
    expect(threads()).toBe(before);
    expect(idsOf(await pool.run('classify-raws', batch('here', 3)))).toEqual([
      'here-0',
      'here-1',
      'here-2',
    ]);
    await expect(pool.run('classify-raws', { data: '\x09', count: 1 })).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
    });
    await pool.close();
  });

  it('redoes the jobs of a worker that dies on another worker, each answered once', async () => {
    const dir = tempDir('ebp-pool-');
    // Only the first worker to claim the marker dies (on its third job).
    const dying = wrappedWorker(
      dir,
      'one-dies-on-third-job.mjs',
      `import { openSync } from 'node:fs';
let dies = false;
try { openSync(${JSON.stringify(dir + '/marker')}, 'wx'); dies = true; } catch {}
let seen = 0;
parentPort.on('message', () => { if (dies && ++seen === 3) process.exit(5); });`,
    );
    const { logger, lines } = said();
    const pool = await createPool({ size: 2, workerUrl: dying, logger });
    expect(pool.size).toBe(2);
    const out = await Promise.all(
      Array.from({ length: 20 }, (_, k) => pool.run('classify-raws', batch(`d${k}`, 2))),
    );
    out.forEach((o, k) => expect(idsOf(o)).toEqual([`d${k}-0`, `d${k}-1`]));
    expect(pool.size).toBe(1);
    expect(lines.join('')).toMatch(
      /classification worker stopped \(exit 5\); its \d+ jobs? and the next are redone on another worker/,
    );
    await pool.close();
  });

  it('redoes them in this thread when no worker is left', async () => {
    const dir = tempDir('ebp-pool-');
    const dying = wrappedWorker(
      dir,
      'dies-on-first-job.mjs',
      `parentPort.on('message', () => process.exit(3));`,
    );
    const { logger, lines } = said();
    const pool = await createPool({ size: 1, workerUrl: dying, logger });
    const out = await Promise.all(
      [0, 1, 2].map((k) => pool.run('classify-raws', batch(`t${k}`, 1))),
    );
    expect(out.map((o) => idsOf(o))).toEqual([['t0-0'], ['t1-0'], ['t2-0']]);
    expect(pool.size).toBe(0);
    expect(lines.join('')).toContain('redone in this thread');
    await pool.close();
  });

  it('never takes a late answer twice: a worker that answers, then dies before the next answer', async () => {
    const dir = tempDir('ebp-pool-');
    const dying = wrappedWorker(
      dir,
      'dies-before-second-answer.mjs',
      `let answered = 0;
const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (m) => (m && 'id' in m && ++answered === 2 ? process.exit(7) : post(m));`,
    );
    const pool = await createPool({ size: 1, workerUrl: dying });
    const settled: string[] = [];
    const jobs = Array.from({ length: 5 }, (_, k) =>
      pool.run('classify-raws', batch(`l${k}`, 1)).then((o) => {
        settled.push(...idsOf(o));
        return o;
      }),
    );
    await Promise.all(jobs);
    expect(settled.sort()).toEqual(['l0-0', 'l1-0', 'l2-0', 'l3-0', 'l4-0']);
    expect(pool.size).toBe(0);
    await pool.close();
  });

  it('sends a worker two jobs at most; the others wait in the pool, and all are answered', async () => {
    const dir = tempDir('ebp-pool-');
    // Answers 50 ms late; a third job received before an answer went out ends the worker.
    const strict = wrappedWorker(
      dir,
      'two-ahead.mjs',
      `let held = 0;
parentPort.on('message', () => { if (++held > 2) process.exit(5); });
const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (m) => (m && 'id' in m ? setTimeout(() => { held--; post(m); }, 50) : post(m));`,
    );
    const { logger, lines } = said('error');
    const pool = await createPool({ size: 1, workerUrl: strict, logger });
    const out = await Promise.all(
      Array.from({ length: 6 }, (_, k) => pool.run('classify-raws', batch(`a${k}`, 1))),
    );
    expect(out.map((o) => idsOf(o))).toEqual([0, 1, 2, 3, 4, 5].map((k) => [`a${k}-0`]));
    expect(lines).toEqual([]);
    expect(pool.size).toBe(1);
    await pool.close();
  });

  it('a worker module that cannot start: a warning, and the pool runs without it', async () => {
    const dir = tempDir('ebp-pool-');
    const { failingWorker } = await import('../../helpers/worker-fixture.js');
    const { logger, lines } = said();
    const pool = await createPool({ size: 1, workerUrl: failingWorker(dir, 'fails.mjs'), logger });
    expect(pool.size).toBe(0);
    expect(lines.join('')).toContain('a classification worker did not start (exit 2)');
    expect(idsOf(await pool.run('classify-raws', batch('f', 1)))).toEqual(['f-0']);
    await pool.close();
  });
});
