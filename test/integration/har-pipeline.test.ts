/**
 * `classify`'s engine, with its pool's workers loaded from the TS sources (as from dist/): the same
 * session log, aggregates and reports whatever the number of worker threads, and the same as the
 * plain path (readHar + classify in this thread, reports rendered record by record from the log).
 * A worker that dies or never starts costs nothing but time; garbage leaves no temporary file.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyExchange } from '../../src/classifiers/index.js';
import { classifyFiles } from '../../src/session/classify-files.js';
import { createRecordStep } from '../../src/session/record-step.js';
import { reportInput, writeSessionReports } from '../../src/session/finish.js';
import { readHar } from '../../src/sources/har.js';
import { openSessionLog } from '../../src/sources/session-log.js';
import { writeReports } from '../../src/report/writer.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { writeSyntheticHar, syntheticKeptCount } from '../helpers/har-gen.js';
import { failingWorker, wrappedWorker } from '../helpers/worker-fixture.js';
import { tempDir } from '../helpers/temp.js';

/** The offline path with HAR files only, its log at `sessionLogPath`. */
async function classifyHarFiles(o: {
  files: string[];
  sessionLogPath: string;
  workers: number;
  logger?: Logger;
  workerUrl?: URL;
}) {
  const { sessionLogPath, ...rest } = o;
  return (await classifyFiles({ ...rest, keep: { log: sessionLogPath }, format: 'har' })).recorded;
}

const N = 1500;
let dir: string;
let har: string;

beforeAll(async () => {
  dir = tempDir('ebp-pipeline-');
  har = join(dir, 'in.har');
  await writeSyntheticHar(har, N);
});

/** Report text without the wall-clock fields, which differ between two runs. */
const stable = (text: string): string =>
  text
    .replace(/"(startedAt|endedAt)": "[^"]*"/g, '"$1": "-"')
    .replace(/<time>[^<]*<\/time>/g, '<time>-</time>')
    .replace(/on \d{4}-\d\d-\d\dT[\d:.]+Z\./g, 'on -.');

const logLines = (path: string): string[] => readFileSync(path, 'utf8').trim().split('\n').slice(1);

/** A logger that keeps its lines, for what the pipeline says about its workers. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const dest = { write: (s: string) => void lines.push(s) };
  return { logger: createLogger({ level: 'warn', dest }), lines };
}

async function viaPipeline(name: string, workers: number, workerUrl?: URL) {
  const out = join(dir, name);
  mkdirSync(out);
  const log = join(out, 's.ndjson');
  const said = capture();
  const rec = await classifyHarFiles({
    files: [har],
    sessionLogPath: log,
    workers,
    logger: said.logger,
    ...(workerUrl ? { workerUrl } : {}),
  });
  try {
    await writeSessionReports(
      rec,
      [{ kind: 'har', name: har }],
      [join(out, 'r.json'), join(out, 'r.html')],
    );
  } finally {
    rec.dispose();
  }
  return {
    rec,
    lines: logLines(log),
    json: stable(readFileSync(join(out, 'r.json'), 'utf8')),
    html: stable(readFileSync(join(out, 'r.html'), 'utf8')),
    files: readdirSync(out).sort(),
    said: said.lines.join(''),
  };
}

/** The plain path: records classified in this thread; reports rendered from the log's records. */
async function viaPlainPath() {
  const out = join(dir, 'plain');
  mkdirSync(out);
  const log = join(out, 's.ndjson');
  const startedAt = new Date().toISOString();
  const step = createRecordStep({ log: openSessionLog(log, { startedAt }) });
  for await (const raw of readHar(har)) step.record(classifyExchange(raw));
  step.close();
  const rec = {
    session: step.session,
    startedAt,
    sessionLogPath: log,
    aggregates: () => Promise.resolve(step.aggregates()),
    recent: (n: number) => Promise.resolve(step.recent(n)),
    settle: () => Promise.resolve(),
  };
  const input = await reportInput(rec, [{ kind: 'har', name: har }]);
  expect(input.bodies).toBeUndefined();
  await writeReports(input, [join(out, 'r.json'), join(out, 'r.html')]);
  return {
    rec,
    lines: logLines(log),
    json: stable(readFileSync(join(out, 'r.json'), 'utf8')),
    html: stable(readFileSync(join(out, 'r.html'), 'utf8')),
  };
}

describe('classifyFiles of HAR files', () => {
  it('gives the plain path’s log and reports, with 0, 1 and 3 workers', async () => {
    const plain = await viaPlainPath();
    expect(plain.lines).toHaveLength(syntheticKeptCount(N));
    for (const workers of [0, 1, 3]) {
      const p = await viaPipeline(`w${workers}`, workers);
      expect(p.lines).toEqual(plain.lines);
      expect(p.rec.stats).toEqual({ entries: N, kept: plain.lines.length, skipped: 0 });
      expect(p.rec.session.summary()).toEqual(plain.rec.session.summary());
      expect(p.rec.session.applications()).toEqual(plain.rec.session.applications());
      expect(p.json).toBe(plain.json);
      expect(p.html).toBe(plain.html);
      // the rows spool is gone once the reports are written
      expect(p.files).toEqual(['r.html', 'r.json', 's.ndjson']);
      expect(p.said).toBe('');
    }
  });

  it('redoes the batches of a worker that dies, and runs without workers that never start', async () => {
    const plain = logLines(join(dir, 'plain', 's.ndjson'));
    // Answers its first batch, then exits in the middle of the second.
    const dying = wrappedWorker(
      dir,
      'dying-worker.mjs',
      `let seen = 0;
parentPort.on('message', (m) => { if (m.task === 'classify-entries' && ++seen === 2) process.exit(7); });`,
    );
    const died = await viaPipeline('dying', 2, dying);
    expect(died.lines).toEqual(plain);
    expect(died.said).toContain('classification worker stopped (exit 7)');
    const none = await viaPipeline('failing', 2, failingWorker(dir, 'failing-worker.mjs'));
    expect(none.lines).toEqual(plain);
    expect(none.said).toContain('a classification worker did not start');
  });

  it('fails with ERR_HAR_INVALID on garbage and leaves no temporary file behind', async () => {
    const out = join(dir, 'garbage');
    mkdirSync(out);
    const bad = join(out, 'bad.har');
    const good = readFileSync(har, 'utf8');
    writeFileSync(bad, good.slice(0, Math.floor(good.length / 2)));
    await expect(
      classifyHarFiles({ files: [bad], sessionLogPath: join(out, 's.ndjson'), workers: 2 }),
    ).rejects.toMatchObject({ code: 'ERR_HAR_INVALID' });
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('numbers the exchange ids of several files that share a basename', async () => {
    const out = join(dir, 'two');
    mkdirSync(join(out, 'a'), { recursive: true });
    mkdirSync(join(out, 'b'));
    const small = join(dir, 'small.har');
    await writeSyntheticHar(small, 40);
    writeFileSync(join(out, 'a', 'x.har'), readFileSync(small));
    writeFileSync(join(out, 'b', 'x.har'), readFileSync(small));
    const rec = await classifyHarFiles({
      files: [join(out, 'a', 'x.har'), join(out, 'b', 'x.har')],
      sessionLogPath: join(out, 's.ndjson'),
      workers: 2,
    });
    rec.dispose();
    const ids = logLines(join(out, 's.ndjson')).map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids).toHaveLength(2 * syntheticKeptCount(40));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^har1-x\.har-\d+$/);
    expect(ids.at(-1)).toMatch(/^har2-x\.har-\d+$/);
  });
});
