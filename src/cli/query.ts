/** `l4trace query INPUT SQL`: SQL over a trace (loaded on the fly) or a kept database. */
import type { Command } from 'commander';
import { AnalyzeError } from '../../analyze/db.js';
import { openAnalysis, formatRows } from './analysis.js';
import { SALVAGE_HELP } from './open-trace.js';
import { CliError, UsageError } from './errors.js';
import { guardStdoutPipe, writeStdout } from './output.js';

export function register(program: Command): void {
  program
    .command('query')
    .description('run SQL over a trace or a kept database (tables: docs/sql-schema.md)')
    .argument('<input>', 'trace file (.l4t) or database (.duckdb)')
    .argument('<sql>', 'the query')
    .option('--format <format>', 'table, csv or json', 'table')
    .option('--db <file>', 'keep the loaded database in this file (reused while the trace is unchanged)')
    .option('--salvage', SALVAGE_HELP)
    .action(async (input: string, sql: string, opts: { format: string; db?: string; salvage?: boolean }) => {
      guardStdoutPipe();
      if (!['table', 'csv', 'json'].includes(opts.format)) throw new UsageError(`--format ${JSON.stringify(opts.format)}: expected table, csv or json`);
      const a = await openAnalysis(input, { ...(opts.db ? { db: opts.db } : {}), salvage: opts.salvage ?? false });
      try {
        const r = await a.query(sql);
        writeStdout(formatRows(r.columns, r.rows, opts.format) + '\n');
      } catch (e) {
        if (e instanceof AnalyzeError) throw new CliError(`query: ${e.message}`);
        throw e;
      } finally {
        a.close();
      }
    });

}
