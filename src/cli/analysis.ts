/** Opening a trace or a kept database for the analyzer commands, with progress and one-line errors. */
import { existsSync } from 'node:fs';
import { Analysis } from '../../analyze/db.js';
import { checkOutputPath } from '../../tracer/atomic-output.js';
import { TraceFormatError } from '../../tracer/errors.js';
import { CliError } from './errors.js';
import { inFile, reportCut, reportDamage } from './open-trace.js';
import { progressOnDemand } from './progress.js';
import { isStdio, refuseStdio, withInputFile } from './stdio.js';

export interface AnalysisOptions {
  /** Keep the loaded database in this file (`--db`). */
  db?: string;
  /** Load a damaged trace as far as it can be believed (`--salvage`). */
  salvage?: boolean;
  /** The one folder DuckDB may write into (Parquet export only; never with the user's SQL). */
  writableDir?: string;
}

/** A trace loaded into DuckDB (or a kept database opened), with progress on a terminal and one-line errors. */
export async function openAnalysis(input: string, opts: AnalysisOptions = {}): Promise<Analysis> {
  refuseStdio('--db', opts.db, 'a kept database is a file DuckDB opens by name; give a file name');
  // `-`: standard input, through a private temporary file that is gone once the trace is loaded.
  if (isStdio(input)) {
    const a = await withInputFile(input, `${input} (the trace)`, (path) => openAnalysisFile(path, input, opts));
    a.source = input;
    return a;
  }
  return openAnalysisFile(input, input, opts);
}

async function openAnalysisFile(input: string, name: string, opts: AnalysisOptions): Promise<Analysis> {
  if (!existsSync(input)) throw new CliError(`${input}: no such file`);
  if (opts.db) checkOutputPath(opts.db, { option: '--db', inputs: [input] });
  const bar = progressOnDemand(`load ${name}`, 'events');
  let a: Analysis;
  try {
    a = await Analysis.open(input, {
      ...(opts.db ? { db: opts.db } : {}),
      ...(opts.writableDir ? { writableDir: opts.writableDir } : {}),
      salvage: opts.salvage ?? false,
      onProgress: (done, total) => bar.update(done, total),
    });
  } catch (e) {
    throw inFile(name, e instanceof Error && name !== input ? renamed(e, input, name) : e);
  } finally {
    bar.stop();
  }
  reportDamage(name, a.damage);
  reportCut(name, a.truncated);
  return a;
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

/** An error about the temporary copy of standard input, naming `-` instead. */
function renamed(e: Error, path: string, name: string): Error {
  const fix = (m: string): string => m.split(path).join(name);
  if (e instanceof TraceFormatError) return new TraceFormatError(e.code, fix(e.reason), e.offset, e.packet);
  e.message = fix(e.message);
  return e;
}
