/**
 * The floor of section 8: what reading a sign-in export costs with nothing else done. Graph pages
 * one per line: split lines and JSON.parse each page. CSV: split lines and fields (a naive split:
 * no quotes handled, so a floor). Prints the rows counted. Run as a child by signin-section.ts.
 */
import { createReadStream } from 'node:fs';

async function main(file: string, kind: string): Promise<void> {
  let rows = 0;
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (carry + (chunk as string)).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      if (line.length === 0) continue;
      if (kind === 'json') rows += (JSON.parse(line) as { value: unknown[] }).value.length;
      else if (line.split(',').length > 1) rows++;
    }
  }
  if (carry.length > 0) {
    if (kind === 'json') rows += (JSON.parse(carry) as { value: unknown[] }).value.length;
    else rows++;
  }
  process.stdout.write(`${kind === 'csv' ? rows - 1 : rows}\n`);
}

await main(process.argv[2] ?? '', process.argv[3] ?? 'json');
