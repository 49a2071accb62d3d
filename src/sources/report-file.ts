/**
 * JSON reports as an input kind (registry.ts): what `merge` combines. A report's exchanges as
 * they are (an exchange id seen before in the run is the same shard given twice: left out), its
 * session's start and end, and the refused TLS handshakes of its findings (counted once per shard;
 * no-signin-traffic is judged again over the whole run). A report is read whole, as before.
 */
import { readFile } from 'node:fs/promises';
import { ToolError } from '../core/errors.js';
import type { ExchangeRecord, Report, SessionFinding } from '../core/types.js';
import type { RecordsReader, SourceContext } from './source.js';

async function readReport(file: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ToolError(
      'ERR_INPUT',
      `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ToolError('ERR_REPORT_INVALID', `${file}: not JSON`);
  }
  const r = data as Partial<Report> | null;
  if (
    !r ||
    typeof r !== 'object' ||
    r.schemaVersion !== 1 ||
    !Array.isArray(r.exchanges) ||
    !r.session
  ) {
    throw new ToolError(
      'ERR_REPORT_INVALID',
      `${file}: not an entra-bas-proxy report (schemaVersion 1)`,
    );
  }
  return r as Report;
}

async function* records(file: string, ctx: SourceContext): AsyncGenerator<ExchangeRecord> {
  const r = await readReport(file);
  // The same shard given twice counts its refusals once (they have no ids to tell them apart).
  const shard = JSON.stringify([r.session.startedAt, r.session.endedAt, r.session.sources]);
  const found: unknown = ctx.first(`shard ${shard}`)
    ? (r.summary as Partial<Report['summary']> | undefined)?.findings
    : undefined;
  for (const f of Array.isArray(found) ? (found as unknown[]) : []) {
    if (!isRejectedFinding(f)) continue;
    ctx.rejections.addHost({
      host: f.host,
      count: f.count ?? 0,
      clients: counts(f.clients),
      errors: counts(f.errors),
    });
  }
  ctx.span(r.session.startedAt, r.session.endedAt);
  for (const x of r.exchanges) {
    if (ctx.first(`exchange ${x.id}`)) yield x;
  }
}

export const reportSource: RecordsReader = { yields: 'records', read: records };

/** A count map from a report (untrusted input): only safe positive integer counts are kept. */
function counts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, n] of Object.entries(v)) {
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) out[k] = n;
  }
  return out;
}

function isRejectedFinding(f: unknown): f is SessionFinding & { host: string } {
  if (!f || typeof f !== 'object') return false;
  const o = f as Record<string, unknown>;
  return o['code'] === 'tls-handshake-rejected' && typeof o['host'] === 'string';
}
