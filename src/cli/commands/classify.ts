/** `classify FILE.har...`: recorded traffic through the same classifier as the live proxy. */
import { ToolError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import type { ReportSource } from '../../core/types.js';
import { writeSessionReports } from '../../session/finish.js';
import { classifyHarFiles } from '../../session/har-pipeline.js';
import { cliLogger, sessionStatus, summaryLine } from '../common.js';
import { checkInputFiles } from '../input-files.js';
import { sessionPathFor, type Parsed } from '../options.js';

export async function classifyCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const files = p.positionals;
  if (files.length === 0) throw new ToolError('ERR_USAGE', 'classify wants at least one HAR file');
  checkInputFiles(files, '*.har');
  const log = cliLogger({ ...o, quiet: true });
  const sources: ReportSource[] = files.map((name) => ({ kind: 'har', name }));
  const tty = process.stderr.isTTY === true;
  let lastShown = 0;
  const recorded = await classifyHarFiles({
    files,
    sessionLogPath: sessionPathFor(o),
    logger: log,
    onProgress: (file, entries, bytes) => {
      if (!tty || Date.now() - lastShown < 200) return;
      lastShown = Date.now();
      process.stderr.write(
        `\r${file}: ${plural(entries, 'entry', 'entries')}, ${(bytes / 1048576).toFixed(1)} MiB read`,
      );
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  let input;
  try {
    input = await writeSessionReports(recorded, sources, o.out, { failOn: o.failOn });
  } finally {
    recorded.dispose();
  }
  const { skipped } = recorded.stats;
  if (skipped > 0) {
    process.stderr.write(
      `entra-bas-proxy: skipped ${plural(skipped, 'malformed HAR entry', 'malformed HAR entries')}\n`,
    );
  }
  process.stderr.write(summaryLine(recorded.session.summary(), o.out));
  return sessionStatus(input.head, o, 0);
}
