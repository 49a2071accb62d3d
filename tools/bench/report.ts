/** Section results, targets and their plain-text rendering. */
import { round } from './common.js';

export interface Target {
  readonly section: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly op: '>=' | '<=' | '<';
  readonly threshold: number;
  readonly pass: boolean;
  readonly note?: string;
}

export interface SectionResult {
  readonly id: string;
  readonly title: string;
  /** Null when the section ran; the failure otherwise (the table row says so). */
  readonly error: string | null;
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  readonly targets: readonly Target[];
  readonly notes: readonly string[];
  readonly data: Readonly<Record<string, unknown>>;
  readonly seconds: number;
}

export function target(
  section: string,
  name: string,
  value: number,
  unit: string,
  op: Target['op'],
  threshold: number,
  note?: string,
): Target {
  const pass =
    Number.isFinite(value) &&
    (op === '>=' ? value >= threshold : op === '<=' ? value <= threshold : value < threshold);
  return {
    section,
    name,
    value: round(value, 3),
    unit,
    op,
    threshold,
    pass,
    ...(note ? { note } : {}),
  };
}

function cell(v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return '-';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

/** A plain-text table with right-aligned numbers. */
export function table(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const text = [header.map(String), ...rows.map((r) => r.map(cell))];
  const widths = header.map((_, i) => Math.max(...text.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number' || r[i] === '-'));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join(' | ')
      .trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(text[0] ?? []), sep, ...text.slice(1).map(line)].join('\n');
}

export function renderSection(s: SectionResult): string {
  const out = [`\n## ${s.id}. ${s.title}  (${s.seconds.toFixed(1)} s)`];
  if (s.error) out.push(`SECTION FAILED: ${s.error}`);
  if (s.rows.length > 0) out.push(table(s.header, s.rows));
  for (const n of s.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}

export function renderTargets(
  targets: readonly Target[],
  failedSections: readonly SectionResult[],
): string {
  const rows: (string | number)[][] = targets.map((t) => [
    t.section,
    t.name,
    `${cell(t.value)} ${t.unit}`.trim(),
    `${t.op} ${t.threshold} ${t.unit}`.trim(),
    t.pass ? 'PASS' : 'FAIL',
  ]);
  for (const s of failedSections) rows.push([s.id, `${s.title}: not measured`, '-', '-', 'ERROR']);
  return table(['#', 'target', 'measured', 'goal', 'result'], rows);
}
