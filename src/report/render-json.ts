/**
 * The JSON report of CONTRACT.md, streamed. The head is indented by 2 spaces and the exchanges
 * follow one per line, so a report diffs well and a 100,000-exchange session never sits in memory
 * whole. JSON.parse(output) equals what JSON.stringify would give for the same Report, with the
 * top-level keys in contract order: schemaVersion, tool, session, summary, applications, exchanges.
 */
import type { ReportHead, ReportInput } from './build.js';

export async function* renderJson(input: ReportInput): AsyncIterable<string> {
  const headText = JSON.stringify(orderedHead(input.head), null, 2);
  // `headText` ends with "\n}": reopen the object to append the exchanges array.
  yield headText.slice(0, -2) + ',\n  "exchanges": [';
  let first = true;
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
