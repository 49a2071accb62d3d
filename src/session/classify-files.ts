/**
 * `classify`'s inputs, whatever their kind, into one recorded session: each file's kind detected
 * (sources/detect.ts) or forced; sign-in log exports read first and folded into records (they carry
 * no HTTP: already classified), so that the HAR files' exchanges can be joined to the sign-in rows
 * they started (client-request-id = correlationId) as they are recorded; then the HAR pipeline
 * records both.
 */
import { basename } from 'node:path';
import { scrubText } from '../classifiers/secret-text.js';
import type { Logger } from '../core/logger.js';
import type { JoinedSignInFacts, ReportSource } from '../core/types.js';
import { detectInputKind, type InputKind } from '../sources/detect.js';
import { createSignInFold } from '../sources/signins/fold.js';
import { foldSignIns } from '../sources/signins/read.js';
import { classifyHarFiles, type HarPipelineResult } from './har-pipeline.js';
import { createPool, type Pool } from './pool.js';

/** tokenIssuerType values as Graph spells them, from row.ts's folded tokens. */
const ISSUER_NAMES: Readonly<Record<string, string>> = {
  azuread: 'AzureAD',
  azureadbackupauth: 'AzureADBackupAuth',
  adfederationservices: 'ADFederationServices',
  adfederationservicesmfaadapter: 'ADFederationServicesMFAAdapter',
  npsextension: 'NPSExtension',
  unknownfuturevalue: 'UnknownFutureValue',
};

export interface ClassifyFilesOptions {
  readonly files: readonly string[];
  readonly sessionLogPath: string;
  /** Worker threads of the pool (default: one per CPU, 1 to 4); 0 runs everything in this thread. */
  readonly workers?: number;
  /** Forces every file's kind (`--format`). */
  readonly format?: InputKind;
  readonly logger?: Logger;
  /** Progress: the file, rows or entries seen, bytes read. */
  readonly onProgress?: (file: string, items: number, bytes: number) => void;
  /** One line per sign-in file with skipped rows (reason counts). */
  readonly onSkipped?: (file: string, skipped: ReadonlyMap<string, number>) => void;
}

export interface ClassifiedFiles {
  readonly recorded: HarPipelineResult;
  readonly sources: ReportSource[];
  /** Sign-in rows read, and captured exchanges joined to one. */
  readonly signIns: { readonly rows: number; readonly joined: number };
}

export async function classifyFiles(o: ClassifyFilesOptions): Promise<ClassifiedFiles> {
  const kinds = await Promise.all(o.files.map((f) => o.format ?? detectInputKind(f)));
  const har = o.files.filter((_, i) => kinds[i] === 'har');
  const logs = o.files.filter((_, i) => kinds[i] === 'signins');
  const sources: ReportSource[] = o.files.map((name, i) => ({
    kind: kinds[i] === 'har' ? 'har' : 'signins',
    name,
  }));
  // The one pool: the sign-in logs' chunks, then the HAR files' entries.
  const pool = await createPool({
    ...(o.workers !== undefined
      ? { size: o.workers }
      : logs.length + har.length === 0
        ? { size: 0 }
        : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  try {
    return await classifyWith(o, pool, har, logs, sources);
  } finally {
    await pool.close();
  }
}

async function classifyWith(
  o: ClassifyFilesOptions,
  pool: Pool,
  har: readonly string[],
  logs: readonly string[],
  sources: ReportSource[],
): Promise<ClassifiedFiles> {
  const fold = createSignInFold();
  for (const file of logs) {
    const stats = await foldSignIns(file, fold, {
      run: (c) => pool.run('signin-chunk', c),
      inFlight: Math.max(2, pool.size * 2),
      onProgress: (n, bytes) => o.onProgress?.(file, n, bytes),
    });
    if (stats.skipped.size > 0) o.onSkipped?.(basename(file), stats.skipped);
  }
  if (fold.joins.full) {
    o.logger?.warn(
      `more than ${fold.joins.rows} sign-ins: later ones are not joined to captured exchanges`,
    );
  }
  let joined = 0;
  const join = (id: string): JoinedSignInFacts | null => {
    const j = fold.joins.get(id.toLowerCase());
    if (j === null) return null;
    joined++;
    return {
      tokenIssuerType: j.issuer === null ? null : (ISSUER_NAMES[j.issuer] ?? j.issuer),
      appName: j.appName === null ? null : scrubText(j.appName),
    };
  };
  const recorded = await classifyHarFiles({
    files: har,
    sessionLogPath: o.sessionLogPath,
    ...(o.logger ? { logger: o.logger } : {}),
    pool,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    records: fold.records(),
    ...(fold.rows > 0 ? { join } : {}),
  });
  return { recorded, sources, signIns: { rows: fold.rows, joined } };
}
