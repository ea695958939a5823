/** Opening a trace or a kept database for the analyzer commands, with progress and one-line errors. */
import { existsSync } from 'node:fs';
import { Analysis, AnalyzeError } from '../../analyze/db.js';
import { TraceFormatError } from '../../tracer/errors.js';
import { CliError } from './errors.js';
import { progressOnDemand } from './progress.js';

/** `writableDir`: the one folder DuckDB may write into (Parquet export only; never with the user's SQL). */
export async function openAnalysis(input: string, db?: string, writableDir?: string): Promise<Analysis> {
  if (!existsSync(input)) throw new CliError(`${input}: no such file`);
  const bar = progressOnDemand(`load ${input}`, 'events');
  try {
    return await Analysis.open(input, { ...(db ? { db } : {}), ...(writableDir ? { writableDir } : {}), onProgress: (done, total) => bar.update(done, total) });
  } catch (e) {
    if (e instanceof AnalyzeError) throw new CliError(e.message);
    if (e instanceof TraceFormatError) throw new CliError(`${input}: ${e.message}`);
    throw e;
  } finally {
    bar.stop();
  }
}

/** Rows as text: an aligned table, CSV, or JSON. */
export function formatRows(columns: string[], rows: Record<string, unknown>[], format: string): string {
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (format === 'json') return JSON.stringify(rows);
  if (format === 'csv') {
    const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [columns.map(q).join(','), ...rows.map((r) => columns.map((c) => q(cell(r[c]))).join(','))].join('\n');
  }
  const body = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const line = (r: string[]): string => r.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
}
