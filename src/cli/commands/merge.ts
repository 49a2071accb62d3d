/** `merge REPORT.json...`: one report from the reports of sharded runs; applications merged by client id. */
import { ToolError } from '../../core/errors.js';
import { classifyFiles } from '../../session/classify-files.js';
import { writeSessionReports } from '../../session/finish.js';
import { sessionStatus, summaryLine } from '../common.js';
import type { Parsed } from '../options.js';
import { checkInputFiles } from '../input-files.js';

export async function mergeCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const files = p.positionals;
  if (files.length === 0)
    throw new ToolError('ERR_USAGE', 'merge wants at least one report (REPORT.json)');
  checkInputFiles(files, '*.json');
  // Reports are read whole (src/sources/report-file.ts), so their records are kept in memory.
  const { recorded, sources } = await classifyFiles({ files, keep: 'memory', format: 'report' });
  const input = await writeSessionReports(recorded, sources, o.out, { failOn: o.failOn });
  process.stderr.write(summaryLine(input.head.summary, o.out));
  return sessionStatus(input.head, o, 0);
}
