/**
 * `l4trace export INPUT --format perfetto|chrome-json|parquet -o OUT`: the trace for other tools. Files
 * are written beside the target and moved there when complete; a failure leaves what was there.
 */
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOutputFile, writeFileAtomic } from './atomic-file.js';
import type { Command } from 'commander';
import { AnalyzeError } from '../../analyze/db.js';
import { exportChromeJson, ExportTooLarge } from '../../analyze/export-chrome.js';
import { exportParquet } from '../../analyze/export-parquet.js';
import { exportPerfetto } from '../../analyze/export-perfetto.js';
import { openAnalysis } from './analysis.js';
import { progressOnDemand } from './progress.js';
import { CliError, UsageError } from './errors.js';
import { fmtInt } from './output.js';

const FORMATS = ['perfetto', 'chrome-json', 'parquet'] as const;

export function register(program: Command): void {
  program
    .command('export')
    .description('export a trace: perfetto (native protobuf), chrome-json (trace events), parquet (every table, partitioned)')
    .argument('<input>', 'trace file (.l4t) or database (.duckdb)')
    .requiredOption('--format <format>', FORMATS.join(', '))
    .requiredOption('-o, --out <path>', 'output file (a folder for parquet)')
    .option('--db <file>', 'keep the loaded database in this file')
    .action(async (input: string, opts: { format: string; out: string; db?: string }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format ${JSON.stringify(opts.format)}: expected ${FORMATS.join(', ')}`);
      checkOutputFile(opts.out, '-o', opts.format === 'parquet' ? 'folder' : 'file');
      // Parquet is written by DuckDB, whose sandbox lets it write into this one folder and nowhere else;
      // the other formats are written by l4trace from rows it reads.
      // An absolute real path: DuckDB compares the paths SQL names with the allowed folder after
      // resolving them.
      const partial = join(realpathSync(dirname(resolve(opts.out))), `${basename(opts.out)}.${process.pid}.partial`);
      if (opts.format === 'parquet') {
        rmSync(partial, { recursive: true, force: true });
        try {
          mkdirSync(partial);
        } catch (e) {
          throw new CliError(`-o ${opts.out}: cannot create ${partial}: ${(e as Error).message}`);
        }
      }
      let a;
      try {
        a = await openAnalysis(input, opts.db, opts.format === 'parquet' ? partial : undefined);
      } catch (e) {
        rmSync(partial, { recursive: true, force: true });
        throw e;
      }
      const bar = progressOnDemand(`export ${opts.format}`, 'events');
      const progress = (done: number, total: number): void => bar.update(done, total);
      try {
        if (opts.format === 'perfetto') {
          let stats = { packets: 0, slices: 0, flows: 0 };
          await writeFileAtomic(opts.out, async (write) => void (stats = await exportPerfetto(a, write, progress)));
          console.log(`exported ${input} -> ${opts.out}: Perfetto trace, ${fmtInt(stats.packets)} packets, ${fmtInt(stats.slices)} slices, ${fmtInt(stats.flows)} flows`);
        } else if (opts.format === 'chrome-json') {
          let events = 0;
          await writeFileAtomic(opts.out, async (write) => void ({ events } = await exportChromeJson(a, write, progress)));
          console.log(`exported ${input} -> ${opts.out}: Chrome JSON, ${fmtInt(events)} events`);
        } else {
          let tables: string[];
          try {
            ({ tables } = await exportParquet(a, partial));
          } catch (e) {
            rmSync(partial, { recursive: true, force: true });
            throw e;
          }
          const old = `${opts.out}.${process.pid}.old`;
          if (existsSync(opts.out)) renameSync(opts.out, old);
          renameSync(partial, opts.out);
          rmSync(old, { recursive: true, force: true });
          console.log(`exported ${input} -> ${opts.out}/: Parquet, ${tables.length} tables (${tables.join(', ')})`);
        }
      } catch (e) {
        if (e instanceof ExportTooLarge) throw new CliError(`export ${input}: ${e.message}`);
        if (e instanceof AnalyzeError) throw new CliError(`export ${input}: ${e.message}`);
        throw e;
      } finally {
        bar.stop();
        a.close();
      }
    });
}
