/** `report SESSION.ndjson`: render the report(s) again from a session log (also one a crash left). */
import { ToolError } from '../../core/errors.js';
import { classifyFiles } from '../../session/classify-files.js';
import { writeSessionReports } from '../../session/finish.js';
import { sessionStatus, summaryLine } from '../common.js';
import type { Parsed } from '../options.js';
import { checkInputFiles } from '../input-files.js';

export async function reportCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const [file, ...extra] = p.positionals;
  if (file === undefined || extra.length > 0)
    throw new ToolError('ERR_USAGE', 'report wants exactly one session log (SESSION.ndjson)');
  checkInputFiles([file], '*.session.ndjson');
  // The log is its own record: nothing is written but the reports, read back from it.
  const { recorded, sources } = await classifyFiles({
    files: [file],
    keep: 'input',
    format: 'session',
  });
  const input = await writeSessionReports(recorded, sources, o.out, { failOn: o.failOn });
  process.stderr.write(summaryLine(input.head.summary, o.out));
  return sessionStatus(input.head, o, 0);
}
