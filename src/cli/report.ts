/** `l4trace report INPUT`: the readable summary of a trace. */
import type { Command } from 'commander';
import { buildReport } from '../../analyze/report.js';
import { openAnalysis, formatRows } from './analysis.js';
import { SALVAGE_HELP } from './open-trace.js';
import { guardStdoutPipe, writeStdout } from './output.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('summarise a trace: run outcome, threads, top functions, IPC matrix, IRQ latency, syscalls, signals and kick results, losses')
    .argument('<input>', 'trace file (.l4t) or database (.duckdb); - reads a trace from stdin')
    .option('--db <file>', 'keep the loaded database in this file')
    .option('--json', 'one JSON object: section title -> rows')
    .option('--salvage', SALVAGE_HELP)
    .addHelpText('after', `
Examples:
  l4trace report race.l4t
  l4trace report race.l4t --json | jq 'keys'
  l4trace load race.l4t --db race.duckdb && l4trace report race.duckdb`)
    .action(async (input: string, opts: { db?: string; json?: boolean; salvage?: boolean }) => {
      guardStdoutPipe();
      const a = await openAnalysis(input, { ...(opts.db ? { db: opts.db } : {}), salvage: opts.salvage ?? false });
      try {
        const sections = await buildReport(a);
        if (opts.json) {
          writeStdout(JSON.stringify(Object.fromEntries(sections.map((s) => [s.title, s.result.rows]))) + '\n');
          return;
        }
        const out: string[] = [`report ${input}`];
        for (const s of sections) {
          out.push('', `== ${s.title}`);
          out.push(s.result.rows.length === 0 ? '(none)' : formatRows(s.result.columns, s.result.rows, 'table'));
        }
        writeStdout(out.join('\n') + '\n');
      } finally {
        a.close();
      }
    });
}
