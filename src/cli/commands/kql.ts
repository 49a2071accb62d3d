/**
 * `kql`: print the KQL query that summarizes the Entra sign-in tables into the fact tuples the
 * rules read (sources/signins/kql.ts). Its exported result is a `classify` input.
 */
import { ToolError } from '../../core/errors.js';
import { KQL_DEFAULT_DAYS, kqlQuery } from '../../sources/signins/kql.js';
import type { Parsed } from '../options.js';

export function kqlCommand(p: Parsed): Promise<number> {
  if (p.positionals.length > 0)
    throw new ToolError('ERR_USAGE', `kql takes no arguments, got '${p.positionals[0] ?? ''}'`);
  const o = p.options;
  process.stdout.write(
    kqlQuery({
      days: o.days ?? KQL_DEFAULT_DAYS,
      ...(o.tables ? { tables: o.tables } : {}),
      adx: o.adx,
    }),
  );
  return Promise.resolve(0);
}
