import { describe, expect, it } from 'vitest';
import { createPool } from '../../../src/session/pool.js';
import { RawBatchWriter } from '../../../src/session/raw-batch.js';
import { makeRawExchange } from '../../helpers/raw-exchange.js';

describe('pool smoke', () => {
  it('runs classify-raws in a worker loaded from TS', async () => {
    const pool = await createPool({ size: 1 });
    expect(pool.size).toBe(1);
    const w = new RawBatchWriter();
    w.write(makeRawExchange({ id: 'a-1' }));
    const b = w.take()!;
    const out = await pool.run('classify-raws', b);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!.rest).id).toBe('a-1');
    await pool.close();
  });
});
