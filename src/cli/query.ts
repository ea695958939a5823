/**
 * `l4trace query INPUT SQL`: SQL over a trace (loaded on the fly) or a kept database. One statement,
 * or several with --script. The SQL runs in DuckDB's sandbox (analyze/sandbox.ts): it sees the trace's
 * tables and nothing of the host.
 */
import type { Command } from 'commander';
import { Analysis } from '../../analyze/db.js';
import { openAnalysis, formatRows } from './analysis.js';
import { SALVAGE_HELP } from './open-trace.js';
import { UsageError } from './errors.js';
import { guardStdoutPipe, writeStdout } from './output.js';

export function register(program: Command): void {
  program
    .command('query')
    .description('run SQL over a trace or a kept database (tables: docs/sql-schema.md); the SQL sees only the trace: no host files, network or extensions, no COPY/ATTACH/INSTALL (docs/security.md)')
    .argument('<input>', 'trace file (.l4t) or database (.duckdb); - reads a trace from stdin')
    .argument('<sql>', 'one SQL statement (several with --script)')
    .option('--format <format>', 'table, csv or json', 'table')
    .option('--json', 'the rows as one JSON array (the same as --format json)')
    .option('--db <file>', 'keep the loaded database in this file (reused while the trace is unchanged)')
    .option('--script', 'the SQL is several statements separated by ";": run them in order and print the last one\'s rows')
    .option('--salvage', SALVAGE_HELP)
    .addHelpText('after', `
Examples:
  l4trace query race.l4t "select * from ipc_matrix"
  l4trace query race.l4t "select name, count(*) n from slice group by name order by n desc limit 5" --format csv
  l4trace query race.duckdb --script "create temp view v as select * from signal; select count(*) from v"`)
    .action(async (input: string, sql: string, opts: { format: string; json?: boolean; db?: string; script?: boolean; salvage?: boolean }) => {
      guardStdoutPipe();
      if (opts.json) {
        if (opts.format !== 'table' && opts.format !== 'json') throw new UsageError(`--json and --format ${opts.format}: give one`);
        opts.format = 'json';
      }
      if (!['table', 'csv', 'json'].includes(opts.format)) throw new UsageError(`--format ${JSON.stringify(opts.format)}: expected table, csv or json`);
      const script = opts.script === true;
      // The SQL is parsed and its statements counted before the (long) load.
      await Analysis.checkUserSql(sql, { script });
      const a = await openAnalysis(input, { ...(opts.db ? { db: opts.db } : {}), salvage: opts.salvage ?? false });
      try {
        const r = await a.runUserSql(sql, { script });
        writeStdout(formatRows(r.columns, r.rows, opts.format) + '\n');
      } finally {
        a.close();
      }
    });
}
