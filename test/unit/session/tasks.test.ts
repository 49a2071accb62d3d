/** The task registry (src/session/tasks.ts): the tasks the pool runs, pure, run in this thread. */
import { describe, expect, it } from 'vitest';
import { classifyExchange } from '../../../src/classifiers/index.js';
import { headText } from '../../../src/session/record-step.js';
import { harEntryToRaw } from '../../../src/sources/har.js';
import { recordParts } from '../../../src/sources/session-log.js';
import { TASKS, runTask } from '../../../src/session/tasks.js';
import { RawBatchWriter } from '../../../src/session/raw-batch.js';
import { makeRawExchange } from '../../helpers/raw-exchange.js';

describe('TASKS', () => {
  it('lists the tasks by name', () => {
    expect(Object.keys(TASKS).sort()).toEqual([
      'classify-entries',
      'classify-raws',
      'signin-chunk',
    ]);
  });

  it('classify-raws: the log lines are JSON.stringify of each record, UTF-8, with their layout', () => {
    const raws = [
      makeRawExchange({
        id: 'r-0',
        form: { grant_type: 'password', username: 'jürgen@contoso.example', password: 'x' },
      }),
      makeRawExchange({ id: 'r-1' }),
    ];
    const w = new RawBatchWriter();
    for (const r of raws) w.write(r);
    const out = runTask('classify-raws', w.take()!);
    const records = raws.map((r) => classifyExchange(r));
    const lines = records.map((r) => JSON.stringify(r) + '\n');
    expect(Buffer.from(out.lines).toString('utf8')).toBe(lines.join(''));
    expect(out.lineBytes).toEqual(lines.map((l) => Buffer.byteLength(l)));
    expect(out.evidenceBytes).toEqual(
      records.map((r) => Buffer.byteLength(JSON.stringify(r.evidence))),
    );
    // what the recording step reads of each record: its id, and its head's text once per batch
    expect(out.ids).toEqual(['r-0', 'r-1']);
    expect(out.headOf.map((k) => out.heads[k])).toEqual(records.map((r) => headText(r)));
    expect(new Set(out.heads).size).toBe(out.heads.length);
    // the same input, the same output: pure
    const again = new RawBatchWriter();
    for (const r of raws) again.write(r);
    expect(runTask('classify-raws', again.take()!)).toEqual(out);
  });

  it('classify-entries: classified, skipped or filtered, per entry', () => {
    const entry = JSON.stringify({
      startedDateTime: '2025-01-01T00:00:00.000Z',
      time: 5,
      request: {
        method: 'GET',
        url: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
        headers: [],
        queryString: [],
      },
      response: { status: 200, headers: [], content: { size: 0, text: '' } },
    });
    const elsewhere = entry.replace('login.microsoftonline.com', 'example.com');
    const out = runTask('classify-entries', {
      idPrefix: 'h',
      first: 7,
      texts: [entry, '{', elsewhere],
    });
    expect(out).toHaveLength(3);
    const first = out[0];
    expect(first && typeof first === 'object' && 'rest' in first).toBe(true);
    expect(JSON.parse((first as { rest: string }).rest).id).toBe('h-7');
    expect(out[1]).toHaveProperty('skip');
    expect(out[2]).toBe(0);
  });

  it('classify-entries: the two texts are the record without its evidence and its evidence, whatever its strings hold', () => {
    // `,"evidence":` in a member before the evidence (the error's message, from the HAR) and in
    // the evidence itself (a form parameter's name): the cut is at the record's own member.
    const tricky = ',"evidence":{"x":1}} \\",\\"evidence\\":';
    const entries = [
      {
        startedDateTime: '2025-01-01T00:00:00.000Z',
        request: {
          method: 'POST',
          url: 'https://login.microsoftonline.com/common/oauth2/v2.0/token?a=%22evidence%22',
          headers: [{ name: 'Content-Type', value: 'application/x-www-form-urlencoded' }],
          postData: {
            text: `grant_type=client_credentials&evidence=${encodeURIComponent(tricky)}`,
          },
        },
        response: { status: 0, _error: tricky, headers: [], content: { size: 0 } },
      },
      {
        startedDateTime: '2025-01-01T00:00:01.000Z',
        request: { method: 'GET', url: 'https://login.microsoftonline.com/x/saml2', headers: [] },
        response: { status: 200, headers: [], content: { size: 0, text: '' } },
      },
    ].map((e) => JSON.stringify(e));
    const out = runTask('classify-entries', { idPrefix: 'h', first: 0, texts: entries });
    const expected = entries.map((text, i) => {
      const c = harEntryToRaw(text, `h-${i}`);
      if (!('raw' in c)) throw new Error('not an exchange');
      // recordParts' definition: the record without its evidence, and its evidence, each as JSON.
      const record = classifyExchange(c.raw);
      return {
        rest: JSON.stringify({ ...record, evidence: undefined }),
        evidence: JSON.stringify(record.evidence),
      };
    });
    expect(out).toEqual(expected);
    expect(JSON.parse((expected[0] as { rest: string }).rest).error.message).toContain(tricky);
  });

  it('recordParts: a record whose evidence is not its last member is cut the same way', () => {
    const record = classifyExchange(makeRawExchange({ id: 'r-2' }));
    const { evidence, ...rest } = record;
    const first = { evidence, ...rest } as typeof record;
    const parts = recordParts(first);
    expect(parts.evidence).toBe(JSON.stringify(evidence));
    expect(parts.rest).toBe(JSON.stringify(rest));
    expect(recordParts(record)).toEqual(parts);
  });
});
