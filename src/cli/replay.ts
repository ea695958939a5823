/**
 * `l4trace replay FILE`: re-execute a trace and check it event by event; exit 0 when identical, 1 on
 * the first difference (with the divergence report). `--until SEQ` / `--at CYCLE` stop early and
 * `--inspect` prints the machine's state there.
 */
import type { Command } from 'commander';
import { describeMachine, formatMachine } from '../../replay/inspect.js';
import { buildReport, formatReport } from '../../replay/report.js';
import { replayTrace } from '../../replay/replay.js';
import { IncompatibleTrace } from '../../replay/versions.js';
import { FilterError } from '../../replay/filter.js';
import { CliError, UsageError } from './errors.js';
import { openTrace, withTrace } from './open-trace.js';
import { intOption } from './options.js';
import { fmtInt, guardStdoutPipe, Out } from './output.js';
import { progressBar } from './progress.js';

interface ReplayCliOptions {
  until?: string;
  at?: string;
  inspect?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('re-execute a trace from the file alone and check every event and the final state; exit 1 at the first difference')
    .argument('<file>', 'trace file (.l4t)')
    .option('--until <seq>', 'stop once the event with this sequence number has been regenerated')
    .option('--at <cycle>', 'stop at this cycle')
    .option('--inspect', 'print the machine state where the replay stopped (with --until or --at)')
    .option('--json', 'print one JSON object (verdict, difference report, inspection)')
    .action((file: string, opts: ReplayCliOptions) => {
      guardStdoutPipe();
      if (opts.until !== undefined && opts.at !== undefined) throw new UsageError('--until and --at: give one stop point');
      if (opts.inspect && opts.until === undefined && opts.at === undefined) throw new UsageError('--inspect needs a stop point: --until SEQ or --at CYCLE');
      const untilSeq = opts.until !== undefined ? intOption('until', opts.until) : undefined;
      const atCycle = opts.at !== undefined ? intOption('at', opts.at) : undefined;
      const reader = openTrace(file);
      const total = reader.footer?.nextSeq ?? 0;
      const bar = opts.json ? progressBar('', 0, '') : progressBar(`replay ${file}`, untilSeq !== undefined ? untilSeq + 1 : total, 'events');
      let result;
      try {
        result = withTrace(file, reader, () =>
          replayTrace(reader, file, {
            ...(untilSeq !== undefined ? { untilSeq } : {}),
            ...(atCycle !== undefined ? { atCycle } : {}),
            onProgress: (seq) => bar.update(seq),
          }),
        );
      } catch (e) {
        if (e instanceof IncompatibleTrace || e instanceof FilterError) throw new CliError(e.message);
        throw e;
      } finally {
        bar.stop();
      }
      const report = buildReport(reader, file, result);
      const inspection = opts.inspect && result.kernel ? describeMachine(result.kernel, reader, result.events - 1) : null;
      const out = new Out();
      if (opts.json) {
        out.line(JSON.stringify({ file, verdict: result.verdict, events: result.events, choices: result.choices, difference: report, inspect: inspection }));
      } else {
        if (result.verdict === 'identical') out.line(`replay ${file}: identical (${fmtInt(result.events)} events, ${fmtInt(result.choices)} choices, final state equal)`);
        else if (result.verdict === 'stopped') out.line(`replay ${file}: stopped at cycle ${fmtInt(result.kernel?.now ?? 0)} after event #${result.events - 1}; identical so far`);
        else out.line(`replay ${file}: DIVERGED`);
        if (report) for (const line of formatReport(report)) out.line(line);
        if (inspection) for (const line of formatMachine(inspection)) out.line(line);
      }
      out.flush();
      reader.close();
      if (result.verdict === 'diverged') process.exitCode = 1;
    });
}
