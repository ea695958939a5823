/** `l4trace load TRACE --db FILE`: load a trace into a kept DuckDB database once, for later commands. */
import type { Command } from 'commander';
import { openAnalysis } from './analysis.js';
import { SALVAGE_HELP } from './open-trace.js';
import { writeStdout } from './output.js';

export function register(program: Command): void {
  program
    .command('load')
    .description('load a trace into a DuckDB database file once, for later queries, reports and exports')
    .argument('<trace>', 'trace file (.l4t; - reads it from stdin)')
    .requiredOption('--db <file>', 'the database to write')
    .option('--salvage', SALVAGE_HELP)
    .option('--json', 'print one JSON object: trace, db, loaded (false: the database was up to date), events')
    .addHelpText('after', `
Example:
  l4trace load race.l4t --db race.duckdb && l4trace query race.duckdb "select count(*) from slice"`)
    .action(async (trace: string, opts: { db: string; salvage?: boolean; json?: boolean }) => {
      const a = await openAnalysis(trace, { db: opts.db, salvage: opts.salvage ?? false });
      const n = a.loaded ? a.loaded.events : Number(await a.scalar("SELECT value FROM metadata WHERE key = 'events'"));
      a.close();
      if (opts.json) return writeStdout(JSON.stringify({ trace, db: opts.db, loaded: Boolean(a.loaded), events: n }) + '\n');
      console.log(`${a.loaded ? 'loaded' : 'up to date:'} ${trace} -> ${opts.db} (${n.toLocaleString('en-US')} events)`);
    });
}
