/**
 * Session logs as an input kind (registry.ts): their records as they were recorded, the session's
 * start (the header's, else the first record's) and end (the last record's, else the start), and
 * the refused TLS handshakes the live proxy noted in them.
 */
import { parseTlsRejectionLine } from '../core/tls-rejections.js';
import type { ExchangeRecord } from '../core/types.js';
import { readSessionLog, readSessionLogHeader } from './session-log.js';
import type { RecordsReader, SourceContext } from './source.js';

async function* records(path: string, ctx: SourceContext): AsyncGenerator<ExchangeRecord> {
  const header = await readSessionLogHeader(path);
  let first: string | null = null;
  let last: string | null = null;
  const onEvent = (e: { readonly type: string }): void => {
    const t = parseTlsRejectionLine(e);
    if (t) ctx.rejections.add(t.rejection, t.count);
  };
  for await (const r of readSessionLog(path, { onEvent })) {
    first ??= r.startedAt;
    last = r.startedAt;
    yield r;
  }
  ctx.span(header?.startedAt ?? first, last ?? header?.startedAt ?? null);
}

export const sessionLogSource: RecordsReader = { yields: 'records', read: records };
