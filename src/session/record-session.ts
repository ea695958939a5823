/**
 * A record session (as rr's RecordSession): the machine of a setup, a tracer writing to a sink, and the
 * decision tape drawn from a seeded PRNG or OS entropy. `run` records in one go (tests, sweeps);
 * `runSlice` records about a million simulated cycles at a time, so a command can return to its event
 * loop between slices and stay responsive to Ctrl-C (src/cli/record-run.ts; tracer/atomic-output.ts
 * keeps the cut recording) while the machine sees no difference. No timers here: the caller yields.
 */
import { Outcome } from '../../tracer/packets.js';
import type { TraceSink } from '../../tracer/sink.js';
import type { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';
import { RecordingChoices } from '../sim/choices.js';
import { headerFor } from './header.js';
import { MachineRun, type RunOutcome } from './machine.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { setupForRecording, type MachineSetup } from './setup.js';
import { tracerFor } from './tracer-config.js';

export interface RecordOptions {
  entropy: 'prng' | 'os';
  console?: (fd: number, data: Uint8Array) => void;
  toolVersion: string;
  onRound?: (k: Kernel, tracer: Tracer) => void;
}

export interface RecordResult {
  run: RunOutcome;
  events: number;
  choices: number;
}

export const OUTCOME_IDS = { ok: Outcome.OK, deadlock: Outcome.DEADLOCK, hang: Outcome.HANG, fault: Outcome.FAULT, limit: Outcome.LIMIT, fail: Outcome.FAIL } as const;

/** Simulated cycles of one `runSlice`. */
const SLICE_CYCLES = 1 << 20;

export class RecordSession {
  readonly tracer: Tracer;
  private readonly machine: MachineRun;

  constructor(setup: MachineSetup, sink: TraceSink, opts: RecordOptions) {
    this.tracer = tracerFor(setup, sink, headerFor(setup, { toolVersion: opts.toolVersion, entropy: opts.entropy }));
    const tracer = this.tracer;
    const choices = new RecordingChoices(setup.spec.seed, opts.entropy, (site, value, range) => tracer.choice(site, value, range));
    const onRound = opts.onRound;
    this.machine = new MachineRun(setup, {
      recorder: tracer,
      choices,
      ...(opts.console ? { console: opts.console } : {}),
      ...(onRound ? { onRound: (k: Kernel) => onRound(k, tracer) } : {}),
    });
  }

  get kernel(): Kernel {
    return this.machine.kernel;
  }

  /** Record the whole run. */
  run(): RecordResult {
    return this.end(this.machine.step()!);
  }

  /** Record about SLICE_CYCLES more of the run: the result once it has ended, else null (call again). */
  runSlice(): RecordResult | null {
    return this.runFor(SLICE_CYCLES);
  }

  /** Record about `cycles` more of the run (at least one scheduling round): the result once it has ended, else null. */
  runFor(cycles: number): RecordResult | null {
    const stop = this.machine.step(this.machine.roundsFor(cycles));
    return stop ? this.end(stop) : null;
  }

  private end(stop: RunOutcome['stop']): RecordResult {
    const run = this.machine.complete(stop);
    const footer = finishTrace(this.tracer, run);
    return { run, events: footer.events, choices: footer.choices };
  }
}

/** Record a setup into `sink` in one go. */
export function recordSetup(setup: MachineSetup, sink: TraceSink, opts: RecordOptions): RecordResult {
  return new RecordSession(setup, sink, opts).run();
}

/** The end of a finished run's trace: the file blobs it read, then the footer (outcome, end time, final state digest, metrics). */
export function finishTrace(tracer: Tracer, run: RunOutcome) {
  return tracer.finish({
    outcome: OUTCOME_IDS[run.stop.outcome],
    outcomeDetail: run.stop.detail,
    endTime: run.endTime,
    stateDigest: run.digest,
    stateParts: run.parts,
    metrics: run.metrics,
    blobs: run.blobs,
  });
}

/** Record a scenario spec (costs from the code's defaults, given or committed images, the root file system given) into `sink`. */
export function recordScenario(
  spec: ScenarioSpec,
  sink: TraceSink,
  opts: RecordOptions & { images?: ReadonlyMap<string, Uint8Array>; untilCycles?: number; rootfs?: RootFsImage | null },
): RecordResult {
  const { images, untilCycles, rootfs, ...rest } = opts;
  const setup = setupForRecording(spec, { ...(images ? { images } : {}), ...(untilCycles !== undefined ? { untilCycles } : {}), rootfs: rootfs ?? null });
  return recordSetup(setup, sink, rest);
}
