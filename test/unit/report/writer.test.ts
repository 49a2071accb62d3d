import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToolError } from '../../../src/core/errors.js';
import type { ExchangeRecord } from '../../../src/core/types.js';
import { buildReportHead, type ReportInput } from '../../../src/report/build.js';
import { createSession } from '../../../src/classifiers/session.js';
import { formatOf, renderReport } from '../../../src/report/formats.js';
import { renderToString, writeReports } from '../../../src/report/writer.js';
import { resetIds, sampleInput } from '../../helpers/report-fixtures.js';

let dir: string;
beforeEach(async () => {
  resetIds();
  dir = await mkdtemp(join(tmpdir(), 'ebp-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('formatOf', () => {
  it.each([
    ['report.json', 'json'],
    ['out/summary.md', 'md'],
    ['REPORT.HTML', 'html'],
    ['junit.xml', 'xml'],
    ['capture.har', 'har'],
  ] as const)('%s -> %s', (file, format) => {
    expect(formatOf(file)).toBe(format);
  });

  it('rejects an unknown extension with a usage error', () => {
    expect(() => formatOf('report.pdf')).toThrow(ToolError);
    try {
      formatOf('report.pdf');
    } catch (err) {
      expect((err as ToolError).code).toBe('ERR_USAGE');
      expect((err as ToolError).message).toContain('report.pdf');
    }
  });
});

describe('writeReports', () => {
  it('writes every format, creating parent directories, mode 0644, no temp files left', async () => {
    const input = sampleInput();
    const files = ['r.json', 'r.md', 'r.html', 'junit/r.xml', 'deep/er/r.har'].map((f) =>
      join(dir, f),
    );
    await writeReports(input, files);
    for (const f of files) {
      const st = await stat(f);
      expect(st.mode & 0o777).toBe(0o644);
      const text = await readFile(f, 'utf8');
      expect(text).toBe(await renderToString(formatOf(f), input));
    }
    const names = [
      ...(await readdir(dir)),
      ...(await readdir(join(dir, 'junit'))),
      ...(await readdir(join(dir, 'deep/er'))),
    ];
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces an existing report atomically', async () => {
    const file = join(dir, 'r.json');
    await writeFile(file, 'old');
    await writeReports(sampleInput(), [file]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveProperty('schemaVersion', 1);
  });

  it('leaves the old file and no temp file when the exchange source fails mid-way', async () => {
    const file = join(dir, 'r.json');
    await writeFile(file, 'old');
    const good = sampleInput();
    const failing: ReportInput = {
      head: good.head,
      exchanges: async function* () {
        let n = 0;
        for await (const r of good.exchanges()) {
          if (++n > 3) throw new ToolError('ERR_SESSION_INVALID', 'session log line 4 is garbage');
          yield r;
        }
      },
    };
    await expect(writeReports(failing, [file])).rejects.toMatchObject({
      code: 'ERR_SESSION_INVALID',
    });
    expect(await readFile(file, 'utf8')).toBe('old');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('turns file-system failures into ERR_IO with the path', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const file = join(blocker, 'r.json');
    const err = await writeReports(sampleInput(), [file]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).code).toBe('ERR_IO');
    expect((err as ToolError).message).toContain(file);
    expect((err as ToolError).message).not.toContain('\n');
  });

  it('checks every extension before writing anything', async () => {
    const ok = join(dir, 'r.json');
    await expect(writeReports(sampleInput(), [ok, join(dir, 'r.pdf')])).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('streams large reports to disk with backpressure', async () => {
    const head = sampleInput().head;
    const base = (await collect(sampleInput()))[0];
    if (!base) throw new Error('fixture');
    const n = 20_000;
    const input: ReportInput = {
      head,
      exchanges: async function* () {
        for (let i = 0; i < n; i++) yield { ...base, id: `ex-${i}` };
      },
    };
    const file = join(dir, 'big.har');
    await writeReports(input, [file]);
    const har = JSON.parse(await readFile(file, 'utf8')) as { log: { entries: unknown[] } };
    expect(har.log.entries).toHaveLength(n);
  });

  it('exposes the renderer stream for a format', async () => {
    let chunks = 0;
    for await (const _ of renderReport('json', sampleInput())) chunks += 1;
    expect(chunks).toBeGreaterThan(2);
  });
});

async function collect(input: ReportInput): Promise<ExchangeRecord[]> {
  const out: ExchangeRecord[] = [];
  for await (const r of input.exchanges()) out.push(r);
  return out;
}

describe('writeReports: one pass over the exchanges for several files', () => {
  function counted(
    input: ReportInput,
    fail?: number,
  ): { input: ReportInput; passes: () => number } {
    let passes = 0;
    return {
      passes: () => passes,
      input: {
        head: input.head,
        exchanges: () => {
          passes++;
          const source = input.exchanges();
          return (async function* () {
            let i = 0;
            for await (const r of source) {
              if (fail !== undefined && i++ === fail)
                throw new ToolError('ERR_SESSION_INVALID', 'broken log');
              yield r;
            }
          })();
        },
      },
    };
  }

  it('reads the exchanges once for json, md, html, xml and har, and every file is complete', async () => {
    // A head built by a real session carries the per-application counts the HTML chart needs.
    const records: ExchangeRecord[] = [];
    for await (const r of sampleInput().exchanges()) records.push(r);
    const session = createSession();
    for (const r of records) session.add(r);
    const base: ReportInput = {
      head: buildReportHead({
        applications: session.applications(),
        summary: session.summary(),
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:01:00.000Z',
        sources: [],
        version: 'test',
      }),
      exchanges: async function* () {
        yield* records;
      },
    };
    const { input, passes } = counted(base);
    const files = ['json', 'md', 'html', 'xml', 'har'].map((e) => join(dir, `r.${e}`));
    await writeReports(input, files);
    expect(passes()).toBe(1);
    const all: ExchangeRecord[] = [];
    for await (const r of base.exchanges()) all.push(r);
    const json = JSON.parse(await readFile(files[0]!, 'utf8')) as { exchanges: unknown[] };
    expect(json.exchanges).toHaveLength(all.length);
    const har = JSON.parse(await readFile(files[4]!, 'utf8')) as { log: { entries: unknown[] } };
    expect(har.log.entries).toHaveLength(all.length);
    expect(await renderToString('html', base)).toBe(await readFile(files[2]!, 'utf8'));
  });

  it('a source that fails half-way fails the write, for every file, without hanging', async () => {
    const { input } = counted(sampleInput(), 1);
    const files = ['json', 'html', 'xml'].map((e) => join(dir, `f.${e}`));
    await expect(writeReports(input, files)).rejects.toThrow(/broken log/);
    expect(
      (await readdir(dir)).filter((f) => f.startsWith('f.json') || f.startsWith('f.html')),
    ).toEqual([]);
  });
});
