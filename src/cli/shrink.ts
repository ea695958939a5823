/**
 * `l4trace shrink FILE -o MIN`: reduce a failing trace's decision tape to the few choices that make it
 * fail (delta debugging), and write the smaller reproducer, which replays like any trace.
 */
import type { Command } from 'commander';
import { shrinkTrace } from '../../replay/shrink.js';
import { checkOutputPath, writeBytesAtomic } from '../../tracer/atomic-output.js';
import { openTrace, withTrace } from './open-trace.js';
import { progressWanted } from './output.js';

export function register(program: Command): void {
  program
    .command('shrink')
    .description('delta-debug a failing trace\'s decision tape to the choices that matter; write the smaller reproducer')
    .argument('<file>', 'failing trace (.l4t)')
    .requiredOption('-o, --out <file>', 'the shrunk trace')
    .action((file: string, opts: { out: string }) => {
      checkOutputPath(opts.out, { inputs: [file] });
      const reader = openTrace(file);
      const tty = progressWanted();
      let result;
      try {
        result = withTrace(file, reader, () => shrinkTrace(reader, file, (runs) => tty && process.stderr.write(`\rshrink ${file}: ${runs} runs\x1b[K`)));
      } finally {
        if (tty) process.stderr.write('\r\x1b[K');
        reader.close();
      }
      const bytes = result.bytes;
      writeBytesAtomic(opts.out, bytes);
      console.log(
        `shrink ${file} -> ${opts.out}: outcome ${result.outcome} kept with ${result.kept.length} of ${result.original} choices (${result.candidates} were not the first option); ${result.runs} runs`,
      );
      for (const k of result.kept) console.log(`  tape #${k.index}: ${k.site} ${k.value} of ${k.range}, before event #${k.seq}`);
      if (result.kept.length === 0) console.log('  every choice can take its first option: the failure does not depend on the decisions at all');
    });
}
