/**
 * `npm run bench:record -- [DIR_A] [DIR_B] [rounds]` (or `node dist/tools/bench/record-cost.js`):
 * what recording costs the thread that owns a live session (the proxy's), in CPU µs per record.
 * Batches of 32 intercepted token POSTs (the A/B load's exchange, bench:ab) are classified by the
 * `classify-raws` task up front; then, per batch, the measured part is what the proxy's thread
 * does with the pool's answer: take the message (a structured clone, as postMessage makes) and
 * record it (RecordStep.recordBatch: fold, session log, recent list, no listener).
 *
 * DIR_A/DIR_B (default: this checkout) are checkouts with their own dist/ whose tasks.js and
 * record-step.js are loaded (builds since the redesign, which have the classify-raws task): two
 * builds are measured in alternating rounds, with the median µs per record of each and the ratio
 * A/B. CPU time of this process (one thread), so fairly steady on a loaded machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type * as RecordStepModule from '../../src/session/record-step.js';
import type * as RawBatchModule from '../../src/session/raw-batch.js';
import type * as TasksModule from '../../src/session/tasks.js';
import type * as SessionLogModule from '../../src/sources/session-log.js';
import type { RawExchange } from '../../src/core/types.js';
import {
  median,
  TOKEN_PATH,
  TOKEN_REQUEST_BODY,
  TOKEN_REQUEST_HEADERS,
  TOKEN_RESPONSE_BODY,
  TOKEN_RESPONSE_HEADERS,
} from './common.js';

const BATCH = 32;
const BATCHES = 100;
const HERE = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

interface Build {
  readonly dir: string;
  readonly step: typeof RecordStepModule;
  readonly log: typeof SessionLogModule;
  /** The pool's answers, as the bytes a postMessage carries. */
  readonly messages: Buffer[];
  readonly samples: number[];
}

function exchange(i: number): RawExchange {
  const body = (text: string) => ({ text, size: Buffer.byteLength(text), truncated: false });
  return {
    id: `rec-${i}`,
    startedAt: new Date(Date.UTC(2026, 0, 1) + i * 10).toISOString(),
    durationMs: 3 + (i % 7),
    scheme: 'https',
    method: 'POST',
    host: 'login.microsoftonline.com',
    port: 443,
    url: TOKEN_PATH,
    requestHeaders: { host: 'login.microsoftonline.com', ...TOKEN_REQUEST_HEADERS },
    requestBody: body(TOKEN_REQUEST_BODY),
    status: 200,
    responseHeaders: { ...TOKEN_RESPONSE_HEADERS },
    responseBody: body(TOKEN_RESPONSE_BODY),
    error: null,
    source: 'proxy',
  };
}

async function load(dir: string): Promise<Build> {
  const mod = async <T>(p: string): Promise<T> =>
    (await import(pathToFileURL(path.join(dir, 'dist/src', p)).href)) as T;
  const tasks = await mod<typeof TasksModule>('session/tasks.js');
  const raw = await mod<typeof RawBatchModule>('session/raw-batch.js');
  const messages: Buffer[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const w = new raw.RawBatchWriter();
    for (let i = 0; i < BATCH; i++) w.write(exchange(b * BATCH + i));
    messages.push(serialize(tasks.classifyRaws(w.take()!)));
  }
  return {
    dir,
    step: await mod<typeof RecordStepModule>('session/record-step.js'),
    log: await mod<typeof SessionLogModule>('sources/session-log.js'),
    messages,
    samples: [],
  };
}

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** One round: every batch recorded into a new step with a session log; CPU µs per record. */
function round(b: Build, tmp: string): number {
  const file = path.join(tmp, 'session.ndjson');
  const step = b.step.createRecordStep({
    log: b.log.openSessionLog(file, { startedAt: new Date().toISOString() }),
  });
  const t0 = cpuUs();
  for (const m of b.messages) step.recordBatch(deserialize(m) as RecordStepModule.ClassifiedBatch);
  const us = cpuUs() - t0;
  step.close();
  rmSync(file, { force: true });
  return us / (BATCHES * BATCH);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rounds = /^\d+$/.test(args.at(-1) ?? '') ? Number(args.pop()) : 15;
  const dirs = args.length > 0 ? args.map((d) => path.resolve(d)) : [HERE];
  const builds: Build[] = [];
  for (const d of dirs) builds.push(await load(d));
  const tmp = mkdtempSync(path.join(tmpdir(), 'entra-bas-record-'));
  try {
    for (const b of builds) round(b, tmp); // warm-up
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const b of order) b.samples.push(round(b, tmp));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const b of builds) {
    process.stdout.write(
      `${b.dir.padEnd(28)} recording thread: ${median(b.samples).toFixed(1)} us CPU per record ` +
        `(median of ${rounds} rounds of ${BATCHES * BATCH})\n`,
    );
  }
  const [a, b] = builds;
  if (a && b) {
    const ratios = a.samples.map((x, i) => x / b.samples[i]!);
    process.stdout.write(
      `A/B per record, median of ${rounds} rounds: ${median(ratios).toFixed(3)}x\n`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`record-cost: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
