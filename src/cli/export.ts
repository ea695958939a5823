/**
 * `l4trace export INPUT --format perfetto|chrome-json|parquet -o OUT`: the trace for other tools. Files
 * are written beside the target and moved there when complete; a failure leaves what was there.
 */
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { AtomicPath } from '../../tracer/atomic-output.js';
import { exportChromeJson } from '../../analyze/export-chrome.js';
import { exportParquet } from '../../analyze/export-parquet.js';
import { exportPerfetto } from '../../analyze/export-perfetto.js';
import { openAnalysis } from './analysis.js';
import { SALVAGE_HELP } from './open-trace.js';
import { progressOnDemand } from './progress.js';
import { UsageError } from './errors.js';
import { fmtInt } from './output.js';
import { checkOutput, isStdio, refuseStdio, reportTo, writeOutput } from './stdio.js';

const FORMATS = ['perfetto', 'chrome-json', 'parquet'] as const;

export function register(program: Command): void {
  program
    .command('export')
    .description('export a trace: perfetto (native protobuf), chrome-json (trace events), parquet (every table, partitioned)')
    .argument('<input>', 'trace file (.l4t) or database (.duckdb)')
    .requiredOption('--format <format>', FORMATS.join(', '))
    .requiredOption('-o, --out <path>', 'output file (a folder for parquet); - writes perfetto or chrome-json to stdout (the summary then goes to stderr)')
    .option('--db <file>', 'keep the loaded database in this file')
    .option('--salvage', SALVAGE_HELP)
    .option('--json', 'print one JSON object: input, out, format, and the counts written (packets, slices, flows / events / tables)')
    .addHelpText('after', `
Examples:
  l4trace export race.l4t --format perfetto -o race.pftrace     # open in ui.perfetto.dev
  l4trace export race.l4t --format chrome-json -o - | gzip > race.json.gz
  l4trace export race.l4t --format parquet -o race-parquet/`)
    .action(async (input: string, opts: { format: string; out: string; db?: string; salvage?: boolean; json?: boolean }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format ${JSON.stringify(opts.format)}: expected ${FORMATS.join(', ')}`);
      if (opts.format === 'parquet') refuseStdio('-o', opts.out, 'parquet is written as a folder of files; give a folder name');
      checkOutput(opts.out, { kind: opts.format === 'parquet' ? 'folder' : 'file', inputs: [input, ...(opts.db ? [opts.db] : [])] });
      // With -o -, stdout carries the export: what export says about it goes to stderr.
      const say = reportTo(isStdio(opts.out));
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
          await writeOutput(opts.out, async (write) => void (stats = await exportPerfetto(a, write, progress)));
          if (opts.json) say(JSON.stringify({ input, out: opts.out, format: opts.format, ...stats }));
          else say(`exported ${input} -> ${opts.out}: Perfetto trace, ${fmtInt(stats.packets)} packets, ${fmtInt(stats.slices)} slices, ${fmtInt(stats.flows)} flows`);
        } else if (opts.format === 'chrome-json') {
          let events = 0;
          await writeOutput(opts.out, async (write) => void ({ events } = await exportChromeJson(a, write, progress)));
          if (opts.json) say(JSON.stringify({ input, out: opts.out, format: opts.format, events }));
          else say(`exported ${input} -> ${opts.out}: Chrome JSON, ${fmtInt(events)} events`);
        } else {
          let tables: string[];
          try {
            ({ tables } = await exportParquet(a, folder!.temp));
            folder!.commit();
          } catch (e) {
            folder!.discard();
            throw e;
          }
          if (opts.json) say(JSON.stringify({ input, out: opts.out, format: opts.format, tables }));
          else say(`exported ${input} -> ${opts.out}/: Parquet, ${tables.length} tables (${tables.join(', ')})`);
        }
      } finally {
        bar.stop();
        a.close();
      }
    });
}
