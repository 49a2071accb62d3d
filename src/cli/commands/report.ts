/** `report SESSION.ndjson`: render the report(s) again from a session log (also one a crash left). */
import { ToolError } from '../../core/errors.js';
import { createSession } from '../../classifiers/session.js';
import { TlsRejectionTally, parseTlsRejectionLine } from '../../core/tls-rejections.js';
import { buildReportHead } from '../../report/build.js';
import { writeReports } from '../../report/writer.js';
import { readSessionLog, readSessionLogHeader } from '../../sources/session-log.js';
import { VERSION } from '../../version.js';
import { sessionStatus, summaryLine } from '../common.js';
import type { Parsed } from '../options.js';
import { checkInputFiles } from '../input-files.js';

export async function reportCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const [file, ...extra] = p.positionals;
  if (file === undefined || extra.length > 0)
    throw new ToolError('ERR_USAGE', 'report wants exactly one session log (SESSION.ndjson)');
  checkInputFiles([file], '*.session.ndjson');
  const header = await readSessionLogHeader(file);
  const session = createSession();
  let first: string | null = null;
  let last: string | null = null;
  // Refused TLS handshakes the live proxy noted in the log.
  const refused = new TlsRejectionTally();
  const onEvent = (e: { readonly type: string }): void => {
    const t = parseTlsRejectionLine(e);
    if (t) refused.add(t.rejection, t.count);
  };
  for await (const r of readSessionLog(file, { onEvent })) {
    session.add(r);
    first ??= r.startedAt;
    last = r.startedAt;
  }
  const head = buildReportHead({
    applications: session.applications(),
    summary: session.summary(),
    startedAt: header?.startedAt ?? first ?? new Date().toISOString(),
    endedAt: last ?? header?.startedAt ?? new Date().toISOString(),
    sources: [{ kind: 'session', name: file }],
    version: VERSION,
    rejections: refused.hosts(),
  });
  await writeReports({ head, exchanges: () => readSessionLog(file), failOn: o.failOn }, o.out);
  process.stderr.write(summaryLine(head.summary, o.out));
  return sessionStatus(head, o, 0);
}
