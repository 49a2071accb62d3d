/**
 * Batches of raw exchanges on their way to the classification worker. Each exchange is serialized
 * the moment it is submitted, into one growing buffer outside the JavaScript heap: the exchange
 * object dies young instead of waiting in a queue for the next batch, which is what made the
 * proxy thread's garbage collector copy (and promote) it. A batch taken is a string (the bytes as
 * latin1): it waits for the worker in the JavaScript heap, which gives its memory back after a
 * collection, where thousands of buffers waiting behind a busy worker left the C heap of the proxy's
 * thread grown for good (measured: bench section 4).
 */
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';
import type { SubmittedExchange } from '../core/captured.js';

export interface RawBatch {
  /** The serialized exchanges, one byte per character. */
  readonly data: string;
  readonly count: number;
}

export class RawBatchWriter {
  #ser: DefaultSerializer | null = null;
  #count = 0;

  /** Exchanges written since the last `take`. */
  get count(): number {
    return this.#count;
  }

  write(raw: SubmittedExchange): void {
    if (this.#ser === null) {
      this.#ser = new DefaultSerializer();
      this.#ser.writeHeader();
    }
    this.#ser.writeValue(raw);
    this.#count++;
  }

  /** The batch so far (null when empty); the writer starts a new one. */
  take(): RawBatch | null {
    if (this.#ser === null) return null;
    const batch = { data: this.#ser.releaseBuffer().toString('latin1'), count: this.#count };
    this.#ser = null;
    this.#count = 0;
    return batch;
  }
}

/** The exchanges of a batch, in order. */
export function readRawBatch(data: string, count: number): SubmittedExchange[] {
  const des = new DefaultDeserializer(Buffer.from(data, 'latin1'));
  des.readHeader();
  const out: SubmittedExchange[] = [];
  for (let i = 0; i < count; i++) out.push(des.readValue() as SubmittedExchange);
  return out;
}
