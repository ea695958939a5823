/** `l4trace score FILE [-g FILTER]`: per-function trace cost (Score-P style) and a starter filter. */
import type { Command } from 'commander';
import { writeBytesAtomic } from '../../tracer/atomic-output.js';
import { writeFilterFile } from '../../tracer/filter/filter-file.js';
import { scoreTrace, type ScoreResult } from '../../analyze/score.js';
import { openTrace, reportCut, SALVAGE_HELP, withTrace } from './open-trace.js';
import { fmtInt, guardStdoutPipe, Out, table, writeStderr, writeStdout } from './output.js';
import { checkOutput, isStdio } from './stdio.js';

export function register(program: Command): void {
  program
    .command('score')
    .description('per function: visits, trace bytes, time per visit, COM (on a path to IPC), KERN (the Linux kernel\'s, on the server\'s threads) or USR; with -g a starter filter file')
    .argument('<file>', 'trace file (.l4t; - reads it from stdin)')
    .option('-g, --generate <filter>', 'write a filter file excluding what Score-P\'s default heuristic would (USR and KERN, >= 1% of bytes, < 1 us per visit); - writes it to stdout (and the report, or --json, to stderr)')
    .option('--top <n>', 'rows to print', '25')
    .option('--tree', 'print the call-path profile instead: every path of calls merged over threads, by inclusive time (paths under 0.5% left out)')
    .option('--json', 'print one JSON object')
    .option('--salvage', SALVAGE_HELP)
    .addHelpText('after', '\nExamples:\n  npx l4trace score run.l4t --top 10\n  npx l4trace score run.l4t --tree          # the call tree (also for programs traced by calls)\n  npx l4trace score run.l4t -g rules.filt   # then: npx l4trace filter run.l4t -f rules.filt -o small.l4t\n  npx l4trace score run.l4t -g - | npx l4trace filter run.l4t -f - -o small.l4t')
    .action((file: string, opts: { generate?: string; top: string; tree?: boolean; json?: boolean; salvage?: boolean }) => {
      guardStdoutPipe();
      if (opts.generate) checkOutput(opts.generate, { option: '-g', inputs: [file] });
      const reader = openTrace(file, { salvage: opts.salvage ?? false });
      reportCut(file, reader.truncated);
      const top = Math.max(1, Number(opts.top) || 25);
      const s = withTrace(file, reader, () => scoreTrace(reader, undefined, { limit: opts.tree ? top : 40, minPercent: 0.5 }));
      reader.close();
      if (opts.generate) {
        const text = writeFilterFile(s.suggested, [
          `l4trace score -g ${file}`,
          `exclude USR and KERN functions with >= 1% of the trace bytes and < 1 us per visit (Score-P's default)`,
          `estimated size after filtering: ${fmtInt(s.estimatedBytes)} of ${fmtInt(s.fileBytes)} bytes`,
        ]);
        if (isStdio(opts.generate)) {
          // stdout carries the filter file: the report goes to stderr, as one line (or the JSON).
          writeStdout(text);
          writeStderr(opts.json ? JSON.stringify(s) + '\n' : `score ${file}: suggested filter: exclude ${s.suggested.length ? s.suggested.join(' ') : 'nothing'} -> about ${fmtInt(s.estimatedBytes)} of ${fmtInt(s.fileBytes)} bytes (written to stdout)\n`);
          return;
        }
        writeBytesAtomic(opts.generate, Buffer.from(text), { option: '-g' });
      }
      if (opts.json) {
        writeStdout(JSON.stringify(s) + '\n');
        return;
      }
      const out = new Out();
      out.line(`score ${file}: ${fmtInt(s.fileBytes)} bytes, ${fmtInt(s.eventBytes)} in event chunks, ${fmtInt(s.functionBytes)} (${((100 * s.functionBytes) / Math.max(1, s.eventBytes)).toFixed(1)}%) in function events`);
      if (opts.tree) {
        printTree(out, s);
        out.flush();
        return;
      }
      const rows: (string | number)[][] = [['type', 'visits', 'bytes', '%', 'max_buf', 'us/visit', 'region']];
      for (const r of s.rows.slice(0, top)) rows.push([r.type, fmtInt(r.visits), fmtInt(r.bytes), r.percent.toFixed(1), fmtInt(r.maxThreadBytes), r.usPerVisit.toFixed(3), r.name]);
      for (const line of table(rows, new Set([1, 2, 3, 4, 5]))) out.line(line);
      if (s.rows.length > top) out.line(`(${s.rows.length - top} more)`);
      out.line(`suggested filter: exclude ${s.suggested.length ? s.suggested.join(' ') : 'nothing'} -> about ${fmtInt(s.estimatedBytes)} bytes (${(s.fileBytes / Math.max(1, s.estimatedBytes)).toFixed(1)}x smaller)`);
      if (opts.generate) out.line(`wrote ${opts.generate}; apply it with: npx l4trace filter ${file} -f ${opts.generate} -o small.l4t`);
      out.flush();
    });
}

/** The call-path profile: one row per path, indented by depth. */
function printTree(out: Out, s: ScoreResult): void {
  const rows: (string | number)[][] = [['visits', 'incl cycles', 'excl cycles', '% incl', 'call path']];
  for (const r of s.tree) rows.push([fmtInt(r.visits), fmtInt(r.incl), fmtInt(r.excl), r.percent.toFixed(1), `${'  '.repeat(r.depth)}${r.name}`]);
  for (const line of table(rows, new Set([0, 1, 2, 3]))) out.line(line);
  if (s.tree.length === 0) out.line('(no finished function calls in the trace)');
  out.line(`${fmtInt(s.callPaths)} call paths${s.foldedCalls > 0 ? `; ${fmtInt(s.foldedCalls)} calls beyond the bound counted to their parent path` : ''}`);
}
