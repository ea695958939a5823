/**
 * `l4trace replay FILE`: re-execute a trace from the file alone and check it packet by packet. Exit
 * codes: 0 identical (or stopped at the asked stop point, identical so far), 1 diverged (with the
 * divergence report) or the trace cannot be replayed, 2 a wrong command line, 3 the file was cut short
 * and every packet it holds was reproduced, 4 a budget (--max-cycles, --max-seconds) ran out first.
 * `--until SEQ` / `--at CYCLE` stop early and `--inspect` prints the machine's state there.
 */
import type { Command } from 'commander';
import { describeMachine, formatMachine } from '../../replay/inspect.js';
import { buildReport, formatReport } from '../../replay/report.js';
import { replayTrace, type ReplayResult } from '../../replay/replay.js';
import { UsageError } from './errors.js';
import { openTrace, withTrace } from './open-trace.js';
import { intOption } from './options.js';
import { fmtInt, guardStdoutPipe, Out } from './output.js';
import { progressBar } from './progress.js';

interface ReplayCliOptions {
  until?: string;
  at?: string;
  maxCycles?: string;
  maxSeconds?: string;
  inspect?: boolean;
  json?: boolean;
}

export const REPLAY_EXIT = { identical: 0, stopped: 0, diverged: 1, cut: 3, budget: 4 } as const;

function verdictLine(file: string, r: ReplayResult): string {
  switch (r.verdict) {
    case 'identical':
      return `replay ${file}: identical (${fmtInt(r.events)} events, ${fmtInt(r.choices)} choices, ${r.filtered ? 'the header, every kept event, the tape and the footer' : 'the same file byte for byte'}, final state equal)`;
    case 'cut':
      return `replay ${file}: cut short ${r.cut!.lastSeq >= 0 ? `after event #${r.cut!.lastSeq}` : 'before its first event'}: the prefix is identical (${fmtInt(r.cut!.packets)} packets reproduced; the rest of the run was not recorded, so its end cannot be checked)`;
    case 'stopped':
      return `replay ${file}: stopped at cycle ${fmtInt(r.kernel?.now ?? 0)} after event #${r.events - 1}; identical so far`;
    case 'budget':
      return `replay ${file}: NOT VERIFIED to the end: ${r.budget} at cycle ${fmtInt(r.kernel?.now ?? 0)} after event #${r.events - 1}; identical so far`;
    default:
      return `replay ${file}: DIVERGED`;
  }
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('re-execute a trace from the file alone and check every packet and the final state; exit 0 identical, 1 diverged, 3 cut short (prefix identical), 4 budget reached')
    .argument('<file>', 'trace file (.l4t)')
    .option('--until <seq>', 'stop once the event with this sequence number has been regenerated')
    .option('--at <cycle>', 'stop at this cycle')
    .option('--max-cycles <n>', 'do not run the machine past this cycle (default: the recorded end)')
    .option('--max-seconds <s>', 'stop after this much host time (a trace from a stranger can claim a very long run)')
    .option('--inspect', 'print the machine state where the replay stopped (with --until or --at)')
    .option('--json', 'print one JSON object (verdict, difference report, inspection)')
    .action((file: string, opts: ReplayCliOptions) => {
      guardStdoutPipe();
      if (opts.until !== undefined && opts.at !== undefined) throw new UsageError('--until and --at: give one stop point');
      if (opts.inspect && opts.until === undefined && opts.at === undefined) throw new UsageError('--inspect needs a stop point: --until SEQ or --at CYCLE');
      const untilSeq = opts.until !== undefined ? intOption('until', opts.until) : undefined;
      const atCycle = opts.at !== undefined ? intOption('at', opts.at) : undefined;
      const maxCycles = opts.maxCycles !== undefined ? intOption('max-cycles', opts.maxCycles) : undefined;
      const maxSeconds = opts.maxSeconds !== undefined ? Number(opts.maxSeconds) : undefined;
      if (maxSeconds !== undefined && !(maxSeconds > 0)) throw new UsageError(`--max-seconds ${JSON.stringify(opts.maxSeconds)}: expected a number of seconds above 0`);
      const reader = openTrace(file);
      const total = reader.footer?.nextSeq ?? 0;
      const bar = opts.json ? progressBar('', 0, '') : progressBar(`replay ${file}`, untilSeq !== undefined ? untilSeq + 1 : total, 'events');
      // The wall clock only decides when to give up; it never reaches the machine.
      const deadline = maxSeconds !== undefined ? performance.now() + maxSeconds * 1000 : Infinity;
      let result: ReplayResult;
      try {
        result = withTrace(file, reader, () =>
          replayTrace(reader, file, {
            ...(untilSeq !== undefined ? { untilSeq } : {}),
            ...(atCycle !== undefined ? { atCycle } : {}),
            ...(maxCycles !== undefined ? { maxCycles } : {}),
            ...(maxSeconds !== undefined ? { shouldStop: () => (performance.now() > deadline ? `--max-seconds ${maxSeconds} reached` : null) } : {}),
            onProgress: (seq) => bar.update(seq),
          }),
        );
      } finally {
        bar.stop();
      }
      const report = buildReport(reader, file, result);
      const inspection = opts.inspect && result.kernel ? describeMachine(result.kernel, reader, result.events - 1) : null;
      const out = new Out();
      if (opts.json) {
        out.line(JSON.stringify({ file, verdict: result.verdict, events: result.events, choices: result.choices, cut: result.cut, budget: result.budget, difference: report, inspect: inspection }));
      } else {
        out.line(verdictLine(file, result));
        if (report) for (const line of formatReport(report)) out.line(line);
        if (inspection) for (const line of formatMachine(inspection)) out.line(line);
      }
      out.flush();
      reader.close();
      process.exitCode = REPLAY_EXIT[result.verdict];
    });
}
