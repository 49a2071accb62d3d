/** `classify FILE.har...`: recorded traffic through the same pipeline as the live proxy. */
import { basename } from 'node:path';
import { ToolError } from '../../core/errors.js';
import type { ReportSource } from '../../core/types.js';
import { createWorkerRecorder } from '../../session/worker-recorder.js';
import { writeSessionReports } from '../../session/finish.js';
import { readHar } from '../../sources/har.js';
import { cliLogger, failOnStatus, summaryLine } from '../common.js';
import { sessionPathFor, type Parsed } from '../options.js';

export async function classifyCommand(p: Parsed): Promise<number> {
  const o = p.options;
  const files = p.positionals;
  if (files.length === 0) throw new ToolError('ERR_USAGE', 'classify wants at least one HAR file');
  const log = cliLogger({ ...o, quiet: true });
  // Classification runs in a worker thread while this one reads the HAR.
  const recorder = await createWorkerRecorder({ sessionLogPath: sessionPathFor(o), logger: log });
  const sources: ReportSource[] = [];
  const tty = process.stderr.isTTY === true;
  let lastShown = 0;
  let submitted = 0;
  try {
    for (const [i, file] of files.entries()) {
      sources.push({ kind: 'har', name: file });
      for await (const raw of readHar(file, {
        // Several files may share a basename: number them so exchange ids stay unique.
        ...(files.length > 1 ? { idPrefix: `har${i + 1}-${basename(file)}` } : {}),
        onProgress: (entries, bytes) => {
          if (!tty || Date.now() - lastShown < 200) return;
          lastShown = Date.now();
          process.stderr.write(
            `\r${file}: ${entries} entries, ${(bytes / 1048576).toFixed(1)} MiB read`,
          );
        },
      })) {
        recorder.submit(raw);
        // Keep the HAR reader at most a few thousand exchanges ahead of classification.
        if (++submitted % 128 === 0) await recorder.backlog(256);
      }
      if (tty) process.stderr.write('\r\x1b[K');
    }
  } finally {
    await recorder.close();
  }
  await writeSessionReports(recorder, sources, o.out);
  const apps = recorder.session.applications();
  process.stderr.write(summaryLine(recorder.session.summary(), o.out));
  return failOnStatus(apps, o.failOn, 0);
}
