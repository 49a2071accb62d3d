/**
 * Reports rendered in a worker thread (src/session/render-thread.ts with the built
 * dist/session/render-worker.js; `npm test` builds first): the same bytes as a render in this
 * thread, for every format; only the part of the log before `end`; a reader that stops ends the
 * worker; a log that cannot be read ends the iteration with a one-line error.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReportFormat } from '../../../src/report/formats.js';
import { renderToString } from '../../../src/report/writer.js';
import { renderInWorker } from '../../../src/session/render-thread.js';
import { openSessionLog, readSessionLog } from '../../../src/sources/session-log.js';
import { sampleInput, sampleRecords } from '../../helpers/report-fixtures.js';
import { tempDir } from '../../helpers/temp.js';

const WORKER = new URL('../../../dist/src/session/render-worker.js', import.meta.url);

let dir: string;
beforeEach(() => {
  dir = tempDir('ebp-render-thread-');
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

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

describe.runIf(existsSync(WORKER))('renderInWorker', () => {
  it.each(['json', 'md', 'html', 'xml', 'har'] as ReportFormat[])(
    'renders %s exactly as this thread does',
    async (format) => {
      const logPath = writeLog(30);
      const { head } = sampleInput();
      const here = await renderToString(format, {
        head,
        exchanges: () => readSessionLog(logPath),
      });
      const there = await collect(
        renderInWorker({ format, head, logPath, end: null }, { workerUrl: WORKER }),
      );
      expect(there).toBe(here);
    },
  );

  it('reads the log only up to `end`', async () => {
    const logPath = writeLog(1);
    const end = statSync(logPath).size;
    // More records after the offset: not in the report.
    const more = openSessionLog(logPath, { startedAt: 'x', reopen: true });
    for (const r of sampleRecords()) more.append({ ...r, id: `late-${r.id}` });
    more.close();
    const { head } = sampleInput();
    const json = await collect(
      renderInWorker({ format: 'json', head, logPath, end }, { workerUrl: WORKER }),
    );
    const report = JSON.parse(json) as { exchanges: { id: string }[] };
    expect(report.exchanges.length).toBe(sampleRecords().length);
    expect(json).not.toContain('late-');
  });

  it('stops the worker when the reader stops', async () => {
    const logPath = writeLog(400);
    const { head } = sampleInput();
    const it = renderInWorker({ format: 'json', head, logPath, end: null }, { workerUrl: WORKER });
    const first = await it.next();
    expect(first.done).toBe(false);
    // return() ends the worker (awaited in the generator's finally) and the iteration.
    await it.return(undefined);
    expect((await it.next()).done).toBe(true);
  });

  it('ends with a one-line error when the log cannot be read', async () => {
    const { head } = sampleInput();
    const chunks = renderInWorker(
      { format: 'json', head, logPath: join(dir, 'missing.ndjson'), end: null },
      { workerUrl: WORKER },
    );
    await expect(collect(chunks)).rejects.toMatchObject({
      code: 'ERR_INTERNAL',
      message: expect.stringMatching(/^report render failed: .*missing\.ndjson[^\n]*$/),
    });
  });
});
