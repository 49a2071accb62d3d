/** The worker's latest records, read back from the session log by offset (or kept, without one). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecentLines } from '../../../src/session/recent-lines.js';
import { openSessionLog } from '../../../src/sources/session-log.js';
import { tempDir } from '../../helpers/temp.js';

const line = (i: number): string =>
  JSON.stringify({ id: `r-${i}`, note: i % 3 === 0 ? 'non-ASCII: é ü 漢' : 'plain' });

describe('RecentLines', () => {
  it('reads the latest lines back from the log, by id and in order, across trims', () => {
    const dir = tempDir('ebp-recent-');
    const log = openSessionLog(join(dir, 's.ndjson'), { startedAt: '2026-01-01T00:00:00Z' });
    const recent = new RecentLines(log, 10);
    for (let i = 0; i < 35; i++) {
      recent.note(`r-${i}`, log.appendLine(line(i)), line(i));
      // written in batches, as the worker does; lines still pending are read too
      if (i % 7 === 6) log.flush();
    }
    expect(recent.get('r-34')).toBe(line(34));
    expect(recent.get('r-27')).toBe(line(27));
    expect(recent.get('r-3')).toBeUndefined(); // trimmed away
    expect(recent.last(3)).toEqual([line(32), line(33), line(34)]);
    expect(recent.last(100)).toHaveLength(10);
    expect(recent.last(100).at(0)).toBe(line(25));
    log.close();
  });

  it('keeps every line itself without a log', () => {
    const recent = new RecentLines(null, 10);
    for (let i = 0; i < 30; i++) recent.note(`r-${i}`, -1, line(i));
    expect(recent.get('r-0')).toBe(line(0));
    expect(recent.last(2)).toEqual([line(28), line(29)]);
    expect(recent.last(1000)).toHaveLength(30);
  });
});
