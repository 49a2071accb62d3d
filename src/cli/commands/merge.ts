/** `merge REPORT.json...`: one report from the reports of sharded runs; applications merged by client id. */
import { readFile } from 'node:fs/promises';
import { ToolError } from '../../core/errors.js';
import { createSession } from '../../classifiers/session.js';
import { TlsRejectionTally } from '../../core/tls-rejections.js';
import type { ExchangeRecord, Report, ReportSource, SessionFinding } from '../../core/types.js';
import { buildReportHead } from '../../report/build.js';
import { writeReports } from '../../report/writer.js';
import { VERSION } from '../../version.js';
import { sessionStatus, summaryLine } from '../common.js';
import type { Parsed } from '../options.js';
import { checkInputFiles } from '../input-files.js';

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

export async function mergeCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const files = p.positionals;
  if (files.length === 0)
    throw new ToolError('ERR_USAGE', 'merge wants at least one report (REPORT.json)');
  checkInputFiles(files, '*.json');
  const session = createSession();
  const seen = new Set<string>();
  const exchanges: ExchangeRecord[] = [];
  const sources: ReportSource[] = [];
  let startedAt: string | null = null;
  let endedAt: string | null = null;
  // Refused TLS handshakes of every shard (no-signin-traffic is judged again over the merge).
  const refused = new TlsRejectionTally();
  const shards = new Set<string>();
  for (const file of files) {
    const r = await readReport(file);
    // The same shard given twice counts its refusals once (they have no ids to tell them apart).
    const shard = JSON.stringify([r.session.startedAt, r.session.endedAt, r.session.sources]);
    const found: unknown = shards.has(shard)
      ? undefined
      : (r.summary as Partial<Report['summary']> | undefined)?.findings;
    shards.add(shard);
    for (const f of Array.isArray(found) ? (found as unknown[]) : []) {
      if (!isRejectedFinding(f)) continue;
      refused.addHost({
        host: f.host,
        count: f.count ?? 0,
        clients: counts(f.clients),
        errors: counts(f.errors),
      });
    }
    sources.push({ kind: 'merge', name: file });
    if (startedAt === null || r.session.startedAt < startedAt) startedAt = r.session.startedAt;
    if (endedAt === null || r.session.endedAt > endedAt) endedAt = r.session.endedAt;
    for (const x of r.exchanges) {
      if (seen.has(x.id)) continue; // the same shard given twice
      seen.add(x.id);
      session.add(x);
      exchanges.push(x);
    }
  }
  const now = new Date().toISOString();
  const head = buildReportHead({
    applications: session.applications(),
    summary: session.summary(),
    startedAt: startedAt ?? now,
    endedAt: endedAt ?? now,
    sources,
    version: VERSION,
    rejections: refused.hosts(),
  });
  await writeReports(
    {
      head,
      exchanges: async function* () {
        yield* exchanges;
      },
      failOn: o.failOn,
    },
    o.out,
  );
  process.stderr.write(summaryLine(head.summary, o.out));
  return sessionStatus(head, o, 0);
}

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
