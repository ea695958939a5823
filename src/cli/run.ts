import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { NullRecorder } from '../../tracer/recorder.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { environment } from '../session/rootfs/environment.js';
import { runScenario, type RunOutcome } from '../session/machine.js';
import { imagesFor } from '../session/setup.js';
import { RecordingChoices } from '../sim/choices.js';
import { CliError } from './errors.js';
import { intOption, TRACE_FUNCTIONS_HELP, traceFunctionsOption } from './options.js';
import { writeStderr, writeStdout } from './output.js';
import { recordToFile } from './record-run.js';
import { loadRootFs, resolveProgram } from './run-target.js';
import { refuseStdio } from './stdio.js';

interface RunCliOptions {
  trace?: string;
  seed?: string;
  cpus?: string;
  flavour?: string;
  until?: string;
  set: string[];
  /** false with --no-stdin */
  stdin: boolean;
  rootfs?: string;
  env: string[];
  strict?: boolean;
  traceFunctions?: string;
  json?: boolean;
}

const repeat = (v: string, prev: string[]): string[] => [...prev, v];

/** Whether a --set assignment sets the guest's stdin (`stdin=...` or `params.stdin=...`). */
const setsStdin = (sets: string[]): boolean => sets.some((s) => /^(params\.)?stdin=/.test(s));

/**
 * The host's standard input as the guest's, when it is not a terminal: all of it, read before the run
 * starts (it becomes the scenario parameter `stdin`, so a recorded trace replays without it). It must
 * be UTF-8 text. null: nothing to read (a terminal, or no standard input).
 */
function hostStdin(): string | null {
  if (process.stdin.isTTY) return null;
  let bytes: Buffer;
  try {
    bytes = readFileSync(0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EBADF' || code === 'EAGAIN' || code === 'EINVAL' || code === 'ENXIO') return null; // closed, or nothing to read
    throw e;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`standard input is not UTF-8 text (${bytes.length} bytes): the guest's input must be text; use --no-stdin to ignore it`);
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description(
      'run a guest program (static i386 ELF) as the first process on Linux (L4Linux unless --set personality=...). ' +
        "The guest's console output goes to stdout, what it writes to fd 2 to stderr. When stdin is not a terminal, " +
        "all of it is read before the run and becomes the guest's console input (then end of input), recorded in the " +
        'trace with the scenario so a replay needs nothing else; --set stdin=TEXT gives the input instead, --no-stdin none',
    )
    .argument('<elf>', 'ELF file, the name of a committed guest (e.g. hello), or a program in the root file system (an absolute path with --rootfs, or a name in its /bin)')
    .argument('[args...]', "arguments for the guest; options run does not know are the guest's (-c ...); after -- all are")
    .option('--trace <file>', 'record a trace at the same time')
    .option('--seed <n>', 'seed of the decision PRNG')
    .option('--cpus <n>', 'number of CPUs (with --set maxcpus=N: the L4Linux virtual CPUs go round robin on them)')
    .option('--flavour <abi>', 'kernel flavour: v2 or x2')
    .option('--until <cycles>', 'stop at this cycle')
    .option('--set <path=value>', 'override a scenario field (repeatable)', repeat, [])
    .option('--no-stdin', "do not read the host's stdin: the guest's console input is empty (or --set stdin=...)")
    .option('--rootfs <dir|tar>', 'the root file system: a directory or a tar archive, read once before the run and embedded in the trace (default: the built-in one: /bin with the committed guests and busybox if `npm run rootfs` made it, /etc, /tmp, /root, /home, /dev)')
    .option('--env <NAME=VALUE>', 'set an environment variable over the default HOME=/root LOGNAME=root PATH=/bin:/usr/bin:/sbin:/usr/sbin PWD=/ SHELL=/bin/sh TERM=vt100 USER=root (repeatable)', repeat, [])
    .option('--strict', 'stop at the first system call Linux lacks, naming it (default: it fails with ENOSYS and is counted)')
    .option('--trace-functions <mode>', `with --trace: ${TRACE_FUNCTIONS_HELP}`)
    .option('--json', "print one JSON object instead of the guest's output: program, args, outcome, detail, exitStatus, endCycle, stdout, stderr (the guest's console output as text), trace, metrics, diagnostics")
    .addHelpText('after', `
Examples:
  l4trace run hello
  l4trace run /bin/sh -c 'echo hi | wc -c' --trace sh.l4t
  echo "some input" | l4trace run cat
  l4trace run ./a.out --json | jq .exitStatus

The exit code is the guest's exit status (128 + signal number when a signal ended it).`)
    // An option `run` does not know is the program's (`/bin/sh -c '...'`); put `--` before the program's
    // arguments when one of them is also an option of `run`.
    .allowUnknownOption(true)
    .action(async (elf: string, args: string[], opts: RunCliOptions) => {
      refuseStdio('run', elf, "give a program's file or name; standard input is the guest's console input");
      refuseStdio('--trace', opts.trace, "standard output carries the guest's console output; give a file name");
      const traceFunctions = traceFunctionsOption(opts.traceFunctions);
      const rootfs = loadRootFs(opts.rootfs, true);
      const target = resolveProgram(elf, rootfs, opts.rootfs);
      const env = environment(opts.env);
      const prog = { name: target.params.program };
      const input = opts.stdin && !setsStdin(opts.set) ? hostStdin() : null;
      const params = { ...target.params, args, env, ...(opts.strict ? { strict: true } : {}), ...(input !== null ? { stdin: input } : {}) };
      const spec = resolveScenario({ scenario: 'run', params }, `run ${elf}`, {
        ...(opts.seed !== undefined ? { seed: intOption('seed', opts.seed) } : {}),
        ...(opts.cpus !== undefined ? { cpus: intOption('cpus', opts.cpus) } : {}),
        ...(opts.flavour !== undefined ? { flavour: opts.flavour } : {}),
        sets: opts.set,
        ...(traceFunctions !== undefined ? { traceFunctions } : {}),
        defaultTraceFunctions: 'auto',
      });
      // The program itself, and the committed guests it may execve.
      const images = imagesFor(spec, target.images);
      // The guest's fd 2 to the host's stderr, everything else it writes to the console to stdout. A
      // synchronous write waits while a pipe is full, so a guest that floods a slow reader holds the
      // run back instead of queueing its output in host memory.
      // With --json the guest's output is kept for the JSON object instead.
      const captured: Record<1 | 2, Uint8Array[]> = { 1: [], 2: [] };
      const console = opts.json
        ? (fd: number, data: Uint8Array): void => void captured[fd === 2 ? 2 : 1].push(Uint8Array.from(data))
        : (fd: number, data: Uint8Array): void => (fd === 2 ? writeStderr : writeStdout)(data);
      const until = opts.until !== undefined ? intOption('until', opts.until) : undefined;
      let run: RunOutcome;
      if (opts.trace) {
        const inputs = [...target.inputs, ...(opts.rootfs !== undefined ? [opts.rootfs] : [])];
        run = (await recordToFile(spec, opts.trace, { option: '--trace', inputs, entropy: 'prng', images, rootfs, console, ...(until !== undefined ? { untilCycles: until } : {}) })).run;
      } else {
        run = runScenario(spec, {
          recorder: new NullRecorder(),
          choices: new RecordingChoices(spec.seed, 'prng'),
          images,
          rootfs,
          console,
          ...(until !== undefined ? { untilCycles: until } : {}),
        });
      }
      const status = run.metrics.find((m) => m.name === 'init.exit_status');
      if (opts.json) {
        const text = (parts: Uint8Array[]): string => Buffer.concat(parts).toString('utf8');
        writeStdout(
          JSON.stringify({
            program: prog.name,
            args,
            outcome: run.stop.outcome,
            detail: run.stop.detail,
            exitStatus: status?.value ?? null,
            endCycle: run.endTime,
            stdout: text(captured[1]),
            stderr: text(captured[2]),
            trace: opts.trace ?? null,
            metrics: run.metrics,
            diagnostics: run.kernel.diagnostics,
          }) + '\n',
        );
        process.exitCode = run.stop.outcome !== 'ok' || !status ? 1 : status.value;
        return;
      }
      for (const d of run.kernel.diagnostics) writeStderr(`l4trace: ${d}\n`);
      if (run.stop.outcome !== 'ok' || !status) throw new CliError(`${prog.name} did not finish: ${run.stop.outcome}: ${run.stop.detail}`);
      if (status.value > 128) writeStderr(`l4trace: ${prog.name}: ${run.stop.detail}\n`);
      process.exitCode = status.value;
    });
}
