/**
 * `l4trace shrink FILE -o MIN`: reduce a failing trace's decision tape to the few choices that make it
 * fail (delta debugging), and write the smaller reproducer, which replays like any trace.
 */
import type { Command } from 'commander';
import { shrinkTrace } from '../../replay/shrink.js';
import { writeBytesAtomic } from '../../tracer/atomic-output.js';
import { openTrace, withTrace } from './open-trace.js';
import { writeStdout } from './output.js';
import { progressCounter } from './progress.js';
import { checkOutput, isStdio, reportTo } from './stdio.js';

export function register(program: Command): void {
  program
    .command('shrink')
    .description('delta-debug a failing trace\'s decision tape to the choices that matter; write the smaller reproducer')
    .argument('<file>', 'failing trace (.l4t; - reads it from stdin)')
    .requiredOption('-o, --out <file>', 'the shrunk trace; - writes it to stdout (the summary then goes to stderr)')
    .option('--json', 'print one JSON object: file, out, outcome, original, candidates, runs, kept (index, site, value, range, seq)')
    .addHelpText('after', `
Example:
  l4trace record signal-race --seed 1 -o race.l4t     # seed 1 loses the kill's kick: outcome hang
  l4trace shrink race.l4t -o min.l4t && l4trace replay min.l4t`)
    .action((file: string, opts: { out: string; json?: boolean }) => {
      checkOutput(opts.out, { inputs: [file] });
      const reader = openTrace(file);
      const bar = progressCounter(`shrink ${file}`, 'runs', opts.json);
      let result;
      try {
        result = withTrace(file, reader, () => shrinkTrace(reader, file, (runs) => bar.update(runs)));
      } finally {
        bar.stop();
        reader.close();
      }
      const bytes = result.bytes;
      if (isStdio(opts.out)) writeStdout(bytes);
      else writeBytesAtomic(opts.out, bytes);
      // With -o -, stdout carries the trace: what shrink says about it goes to stderr.
      const say = reportTo(isStdio(opts.out));
      if (opts.json) {
        const { outcome, original, candidates, runs, kept } = result;
        say(JSON.stringify({ file, out: opts.out, outcome, original, candidates, runs, kept }));
        return;
      }
      say(`shrink ${file} -> ${opts.out}: outcome ${result.outcome} kept with ${result.kept.length} of ${result.original} choices (${result.candidates} were not the first option); ${result.runs} runs`);
      for (const k of result.kept) say(`  tape #${k.index}: ${k.site} ${k.value} of ${k.range}, before event #${k.seq}`);
      if (result.kept.length === 0) say('  every choice can take its first option: the failure does not depend on the decisions at all');
    });
}
