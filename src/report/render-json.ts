/**
 * The JSON report of CONTRACT.md, streamed. The head is indented by 2 spaces and the exchanges
 * follow one per line, so a report diffs well and a 100,000-exchange session never sits in memory
 * whole. JSON.parse(output) equals what JSON.stringify would give for the same Report, with the
 * top-level keys in contract order: schemaVersion, tool, session, summary, applications, exchanges.
 */
import type { ReportChunk, ReportHead, ReportInput } from './build.js';

export async function* renderJson(input: ReportInput): AsyncIterable<ReportChunk> {
  const headText = JSON.stringify(orderedHead(input.head), null, 2);
  // `headText` ends with "\n}": reopen the object to append the exchanges array.
  yield headText.slice(0, -2) + ',\n  "exchanges": [';
  let first = true;
  const lines = input.bodies?.jsonLines?.();
  if (lines) {
    // The records' JSON text is already made: copy the bytes, separators put in between.
    for await (const chunk of lines) {
      const out = indentLines(chunk, first);
      if (out.length === 0) continue;
      first = false;
      yield out;
    }
    yield first ? ']\n}\n' : '\n  ]\n}\n';
    return;
  }
  for await (const record of input.exchanges()) {
    const line = JSON.stringify(record) as string | undefined;
    if (line === undefined) continue;
    yield (first ? '\n    ' : ',\n    ') + line;
    first = false;
  }
  yield first ? ']\n}\n' : '\n  ]\n}\n';
}

/** Contract keys first, in contract order; fields added later follow; never a stray `exchanges`. */
function orderedHead(head: ReportHead): Record<string, unknown> {
  const { schemaVersion, tool, session, summary, applications, ...extra } = head as ReportHead & {
    exchanges?: unknown;
  };
  delete extra.exchanges;
  return { schemaVersion, tool, session, summary, applications, ...extra };
}

const FIRST = Buffer.from('\n    ');
const NEXT = Buffer.from(',\n    ');

/**
 * Whole lines of JSON text ("...\n" each) as array elements: each line preceded by "\n    "
 * (the first of the array) or ",\n    ", its newline dropped. Empty lines are skipped.
 */
export function indentLines(chunk: Uint8Array, first: boolean): Buffer {
  const buf = Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  const pieces: Buffer[] = [];
  let start = 0;
  while (start < buf.length) {
    let nl = buf.indexOf(10, start);
    if (nl === -1) nl = buf.length;
    if (nl > start) {
      pieces.push(first ? FIRST : NEXT, buf.subarray(start, nl));
      first = false;
    }
    start = nl + 1;
  }
  return Buffer.concat(pieces);
}
