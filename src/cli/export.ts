/**
 * `l4trace export INPUT --format perfetto|chrome-json|parquet -o OUT`: the trace for other tools. Files
 * are written beside the target and moved there when complete; a failure leaves what was there.
 */
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { AtomicPath, checkOutputPath, writeFileAtomic } from '../../tracer/atomic-output.js';
import { exportChromeJson } from '../../analyze/export-chrome.js';
import { exportParquet } from '../../analyze/export-parquet.js';
import { exportPerfetto } from '../../analyze/export-perfetto.js';
import { openAnalysis } from './analysis.js';
import { SALVAGE_HELP } from './open-trace.js';
import { progressOnDemand } from './progress.js';
import { UsageError } from './errors.js';
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
    .option('--salvage', SALVAGE_HELP)
    .action(async (input: string, opts: { format: string; out: string; db?: string; salvage?: boolean }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format ${JSON.stringify(opts.format)}: expected ${FORMATS.join(', ')}`);
      checkOutputPath(opts.out, { kind: opts.format === 'parquet' ? 'folder' : 'file', inputs: [input, ...(opts.db ? [opts.db] : [])] });
      // Parquet is written by DuckDB, whose sandbox lets it write into this one folder and nowhere else;
      // the other formats are written by l4trace from rows it reads.
      const folder = opts.format === 'parquet' ? new AtomicPath(opts.out) : null;
      let a;
      try {
        if (folder) mkdirSync(folder.temp);
        a = await openAnalysis(input, { ...(opts.db ? { db: opts.db } : {}), salvage: opts.salvage ?? false, ...(folder ? { writableDir: folder.temp } : {}) });
      } catch (e) {
        folder?.discard();
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
            ({ tables } = await exportParquet(a, folder!.temp));
            folder!.commit();
          } catch (e) {
            folder!.discard();
            throw e;
          }
          console.log(`exported ${input} -> ${opts.out}/: Parquet, ${tables.length} tables (${tables.join(', ')})`);
        }
      } finally {
        bar.stop();
        a.close();
      }
    });
}
