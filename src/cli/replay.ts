/**
 * `l4trace replay FILE`: re-execute a trace from the file alone and check it packet by packet. Exit
 * codes: 0 identical (or stopped at the asked stop point, identical so far), 1 diverged (with the
 * divergence report) or the trace cannot be replayed, 2 a wrong command line, 3 the file was cut short
 * and every packet it holds was reproduced, 4 a budget (--max-cycles, --max-seconds) ran out first.
 * `--until SEQ` / `--at CYCLE` stop early and `--inspect` prints the machine's state there.
 * `--gdb [HOST:]PORT` serves the replay to gdb (replay/gdb); `--monitor "CMD; CMD"` runs replay
 * debugging commands (replay/debug/script.ts) and prints what they say.
 */
import type { Command } from 'commander';
import { ThreadKind } from '../../tracer/packets.js';
import { safeFileName } from '../../replay/images.js';
import { describeMachine, formatMachine } from '../../replay/inspect.js';
import { buildReport, formatReport } from '../../replay/report.js';
import { replayTrace, type ReplayResult } from '../../replay/replay.js';
import { DEFAULT_CHECKPOINT_MB, DebugSession } from '../../replay/debug/session.js';
import { ScriptController } from '../../replay/debug/script.js';
import { GdbServerError, parseGdbAddress, serveGdb } from '../../replay/gdb/server.js';
import { UsageError } from './errors.js';
import { openTrace, withTrace } from './open-trace.js';
import { intOption } from './options.js';
import { fmtInt, guardStdoutPipe, Out } from './output.js';
import { progressBar } from './progress.js';
import { refuseStdio } from './stdio.js';

interface ReplayCliOptions {
  until?: string;
  at?: string;
  maxCycles?: string;
  maxSeconds?: string;
  inspect?: boolean;
  json?: boolean;
  gdb?: string;
  images?: string;
  monitor?: string;
  checkpointMb?: string;
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
    .argument('<file>', 'trace file (.l4t; - reads it from stdin)')
    .option('--until <seq>', 'stop once the event with this sequence number has been regenerated')
    .option('--at <cycle>', 'stop at this cycle')
    .option('--max-cycles <n>', 'do not run the machine past this cycle (default: the recorded end)')
    .option('--max-seconds <s>', 'stop after this much host time (a trace from a stranger can claim a very long run)')
    .option('--inspect', 'print the machine state where the replay stopped (with --until or --at)')
    .option('--json', 'print one JSON object (verdict, difference report, inspection)')
    .option('--gdb <[host:]port>', 'serve the replay to gdb over TCP (127.0.0.1 unless a host is given; one client at a time), with reverse execution')
    .option('--images <dir>', "with --gdb: where `l4trace images` put the trace's programs (for gdb's exec-file)")
    .option('--monitor <commands>', 'run replay debugging commands separated by ";" (monitor help lists them) and print what they say')
    .option('--checkpoint-mb <n>', `with --gdb or --monitor: memory for checkpoints (parked machines), in MiB (default ${DEFAULT_CHECKPOINT_MB})`)
    .addHelpText('after', `
Examples:
  l4trace replay run.l4t
  l4trace replay run.l4t --until 500 --inspect
  l4trace images run.l4t -o prog && l4trace replay run.l4t --gdb 1234 --images prog
  l4trace replay run.l4t --monitor "goto-seq 172; events 3; thread 11.01; ipc-origin"
  l4trace record pingpong -o - | l4trace replay -`)
    .action(async (file: string, opts: ReplayCliOptions) => {
      guardStdoutPipe();
      if (opts.gdb !== undefined) return replayUnderGdb(file, opts);
      if (opts.monitor !== undefined) return replayScript(file, opts);
      if (opts.images !== undefined) throw new UsageError('--images goes with --gdb');
      if (opts.checkpointMb !== undefined) throw new UsageError('--checkpoint-mb goes with --gdb or --monitor');
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

/** `--gdb`: check the trace, then serve it until gdb leaves. */
async function replayUnderGdb(file: string, opts: ReplayCliOptions): Promise<void> {
  if (opts.until !== undefined || opts.at !== undefined || opts.inspect || opts.monitor !== undefined) throw new UsageError('--gdb: move with gdb (or monitor goto-seq / goto-cycle) instead of --until, --at, --inspect or --monitor');
  refuseStdio('--images', opts.images, 'a folder of programs (from l4trace images) is read by name; give the folder');
  const addr = parseGdbAddress(opts.gdb!);
  if (!addr) throw new UsageError(`--gdb ${JSON.stringify(opts.gdb)}: expected PORT or HOST:PORT (port 0..65535)`);
  const reader = openTrace(file);
  const first = reader.header.images[0];
  const program = first ? safeFileName(first.name.replace(/@[0-9a-f]+$/, '')) : 'PROGRAM';
  const guest = reader.threads.some((t) => t.kind === ThreadKind.IA32);
  reader.close();
  // gdb needs a program counter to stand at: a run of model code alone has none.
  if (!guest) throw new UsageError(`${file}: the run has no guest (IA32) code for gdb to stand in; its model threads can be examined with --monitor`);
  const log = (line: string): void => void process.stderr.write(`l4trace replay: ${line}\n`);
  try {
    await serveGdb(file, {
      host: addr.host,
      port: addr.port,
      checkpointMb: checkpointMb(opts),
      ...(opts.images ? { imagesDir: opts.images } : {}),
      log,
      onListening: (port) => {
        const dir = opts.images ?? 'DIR';
        log(`gdb stub for ${file} listening on ${addr.host}:${port}`);
        log(`connect with: gdb -ex 'target remote ${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${port}' ${dir}/${program}${opts.images ? '' : `   (DIR from: l4trace images ${file} -o DIR)`}`);
      },
    });
  } catch (e) {
    if (e instanceof GdbServerError) throw new UsageError(`--gdb ${opts.gdb}: ${e.message}`);
    throw e;
  }
}

/** `--monitor`: the commands in order, each with what it printed. */
function replayScript(file: string, opts: ReplayCliOptions): void {
  if (opts.until !== undefined || opts.at !== undefined || opts.inspect) throw new UsageError('--monitor: use goto-seq / goto-cycle / inspect commands instead of --until, --at, --inspect');
  const commands = opts.monitor!.split(';').map((c) => c.trim()).filter(Boolean);
  if (commands.length === 0) throw new UsageError('--monitor: no commands given (try --monitor help)');
  const reader = openTrace(file);
  const script = new ScriptController(commands);
  const mb = checkpointMb(opts);
  withTrace(file, reader, () => new DebugSession(reader, file, { checkpointMb: mb }).serve(script));
  reader.close();
  const out = new Out();
  if (opts.json) out.line(JSON.stringify({ file, steps: script.steps }));
  else
    for (const step of script.steps) {
      out.line(`(replay) ${step.command}`);
      for (const line of step.output) out.line(line);
    }
  out.flush();
}

function checkpointMb(opts: ReplayCliOptions): number {
  if (opts.checkpointMb === undefined) return DEFAULT_CHECKPOINT_MB;
  const n = intOption('checkpoint-mb', opts.checkpointMb);
  if (n > 1 << 20) throw new UsageError(`--checkpoint-mb ${n}: at most ${1 << 20} (1 TiB)`);
  return n;
}
