/**
 * The HTML report's "Session findings" block: what no application owns (no sign-in traffic,
 * refused TLS handshakes; summary.findings), right under the summary. Pure; traffic text escaped.
 */
import type { SessionFinding } from '../core/types.js';
import { esc } from './html-escape.js';

export function sessionFindingsSection(found: readonly SessionFinding[]): string {
  if (found.length === 0) return '';
  const items = found
    .map(
      (f) =>
        `<li class="finding sev-${esc(f.severity)}"><span class="sev">${esc(f.severity)}</span> <code>${esc(f.code)}</code> ${esc(f.message)}
<p class="remediation"><strong>Remediation:</strong> ${esc(f.remediation)}</p></li>`,
    )
    .join('\n');
  return `<section id="session-findings"><h2>Session findings</h2>\n<ul class="findings">\n${items}\n</ul></section>\n`;
}
