import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../../src/core/errors.js';
import type { ExchangeRecord } from '../../../src/core/types.js';
import {
  openSessionLog,
  readSessionLog,
  readSessionLogHeader,
} from '../../../src/sources/session-log.js';
import { makeRecord } from '../../helpers/records.js';
import { tempDir } from '../../helpers/temp.js';

const tmp = tempDir('session-log-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const STARTED = '2025-01-01T00:00:00.000Z';

async function readAll(path: string): Promise<ExchangeRecord[]> {
  const out: ExchangeRecord[] = [];
  for await (const r of readSessionLog(path)) out.push(r);
  return out;
}

async function failure(path: string): Promise<ToolError> {
  try {
    await readAll(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    return err as ToolError;
  }
  throw new Error('expected a failure');
}

describe('session log writer', () => {
  it('writes a header and one line per record, 0600, creating the directory', async () => {
    const path = join(tmp, 'nested/dir/session.ndjson');
    const log = openSessionLog(path, { startedAt: STARTED });
    const records = [makeRecord(), makeRecord({ host: 'login.windows.net', scopes: null })];
    for (const r of records) log.append(r);
    // Nothing is written in the middle of the turn that appended...
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(2);
    // ...and everything is on disk before close, at the end of that turn: a SIGKILL then loses
    // nothing completed before it.
    await new Promise((r) => setImmediate(r));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      type: 'session',
      schemaVersion: 1,
      tool: 'entra-bas-proxy',
      startedAt: STARTED,
    });
    log.close();
    log.close();
    expect(log.written).toBe(2);
    expect(log.error).toBeNull();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await readAll(path)).toEqual(records);
    expect(await readSessionLogHeader(path)).toEqual({ startedAt: STARTED });
  });

  it('never throws from append: errors become a flag', () => {
    const path = join(tmp, 'flag.ndjson');
    const log = openSessionLog(path, { startedAt: STARTED });
    const circular = makeRecord() as ExchangeRecord & { self?: unknown };
    circular.self = circular;
    expect(() => log.append(circular)).not.toThrow();
    expect(log.error?.code).toBe('ERR_INTERNAL');
    expect(() => log.append(makeRecord())).not.toThrow();
    log.close();
    expect(() => log.append(makeRecord())).not.toThrow();
  });

  it('throws ERR_IO at open when the file cannot be created', () => {
    const blocker = join(tmp, 'blocker');
    writeFileSync(blocker, 'x');
    expect(() =>
      openSessionLog(join(blocker, 'sub/session.ndjson'), { startedAt: STARTED }),
    ).toThrow(expect.objectContaining({ code: 'ERR_IO' }));
  });
});

describe('session log reader', () => {
  it('drops a torn last line (crash mid-write)', async () => {
    const path = join(tmp, 'torn.ndjson');
    const log = openSessionLog(path, { startedAt: STARTED });
    log.append(makeRecord({ id: 'a' }));
    log.append(makeRecord({ id: 'b' }));
    log.close();
    const whole = JSON.stringify(makeRecord({ id: 'c' }));
    appendFileSync(path, whole.slice(0, whole.length / 2));
    const it = readSessionLog(path);
    const ids: string[] = [];
    for await (const r of it) ids.push(r.id);
    expect(ids).toEqual(['a', 'b']);
    expect(it.stats).toEqual({ records: 2, skipped: 0, tornTail: true });
  });

  it('accepts a complete last record without its newline, and CRLF lines', async () => {
    const path = join(tmp, 'crlf.ndjson');
    const header = JSON.stringify({
      type: 'session',
      schemaVersion: 1,
      tool: 'entra-bas-proxy',
      startedAt: STARTED,
    });
    writeFileSync(
      path,
      `${header}\r\n${JSON.stringify(makeRecord({ id: 'x' }))}\r\n${JSON.stringify(makeRecord({ id: 'y' }))}`,
    );
    expect((await readAll(path)).map((r) => r.id)).toEqual(['x', 'y']);
  });

  it('skips and counts garbage lines in the middle, ignores typed lines', async () => {
    const path = join(tmp, 'garbage-middle.ndjson');
    const log = openSessionLog(path, { startedAt: STARTED });
    log.append(makeRecord({ id: 'a' }));
    log.close();
    appendFileSync(path, 'garbage\n{"not":"a record"}\n{"type":"footer","n":1}\n\n');
    appendFileSync(path, JSON.stringify(makeRecord({ id: 'b' })) + '\n');
    const skipped: number[] = [];
    const it = readSessionLog(path, { onSkip: (line) => skipped.push(line) });
    const ids: string[] = [];
    for await (const r of it) ids.push(r.id);
    expect(ids).toEqual(['a', 'b']);
    expect(skipped).toEqual([3, 4]);
    expect(it.stats).toMatchObject({ records: 2, skipped: 2, tornTail: false });
  });

  it.each([
    ['empty.ndjson', '', 'empty.ndjson: empty file, not a session log'],
    [
      'har.ndjson',
      '{"log":{"entries":[]}}\n',
      'har.ndjson: not a session log (no entra-bas-proxy session header)',
    ],
    ['text.ndjson', 'hello\nworld\n', 'text.ndjson: not a session log (first line is not JSON)'],
    [
      'array.ndjson',
      '[1,2]\n',
      'array.ndjson: not a session log (first line is not a JSON object)',
    ],
    [
      'newer.ndjson',
      '{"type":"session","schemaVersion":9,"tool":"entra-bas-proxy","startedAt":"x"}\n',
      'newer.ndjson: not a session log (schemaVersion 9 is newer than this tool supports (1))',
    ],
    [
      'binary.ndjson',
      Buffer.from([0, 1, 2, 255, 254, 10, 3]).toString('latin1'),
      'binary.ndjson: not a session log (first line is not JSON)',
    ],
  ])('%s -> ERR_SESSION_INVALID', async (name, content, message) => {
    const path = join(tmp, name);
    writeFileSync(path, content);
    const err = await failure(path);
    expect(err.code).toBe('ERR_SESSION_INVALID');
    expect(err.message).toBe(message);
    expect(await readSessionLogHeader(path)).toBeNull();
  });

  it('a huge first line without newline is rejected quickly', { timeout: 5000 }, async () => {
    const path = join(tmp, 'huge.ndjson');
    writeFileSync(path, 'x'.repeat(8 * 1024 * 1024));
    expect((await failure(path)).code).toBe('ERR_SESSION_INVALID');
  });

  it('a missing file -> ERR_INPUT', async () => {
    expect((await failure(join(tmp, 'missing.ndjson'))).code).toBe('ERR_INPUT');
    await expect(readSessionLogHeader(join(tmp, 'missing.ndjson'))).rejects.toMatchObject({
      code: 'ERR_INPUT',
    });
  });

  it(
    'round-trips a large session with multi-byte text across chunk boundaries',
    { timeout: 60000 },
    async () => {
      const path = join(tmp, 'large.ndjson');
      const log = openSessionLog(path, { startedAt: STARTED });
      const n = 50_000;
      for (let i = 0; i < n; i++) {
        log.append(
          makeRecord({ id: `r${i}`, tenant: i % 7 === 0 ? 'contosö-ünïcode-€-𝄞' : 'common' }),
        );
      }
      log.close();
      expect(log.written).toBe(n);
      let count = 0;
      let odd = 0;
      for await (const r of readSessionLog(path)) {
        if (r.id !== `r${count}`) throw new Error(`out of order at ${count}: ${r.id}`);
        if (r.tenant === 'contosö-ünïcode-€-𝄞') odd++;
        count++;
      }
      expect(count).toBe(n);
      expect(odd).toBe(Math.ceil(n / 7));
    },
  );
});
