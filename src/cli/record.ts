import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { hasCommittedGuest } from '../guests/catalog.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';
import { SCENARIOS } from '../scenarios/registry.js';
import { loadScenario, resolveScenario, type Overrides } from '../scenarios/resolve.js';
import { ScenarioError } from '../scenarios/spec.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { imagesFor } from '../session/setup.js';
import { DEFAULT_ENV, environment } from '../session/rootfs/environment.js';
import { UsageError } from './errors.js';
import { fmtInt, table, writeStderr, writeStdout } from './output.js';
import { progressCounter } from './progress.js';
import { isStdio, readStdin } from './stdio.js';
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
  json?: boolean;
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
  if (isStdio(arg)) return false; // a scenario file on standard input
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
  let spec = isStdio(arg) ? stdinScenario(o) : loadScenario(arg, o);
  const inputs = !isStdio(arg) && existsSync(arg) ? [arg] : [];
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

/** `record -`: a scenario file (JSON) read from standard input. */
function stdinScenario(o: Overrides): ScenarioSpec {
  const text = readStdin('record - (a scenario file)', 16 << 20).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`scenario file on standard input: not valid JSON: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ScenarioError('scenario file on standard input: expected a JSON object');
  return resolveScenario(raw as Record<string, unknown>, 'scenario file on standard input', o);
}

/** The built-in scenarios, one per line, for `record --help` (from the registry, so none is missed). */
function scenarioHelp(): string {
  const names = [...SCENARIOS.keys()];
  const width = Math.max(...names.map((n) => n.length));
  return [...SCENARIOS.values()].map((d) => `  ${d.name.padEnd(width)}  ${d.description}`).join('\n');
}

export function register(program: Command): void {
  program
    .command('record')
    .description('run a built-in scenario, a scenario file or a program (as `l4trace run` does) and record it as a trace')
    .argument('<scenario>', 'a built-in scenario (listed below; `l4trace list` shows their parameters), a scenario JSON file (- reads it from stdin), or a program: an i386 ELF file, a committed guest name, or with --rootfs an absolute path in it')
    .argument('[args...]', 'arguments of the program (when recording a program)')
    .option('-o, --out <file>', 'trace file to write (default: <scenario>.l4t, or <program>.l4t); - streams it to stdout (the summary then goes to stderr)')
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
    .option('--json', 'print one JSON object: scenario, out, outcome, detail, endCycle, us, events, bytes, choices, metrics, diagnostics')
    .addHelpText('after', () => `
Built-in scenarios:
${scenarioHelp()}

Examples:
  l4trace record signal-race --seed 1 -o race.l4t
  l4trace record pingpong --set params.rounds=500 --flavour x2
  l4trace record hello -o hello.l4t              # a committed guest program
  l4trace record my-scenario.json -o - | l4trace info -`)
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
      const toStdout = isStdio(out);
      const bound = Math.min(until ?? Infinity, spec.deadline > 0 ? spec.deadline : Infinity, spec.limit);
      const bar = progressCounter(`recording ${spec.scenario}`, Number.isFinite(bound) ? `cycles of at most ${fmtInt(bound)}` : 'cycles', opts.quiet || opts.json);
      let result;
      try {
      result = await recordToFile(spec, out, {
        inputs: rec.inputs,
        entropy: opts.entropy,
        rootfs: rec.rootfs,
        ...(rec.images ? { images: rec.images } : {}),
        ...(until !== undefined ? { untilCycles: until } : {}),
        onRound: (k, tracer) => bar.update(k.now, `${fmtInt(tracer.nextSeq)} events`),
      });
      } finally {
        bar.stop();
      }
      const { run } = result;
      const us = run.endTime / run.kernel.costs.cyclesPerUs;
      // With -o -, stdout carries the trace: what record says about it goes to stderr.
      const say = (line: string): void => (toStdout ? writeStderr : writeStdout)(line + '\n');
      if (opts.json) {
        say(
          JSON.stringify({
            scenario: spec.scenario,
            out,
            outcome: run.stop.outcome,
            detail: run.stop.detail,
            endCycle: run.endTime,
            us,
            events: result.events,
            bytes: result.bytes,
            choices: result.choices,
            metrics: run.metrics,
            diagnostics: run.kernel.diagnostics,
          }),
        );
        return;
      }
      say(`recorded ${spec.scenario} -> ${out}: outcome ${run.stop.outcome} at cycle ${fmtInt(run.endTime)} (${us.toFixed(1)} us); ${fmtInt(result.events)} events, ${fmtInt(result.bytes)} bytes, ${fmtInt(result.choices)} choices`);
      for (const d of run.kernel.diagnostics) writeStderr(`l4trace: ${d}\n`);
      if (opts.quiet) return;
      if (run.stop.outcome !== 'ok') say(`  ${run.stop.detail}`);
      if (run.metrics.length) {
        say('results');
        for (const line of table(run.metrics.map((m) => ['  ' + m.name, m.value.toLocaleString('en-US', { maximumFractionDigits: 2 }), m.unit]), new Set([1]))) say(line);
      }
    });
}
