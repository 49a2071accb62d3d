/**
 * `classify FILE...`: recorded traffic (HAR), sign-in log exports, session logs and reports (every
 * kind of src/sources/registry.ts) through the same rules as the live proxy, into one report.
 */
import { ToolError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { classifyFiles } from '../../session/classify-files.js';
import { writeSessionReports } from '../../session/finish.js';
import { cliLogger, sessionStatus, summaryLine } from '../common.js';
import { checkInputFiles } from '../input-files.js';
import { sessionPathFor, type Parsed } from '../options.js';

export async function classifyCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const files = p.positionals;
  if (files.length === 0)
    throw new ToolError('ERR_USAGE', 'classify wants at least one HAR or sign-in log file');
  checkInputFiles(files, '*.har');
  const log = cliLogger({ ...o, quiet: true });
  const tty = process.stderr.isTTY === true;
  let lastShown = 0;
  const { recorded, sources, signIns } = await classifyFiles({
    files,
    keep: { log: sessionPathFor(o) },
    ...(o.format !== null ? { format: o.format } : {}),
    logger: log,
    onProgress: (file, items, bytes) => {
      if (!tty || Date.now() - lastShown < 200) return;
      lastShown = Date.now();
      process.stderr.write(`\r${file}: ${items} read, ${(bytes / 1048576).toFixed(1)} MiB`);
    },
    onSkipped: (file, skipped) => {
      if (tty) process.stderr.write('\r\x1b[K');
      const parts = [...skipped].map(([why, n]) => `${n} ${why}`);
      const total = [...skipped.values()].reduce((a, b) => a + b, 0);
      process.stderr.write(
        `entra-bas-proxy: ${file}: skipped ${plural(total, 'row', 'rows')} (${parts.join('; ')})\n`,
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
  if (signIns.rows > 0) {
    process.stderr.write(
      `entra-bas-proxy: ${plural(signIns.rows, 'sign-in log row', 'sign-in log rows')} read${signIns.joined > 0 ? `, ${plural(signIns.joined, 'captured exchange', 'captured exchanges')} joined to ${signIns.joined === 1 ? 'its' : 'their'} sign-in` : ''}\n`,
    );
  }
  process.stderr.write(summaryLine(recorded.session.summary(), o.out));
  return sessionStatus(input.head, o, 0);
}
