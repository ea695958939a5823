/**
 * The composition root of the `l4trace` command. Each subcommand lives in its own file and registers
 * itself; this file only wires them up and turns failures into one-line messages and exit codes.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../../tracer/errors.js';
import { register as registerBench } from './bench.js';
import { register as registerDemo } from './demo.js';
import { register as registerDump } from './dump.js';
import { register as registerExport } from './export.js';
import { register as registerFilter } from './filter.js';
import { register as registerInfo } from './info.js';
import { register as registerQuery } from './query.js';
import { register as registerLoad } from './load.js';
import { register as registerReport } from './report.js';
import { register as registerScore } from './score.js';
import { register as registerRecord } from './record.js';
import { register as registerReplay } from './replay.js';
import { register as registerRun } from './run.js';
import { register as registerShrink } from './shrink.js';
import { register as registerSweep } from './sweep.js';
import { register as registerSweepMerge } from './sweep-merge.js';
import { register as registerView } from './view.js';
import { register as registerImages } from './images.js';
import { register as registerList } from './list.js';
import { register as registerCompletion } from './completion.js';
import { toolVersion } from './version.js';

export function buildProgram(): Command {
  const program = new Command('l4trace')
    .description('Deterministic record/replay tracing of a simulated L4 microkernel running L4Linux 2.4')
    .version(toolVersion(), '-V, --version')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of [registerDemo, registerRecord, registerReplay, registerSweep, registerSweepMerge, registerShrink, registerRun, registerInfo, registerDump, registerFilter, registerLoad, registerQuery, registerReport, registerScore, registerExport, registerView, registerImages, registerBench, registerList, registerCompletion]) register(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program).slice(1)) cmd.exitOverride();
  return program;
}

function report(message: string): void {
  process.stderr.write(`l4trace: ${message}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its one-line message (or the help / version text).
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // 'commander.help': no command was given, so the help went to stderr in place of one; a usage error.
      return 2;
    }
    if (debug) console.error(e);
    // Every error that is the input's fault is a UserError: one line, its exit code. Anything else is a bug.
    if (e instanceof UserError) {
      report(e.message);
      return e.exitCode;
    }
    report(`internal error: ${(e as Error).message ?? String(e)}${debug ? '' : ' (run with --debug for the stack trace)'}`);
    return 1;
  }
}
