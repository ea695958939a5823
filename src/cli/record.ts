import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { hasCommittedGuest } from '../guests/catalog.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';
import { SCENARIOS } from '../scenarios/registry.js';
import { loadScenario, resolveScenario, type Overrides } from '../scenarios/resolve.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { imagesFor } from '../session/setup.js';
import { DEFAULT_ENV, environment } from '../session/rootfs/environment.js';
import { UsageError } from './errors.js';
import { fmtInt, progressWanted, table } from './output.js';
import { recordToFile } from './record-run.js';
import { intOption, TRACE_FUNCTIONS_HELP, traceFunctionsOption } from './options.js';
import { checkRootFsProgram, loadRootFs, resolveProgram } from './run-target.js';

interface RecordCliOptions {
  out?: string;
  seed?: string;
  entropy: string;
  cpus?: string;
  flavour?: string;
  until?: string;
  set: string[];
  quiet?: boolean;
  rootfs?: string;
  env: string[];
  strict?: boolean;
  traceFunctions?: string;
}

/** What a recording runs: the resolved spec, images, root file system, and the host files it read. */
interface Recording {
  spec: ScenarioSpec;
  images?: Map<string, Uint8Array>;
  rootfs: RootFsImage | null;
  inputs: string[];
  /** The default output file. */
  out: string;
}

const repeat = (v: string, prev: string[]): string[] => [...prev, v];

/** Whether the file starts with the ELF magic. */
function isElfFile(path: string): boolean {
  if (!statSync(path).isFile()) return false;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/** `record ARG` records a program (as `run --trace` does) when ARG is no built-in scenario and names a program. */
function isProgram(arg: string, rootfsGiven: boolean): boolean {
  if (SCENARIOS.has(arg) && !existsSync(arg)) return false;
  if (existsSync(arg)) return isElfFile(arg);
  return hasCommittedGuest(arg) || (rootfsGiven && arg.startsWith('/'));
}

/** A program, on the root file system given or the built-in one, with the default environment. */
function programRecording(arg: string, args: string[], opts: RecordCliOptions, o: Overrides): Recording {
  const rootfs = loadRootFs(opts.rootfs, true);
  const target = resolveProgram(arg, rootfs, opts.rootfs);
  const params = { ...target.params, args, env: environment(opts.env), ...(opts.strict ? { strict: true } : {}) };
  const spec = resolveScenario({ scenario: 'run', params }, `record ${arg}`, o);
  const inputs = [...target.inputs, ...(opts.rootfs !== undefined ? [opts.rootfs] : [])];
  return { spec, images: imagesFor(spec, target.images), rootfs, inputs, out: `${target.params.program}.l4t` };
}

/** A built-in scenario or a scenario file; the run scenario takes --rootfs, --env and --strict. */
function scenarioRecording(arg: string, args: string[], opts: RecordCliOptions, o: Overrides): Recording {
  const option = args.find((a) => a.startsWith('-'));
  if (option) throw new UsageError(`unknown option '${option}'`);
  if (args.length > 0) throw new UsageError(`record ${arg}: unexpected arguments ${args.join(' ')} (arguments go to a program; a scenario takes --set)`);
  let spec = loadScenario(arg, o);
  const inputs = existsSync(arg) ? [arg] : [];
  if (spec.scenario !== 'run') {
    if (opts.rootfs !== undefined || opts.env.length > 0 || opts.strict) throw new UsageError(`--rootfs, --env and --strict apply to the run scenario or a program, not to scenario ${spec.scenario}`);
    return { spec, rootfs: null, inputs, out: `${spec.scenario}.l4t` };
  }
  const rootfs = loadRootFs(opts.rootfs, false);
  const p = spec.params as { env: string[]; path?: string };
  if (p.path !== undefined) {
    if (!rootfs) throw new UsageError(`${arg}: params.path ${p.path} names a program in a root file system: give --rootfs`);
    checkRootFsProgram(p.path, rootfs, opts.rootfs);
  }
  // The default environment comes with a root file system, unless the scenario sets its own.
  const base = p.env.length > 0 ? p.env : rootfs ? DEFAULT_ENV : [];
  const env = rootfs || opts.env.length > 0 ? environment(opts.env, base) : p.env;
  spec = resolveScenario({ ...spec, params: { ...spec.params, env, ...(opts.strict ? { strict: true } : {}) } }, `record ${arg}`);
  return { spec, rootfs, inputs: [...inputs, ...(opts.rootfs !== undefined ? [opts.rootfs] : [])], out: `${spec.scenario}.l4t` };
}

export function register(program: Command): void {
  program
    .command('record')
    .description('run a built-in scenario, a scenario file or a program (as `l4trace run` does) and record it as a trace')
    .argument('<scenario>', 'built-in scenario name (pingpong, irq, clients-server, run ...), a scenario JSON file, or a program: an i386 ELF file, a committed guest name, or with --rootfs an absolute path in it')
    .argument('[args...]', 'arguments of the program (when recording a program)')
    .option('-o, --out <file>', 'trace file to write (default: <scenario>.l4t, or <program>.l4t)')
    .option('--seed <n>', 'seed of the decision PRNG')
    .option('--entropy <source>', 'where decisions come from: prng (reproducible from the seed) or os', 'prng')
    .option('--cpus <n>', 'number of CPUs')
    .option('--flavour <abi>', 'kernel flavour: v2 (Fiasco) or x2 (Pistachio)')
    .option('--until <cycles>', 'stop at this cycle (outcome limit)')
    .option('--set <path=value>', 'override a scenario field (repeatable), e.g. --set params.rounds=500', repeat, [])
    .option('--rootfs <dir|tar>', 'the run scenario or a program: the root file system (a directory or a tar archive, read once and embedded in the trace); a program gets the built-in one without it')
    .option('--env <NAME=VALUE>', 'the run scenario or a program: set an environment variable over the default one that comes with a root file system (repeatable)', repeat, [])
    .option('--strict', 'the run scenario or a program: stop at the first system call Linux lacks, naming it')
    .option('--trace-functions <mode>', TRACE_FUNCTIONS_HELP)
    .option('-q, --quiet', 'print only the outcome line')
    // As `run`: an option record does not know is the program's (`/bin/sh -c '...'`).
    .allowUnknownOption(true)
    .action(async (scenario: string, args: string[], opts: RecordCliOptions) => {
      if (opts.entropy !== 'prng' && opts.entropy !== 'os') throw new UsageError(`--entropy ${JSON.stringify(opts.entropy)}: expected prng or os`);
      const traceFunctions = traceFunctionsOption(opts.traceFunctions);
      const overrides: Overrides = {
        ...(traceFunctions !== undefined ? { traceFunctions } : {}),
        defaultTraceFunctions: 'auto',
        ...(opts.seed !== undefined ? { seed: intOption('seed', opts.seed) } : {}),
        ...(opts.cpus !== undefined ? { cpus: intOption('cpus', opts.cpus) } : {}),
        ...(opts.flavour !== undefined ? { flavour: opts.flavour } : {}),
        sets: opts.set,
      };
      const rec = isProgram(scenario, opts.rootfs !== undefined) ? programRecording(scenario, args, opts, overrides) : scenarioRecording(scenario, args, opts, overrides);
      const { spec } = rec;
      const until = opts.until !== undefined ? intOption('until', opts.until) : undefined;
      const out = opts.out ?? rec.out;
      const tty = progressWanted() && !opts.quiet;
      let lastDraw = 0;
      const result = await recordToFile(spec, out, {
        inputs: rec.inputs,
        entropy: opts.entropy,
        rootfs: rec.rootfs,
        ...(rec.images ? { images: rec.images } : {}),
        ...(until !== undefined ? { untilCycles: until } : {}),
        ...(tty
          ? {
              onRound: (k, tracer) => {
                const now = Date.now();
                if (now - lastDraw < 100) return;
                lastDraw = now;
                process.stderr.write(`\rrecording ${spec.scenario}: cycle ${fmtInt(k.now)}, ${fmtInt(tracer.nextSeq)} events\x1b[K`);
              },
            }
          : {}),
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const { run } = result;
      const us = run.endTime / run.kernel.costs.cyclesPerUs;
      console.log(
        `recorded ${spec.scenario} -> ${out}: outcome ${run.stop.outcome} at cycle ${fmtInt(run.endTime)} (${us.toFixed(1)} us); ${fmtInt(result.events)} events, ${fmtInt(result.bytes)} bytes, ${fmtInt(result.choices)} choices`,
      );
      for (const d of run.kernel.diagnostics) process.stderr.write(`l4trace: ${d}\n`);
      if (opts.quiet) return;
      if (run.stop.outcome !== 'ok') console.log(`  ${run.stop.detail}`);
      if (run.metrics.length) {
        console.log('results');
        for (const line of table(run.metrics.map((m) => ['  ' + m.name, m.value.toLocaleString('en-US', { maximumFractionDigits: 2 }), m.unit]), new Set([1]))) console.log(line);
      }
    });
}
