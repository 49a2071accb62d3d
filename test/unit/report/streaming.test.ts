/**
 * 100,000 exchanges through the streamed renderers: they never hold the exchanges (or the output)
 * in memory. The source yields records lazily and the sink only counts. How quickly they finish
 * (per record, against JSON.stringify of the records) is the bench's: BENCH_ONLY=12 npm run bench;
 * here a hang fails by the test's timeout.
 */
import { describe, expect, it } from 'vitest';
import type { ReportInput } from '../../../src/report/build.js';
import { renderReport, type ReportFormat } from '../../../src/report/formats.js';
import { manyRecords, sampleInput } from '../../helpers/report-fixtures.js';

const N = 100_000;

function bigInput(): ReportInput {
  // The head's applications list the sample's ids only; the rest map by client id.
  return { head: sampleInput().head, exchanges: () => manyRecords(N) };
}

async function drain(
  format: ReportFormat,
): Promise<{ chunks: number; bytes: number; peak: number }> {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = 0;
  let chunks = 0;
  let bytes = 0;
  for await (const chunk of renderReport(format, bigInput())) {
    chunks += 1;
    bytes += chunk.length;
    if (chunks % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
  }
  return { chunks, bytes, peak };
}

describe('streamed rendering of 100,000 exchanges', () => {
  it.each(['json', 'har', 'html'] as const)(
    '%s streams in chunks with bounded memory',
    async (format) => {
      const { chunks, bytes, peak } = await drain(format);
      expect(chunks).toBeGreaterThanOrEqual(N);
      // Output is far larger than the heap growth allowed: nothing accumulates.
      expect(bytes).toBeGreaterThan(50 * 1024 * 1024);
      expect(peak).toBeLessThan(bytes / 2);
      expect(peak).toBeLessThan(64 * 1024 * 1024);
    },
    // No hang: ~1 s each on an idle machine, ~13 s on 2 cores at load 25.
    120_000,
  );
});
