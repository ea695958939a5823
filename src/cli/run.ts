import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { NullRecorder } from '../../tracer/recorder.js';
import { hasCommittedGuest, loadCommittedGuest } from '../guests/catalog.js';
import { ElfError, parseElf } from '../ia32/elf.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { runScenario, type RunOutcome } from '../session/machine.js';
import { imagesFor } from '../session/setup.js';
import { RecordingChoices } from '../sim/choices.js';
import { CliError } from './errors.js';
import { intOption } from './options.js';
import { writeStderr, writeStdout } from './output.js';
import { recordToFile } from './record-run.js';

interface RunCliOptions {
  trace?: string;
  seed?: string;
  flavour?: string;
  until?: string;
  set: string[];
  /** false with --no-stdin */
  stdin: boolean;
}

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

/** A guest program from a file path or a committed guest name. */
function loadProgram(arg: string): { name: string; data: Uint8Array } {
  let data: Uint8Array;
  let name: string;
  if (existsSync(arg) && statSync(arg).isFile()) {
    data = readFileSync(arg);
    name = basename(arg).replace(/[^A-Za-z0-9._-]/g, '_') || 'program';
  } else if (hasCommittedGuest(arg)) {
    data = loadCommittedGuest(arg);
    name = arg;
  } else {
    throw new CliError(`${arg}: no such file, and not a committed guest program (see src/guests/bin)`);
  }
  try {
    parseElf(data);
  } catch (e) {
    if (e instanceof ElfError) throw new CliError(`${arg}: ${e.message}`);
    throw e;
  }
  return { name, data };
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
    .argument('<elf>', 'ELF file, or the name of a committed guest (e.g. hello)')
    .argument('[args...]', 'arguments for the guest')
    .option('--trace <file>', 'record a trace at the same time')
    .option('--seed <n>', 'seed of the decision PRNG')
    .option('--flavour <abi>', 'kernel flavour: v2 or x2')
    .option('--until <cycles>', 'stop at this cycle')
    .option('--set <path=value>', 'override a scenario field (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--no-stdin', "do not read the host's stdin: the guest's console input is empty (or --set stdin=...)")
    .allowUnknownOption(false)
    .action(async (elf: string, args: string[], opts: RunCliOptions) => {
      const prog = loadProgram(elf);
      const input = opts.stdin && !setsStdin(opts.set) ? hostStdin() : null;
      const spec = resolveScenario({ scenario: 'run', params: { program: prog.name, args, ...(input !== null ? { stdin: input } : {}) } }, `run ${elf}`, {
        ...(opts.seed !== undefined ? { seed: intOption('seed', opts.seed) } : {}),
        ...(opts.flavour !== undefined ? { flavour: opts.flavour } : {}),
        sets: opts.set,
      });
      // The program itself, and the committed guests it may execve.
      const images = imagesFor(spec, new Map([[prog.name, prog.data]]));
      // The guest's fd 2 to the host's stderr, everything else it writes to the console to stdout. A
      // synchronous write waits while a pipe is full, so a guest that floods a slow reader holds the
      // run back instead of queueing its output in host memory.
      const console = (fd: number, data: Uint8Array): void => (fd === 2 ? writeStderr : writeStdout)(data);
      const until = opts.until !== undefined ? intOption('until', opts.until) : undefined;
      let run: RunOutcome;
      if (opts.trace) {
        run = (await recordToFile(spec, opts.trace, { option: '--trace', inputs: [elf], entropy: 'prng', images, console, ...(until !== undefined ? { untilCycles: until } : {}) })).run;
      } else {
        run = runScenario(spec, {
          recorder: new NullRecorder(),
          choices: new RecordingChoices(spec.seed, 'prng'),
          images,
          console,
          ...(until !== undefined ? { untilCycles: until } : {}),
        });
      }
      for (const d of run.kernel.diagnostics) writeStderr(`l4trace: ${d}\n`);
      const status = run.metrics.find((m) => m.name === 'init.exit_status');
      if (run.stop.outcome !== 'ok' || !status) throw new CliError(`${prog.name} did not finish: ${run.stop.outcome}: ${run.stop.detail}`);
      if (status.value > 128) writeStderr(`l4trace: ${prog.name}: ${run.stop.detail}\n`);
      process.exitCode = status.value;
    });
}
