/**
 * `l4trace filter IN -o OUT`: a smaller trace with only the selected events (by kind, thread, or
 * function name). Events keep their sequence numbers and the rules go into the header, so the reduced
 * trace still replays (replay filters what it regenerates the same way).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FileSink } from '../../tracer/file-writer.js';
import { FilterRulesSchema, type FilterRules } from '../../tracer/filter/rules.js';
import { rewriteTrace } from '../../tracer/filter/rewrite.js';
import { parseFilterFile } from '../../tracer/filter/filter-file.js';
import { CliError, UsageError } from './errors.js';
import { openTrace, SALVAGE_HELP, withTrace } from './open-trace.js';
import { fmtInt } from './output.js';
import { checkOutput, isStdio, readStdin, reportTo, StdoutSink } from './stdio.js';

interface FilterCliOptions {
  out?: string;
  file?: string;
  keepKind?: string;
  dropKind?: string;
  thread?: string;
  excludeFunction?: string;
  salvage?: boolean;
  json?: boolean;
}

const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));

export function register(program: Command): void {
  program
    .command('filter')
    .description('write a reduced trace: only the events the rules select (it still replays)')
    .argument('<file>', 'trace file (.l4t)')
    .requiredOption('-o, --out <file>', 'the reduced trace; - streams it to stdout (the summary then goes to stderr)')
    .option('-f, --file <rules>', 'a filter file (Score-P syntax plus THREADS, TASKS, TIME_WINDOW, MAX_DEPTH; - reads it from stdin): removes function events only')
    .option('--keep-kind <kinds>', 'keep only these event kinds (comma-separated, e.g. IPC,IPC_RES)')
    .option('--drop-kind <kinds>', 'drop these event kinds (e.g. FUNC_ENTER,FUNC_EXIT)')
    .option('--thread <indexes>', 'keep only these threads (indexes as `info` lists them)')
    .option('--exclude-function <globs>', 'drop enter/exit events of functions matching these globs: * any characters, ? one, [abc] / [a-z] / [!a-z] one of a set (e.g. "printf,str*,sys_?et*")')
    .option('--salvage', SALVAGE_HELP)
    .option('--json', 'print one JSON object: file, out, events, eventsIn, bytes, complete')
    .addHelpText('after', `
Examples:
  l4trace filter run.l4t --drop-kind FUNC_ENTER,FUNC_EXIT -o small.l4t
  l4trace score run.l4t -g rules.filt && l4trace filter run.l4t -f rules.filt -o small.l4t
  l4trace filter run.l4t --exclude-function "str*,mem[cs]*" -o - | l4trace info -`)
    .action((file: string, opts: FilterCliOptions) => {
      checkOutput(opts.out!, { inputs: [file, ...(opts.file ? [opts.file] : [])] });
      const raw: Record<string, unknown> = {};
      if (opts.keepKind !== undefined) raw.keepKinds = list(opts.keepKind);
      if (opts.dropKind !== undefined) raw.dropKinds = list(opts.dropKind);
      if (opts.thread !== undefined) raw.threads = list(opts.thread)!.map((t) => (/^\d+$/.test(t) ? Number(t) : t));
      if (opts.excludeFunction !== undefined) raw.excludeFunctions = list(opts.excludeFunction);
      if (opts.file !== undefined) {
        let text: string;
        try {
          text = isStdio(opts.file) ? readStdin('-f - (the filter file)', 16 << 20).toString('utf8') : readFileSync(opts.file, 'utf8');
        } catch (e) {
          throw new CliError(`-f ${opts.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
        }
        Object.assign(raw, parseFilterFile(text, opts.file));
      }
      if (Object.keys(raw).length === 0) throw new UsageError('filter: give at least one rule (-f FILE, --keep-kind, --drop-kind, --thread, --exclude-function)');
      const parsed = FilterRulesSchema.safeParse(raw);
      if (!parsed.success) throw new UsageError(`filter: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const rules: FilterRules = parsed.data;
      const reader = openTrace(file, { salvage: opts.salvage ?? false });
      if (reader.header.filterRules) throw new CliError(`${file}: already filtered (${reader.header.filterRules}); filter the original trace`);
      const sink = isStdio(opts.out) ? new StdoutSink() : new FileSink(opts.out!);
      // With -o -, stdout carries the trace: what filter says about it goes to stderr.
      const say = reportTo(isStdio(opts.out));
      try {
        const r = withTrace(file, reader, () => rewriteTrace(reader, sink, { filter: rules }));
        const eventsIn = reader.footer?.events ?? r.events;
        if (opts.json) say(JSON.stringify({ file, out: opts.out, events: r.events, eventsIn, bytes: sink.size, complete: r.complete }));
        else {
          say(`filtered ${file} -> ${opts.out}: ${fmtInt(r.events)} of ${fmtInt(eventsIn)} events kept, ${fmtInt(sink.size)} bytes`);
          if (!r.complete) say(`  the input was ${reader.intact ? 'cut short' : 'damaged'}: the output has no footer, so it reads as cut short too`);
        }
      } catch (e) {
        sink.discard();
        throw e;
      } finally {
        reader.close();
      }
    });
}
