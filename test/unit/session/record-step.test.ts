/**
 * The one recording step (src/session/record-step.ts): fold, session log, recent records, log
 * line, sinks, listeners, in that order; the batch form writes the same log as one record at a
 * time; notes go where they are given; a failing listener stops nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import { EMPTY_EVIDENCE, type ExchangeRecord } from '../../../src/core/types.js';
import { tlsRejectionLine } from '../../../src/core/tls-rejections.js';
import { RawBatchWriter } from '../../../src/session/raw-batch.js';
import { createRecordStep, type RecordSink } from '../../../src/session/record-step.js';
import { classifyRaws } from '../../../src/session/tasks.js';
import { openSessionLog, recordParts, type RecordParts } from '../../../src/sources/session-log.js';
import { makeRawExchange } from '../../helpers/raw-exchange.js';
import { tempDir } from '../../helpers/temp.js';

const raws = Array.from({ length: 6 }, (_, i) =>
  makeRawExchange({
    id: `s-${i}`,
    // non-ASCII in the evidence: byte offsets, not characters
    form: {
      grant_type: 'password',
      client_id: 'c1',
      username: `jürgen${i}@contoso.example`,
      password: `PW-${i}`,
    },
  }),
);
const records = raws.map((r) => classifyExchange(r));
const NOTE = tlsRejectionLine(
  { host: 'login.microsoftonline.com', error: 'closed-during-handshake', client: 'node' },
  1,
  '2026-12-06T00:00:00.000Z',
);

function batchOf(from: number, to: number) {
  const w = new RawBatchWriter();
  for (const r of raws.slice(from, to)) w.write(r);
  return classifyRaws(w.take()!);
}

const body = (path: string): string[] => readFileSync(path, 'utf8').trim().split('\n').slice(1);

describe('createRecordStep', () => {
  it('runs fold -> log -> log line -> sinks -> listeners, per record, in order', () => {
    const dir = tempDir('ebp-step-');
    const path = join(dir, 's.ndjson');
    const log = openSessionLog(path, { startedAt: 'x' });
    const events: string[] = [];
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const step = createRecordStep({
      log,
      logger,
      sinks: [
        {
          add: (r, p) => {
            // the aggregates and the log already have it, and the log line was said
            events.push(
              `sink ${r.id} folded=${step.count()} written=${log.written} said=${lines.length}`,
            );
            expect(JSON.parse(p.evidence)).toEqual(records.find((x) => x.id === r.id)?.evidence);
          },
        },
      ],
    });
    step.subscribe((r) => events.push(`listener ${r.id}`));
    step.record(records[0]!);
    step.record(records[1]!, recordParts(records[1]!));
    expect(events).toEqual([
      'sink s-0 folded=1 written=1 said=1',
      'listener s-0',
      'sink s-1 folded=2 written=2 said=2',
      'listener s-1',
    ]);
    expect(step.aggregates().summary.exchanges).toBe(2);
    step.close();
    expect(body(path)).toEqual(records.slice(0, 2).map((r) => JSON.stringify(r)));
    expect(readFileSync(path, 'utf8')).not.toContain('PW-0');
  });

  it('recordBatch writes the same log as record, and gives sinks the same parts', () => {
    const dir = tempDir('ebp-step-');
    const one = join(dir, 'one.ndjson');
    const two = join(dir, 'two.ndjson');
    const partsOne: RecordParts[] = [];
    const partsTwo: RecordParts[] = [];
    const sink = (into: RecordParts[]): RecordSink => ({ add: (_r, p) => void into.push(p) });
    const a = createRecordStep({
      log: openSessionLog(one, { startedAt: 'x' }),
      sinks: [sink(partsOne)],
    });
    for (const r of records) a.record(r, recordParts(r));
    const b = createRecordStep({
      log: openSessionLog(two, { startedAt: 'x' }),
      sinks: [sink(partsTwo)],
    });
    const heard: ExchangeRecord[] = [];
    b.subscribe((r) => heard.push(r));
    const first = batchOf(0, 4);
    b.recordBatch(first, 0, 1);
    b.recordBatch(first, 1);
    b.recordBatch(batchOf(4, 6));
    a.close();
    b.close();
    expect(body(two)).toEqual(body(one));
    expect(partsTwo).toEqual(partsOne);
    expect(b.session.summary()).toEqual(a.session.summary());
    expect(b.session.applications()).toEqual(a.session.applications());
    // listeners get records without their evidence; lookup reads it back from the log
    expect(heard.map((r) => r.id)).toEqual(records.map((r) => r.id));
    expect(heard[0]?.evidence).toEqual(EMPTY_EVIDENCE);
    expect(b.lookup('s-3')).toEqual(records[3]);
    expect(b.recent(2)).toEqual(records.slice(4));
  });

  it('recordBatch of varied records (distinct heads, shared heads) folds and says what record does', () => {
    const dir = tempDir('ebp-step-');
    const token = (id: string, form: Record<string, string>, extra = {}) =>
      makeRawExchange({ id, form, ...extra });
    const mixed = [
      token('m-0', { grant_type: 'refresh_token', client_id: 'a1', scope: 'User.Read openid' }),
      token('m-1', { grant_type: 'refresh_token', client_id: 'a1', scope: 'User.Read openid' }),
      token('m-2', { grant_type: 'refresh_token', client_id: 'a1', scope: 'Mail.Read openid' }),
      token('m-3', { grant_type: 'client_credentials', client_id: 'a2', client_secret: 'S-3' }),
      token(
        'm-4',
        { grant_type: 'authorization_code', client_id: 'a3', code: 'c' },
        {
          host: 'login.windows.net',
          status: 400,
          responseJson: { error: 'invalid_grant', error_description: 'AADSTS70008: expired' },
        },
      ),
      makeRawExchange({
        id: 'm-5',
        method: 'GET',
        url: '/oidc/userinfo',
        host: 'graph.microsoft.com',
      }),
      token('m-6', { grant_type: 'refresh_token', client_id: 'a1', scope: 'User.Read openid' }),
      makeRawExchange({
        id: 'm-7',
        method: 'GET',
        host: '169.254.169.254',
        scheme: 'http',
        url: '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net',
        requestHeaders: { metadata: 'true' },
        status: null,
        error: { code: 'upstream-reset', message: 'socket hang up' },
      }),
    ];
    const said = (): { logger: Logger; lines: string[] } => {
      const lines: string[] = [];
      const logger = pino(
        { level: 'info', base: null, timestamp: false },
        {
          write: (l: string) => void lines.push(l),
        },
      );
      return { logger, lines };
    };
    const one = { path: join(dir, 'one.ndjson'), ...said() };
    const two = { path: join(dir, 'two.ndjson'), ...said() };
    const a = createRecordStep({
      log: openSessionLog(one.path, { startedAt: 'x' }),
      logger: one.logger,
    });
    const b = createRecordStep({
      log: openSessionLog(two.path, { startedAt: 'x' }),
      logger: two.logger,
    });
    const want = mixed.map((r) => classifyExchange(r));
    for (const r of want) a.record(r);
    const w = new RawBatchWriter();
    for (const r of mixed) w.write(r);
    const batch = classifyRaws(w.take()!);
    // records that differ only in what the step does not read share one head
    expect(batch.heads.length).toBeLessThan(mixed.length);
    expect(batch.headOf[6]).toBe(batch.headOf[0]);
    expect(new Set(batch.headOf).size).toBe(batch.heads.length);
    b.recordBatch(batch, 0, 3);
    const heard: ExchangeRecord[] = [];
    b.subscribe((r) => heard.push(r));
    b.recordBatch(batch, 3);
    a.close();
    b.close();
    expect(body(two.path)).toEqual(body(one.path));
    expect(b.aggregates()).toEqual(a.aggregates());
    expect(two.lines).toEqual(one.lines);
    expect(one.lines).toHaveLength(mixed.length);
    expect(heard).toEqual(want.slice(3).map((r) => ({ ...r, evidence: EMPTY_EVIDENCE })));
    expect(b.lookup('m-4')).toEqual(want[4]);
  });

  it('without a session log keeps every line for recent and lookup', () => {
    const step = createRecordStep({ log: null });
    step.recordBatch(batchOf(0, 3));
    step.record(records[3]!);
    expect(step.count()).toBe(4);
    expect(step.recent(100)).toEqual(records.slice(0, 4));
    expect(step.lookup('s-1')).toEqual(records[1]);
    expect(step.lookup('nope')).toBeUndefined();
    step.note(NOTE); // nowhere to go: no crash
  });

  it('keeps only the latest keepRecent records findable with a log', () => {
    const dir = tempDir('ebp-step-');
    const step = createRecordStep({
      log: openSessionLog(join(dir, 's.ndjson'), { startedAt: 'x' }),
      keepRecent: 2,
    });
    for (const r of records) step.record(r);
    expect(step.recent(10).map((r) => r.id)).toEqual(['s-4', 's-5']);
    expect(step.lookup('s-0')).toBeUndefined();
    step.close();
  });

  it('writes notes between the records; after close, records are folded, not logged', () => {
    const dir = tempDir('ebp-step-');
    const path = join(dir, 's.ndjson');
    const step = createRecordStep({ log: openSessionLog(path, { startedAt: 'x' }) });
    step.record(records[0]!);
    step.note(NOTE);
    step.recordBatch(batchOf(1, 2));
    step.close();
    step.close();
    step.record(records[2]!);
    step.note(NOTE);
    expect(body(path)).toEqual([JSON.stringify(records[0]), NOTE, JSON.stringify(records[1])]);
    expect(step.count()).toBe(3);
    expect(step.aggregates().summary.exchanges).toBe(3);
    expect(step.recent(1)).toEqual([records[2]]);
  });

  it('a listener that throws stops neither the others nor the recording', () => {
    const step = createRecordStep({ log: null });
    const heard: string[] = [];
    step.subscribe(() => {
      throw new Error('boom');
    });
    const stop = step.subscribe((r) => heard.push(r.id));
    step.record(records[0]!);
    stop();
    step.record(records[1]!);
    expect(heard).toEqual(['s-0']);
    expect(step.count()).toBe(2);
    expect(step.aggregates().summary.exchanges).toBe(2);
  });
});
