/**
 * A record session (as rr's RecordSession): the machine of a setup, a tracer writing to a sink, and the
 * decision tape drawn from a seeded PRNG or OS entropy. `run` records in one go (tests, sweeps);
 * `runCooperatively` hands control back to the event loop about every million simulated cycles, so a
 * command stays responsive to Ctrl-C (tracer/atomic-output.ts keeps the cut recording) while the
 * machine sees no difference.
 */
import { Outcome } from '../../tracer/packets.js';
import type { TraceSink } from '../../tracer/sink.js';
import type { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
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

export const OUTCOME_IDS = { ok: Outcome.OK, deadlock: Outcome.DEADLOCK, hang: Outcome.HANG, fault: Outcome.FAULT, limit: Outcome.LIMIT } as const;

/** Simulated cycles between two returns to the event loop in `runCooperatively`. */
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

  /** Record the whole run, returning to the event loop between slices of simulated time. */
  async runCooperatively(): Promise<RecordResult> {
    const rounds = this.machine.roundsFor(SLICE_CYCLES);
    for (;;) {
      const stop = this.machine.step(rounds);
      if (stop) return this.end(stop);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
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

/** The footer of a finished run: outcome, end time, final state digest, metrics. */
export function finishTrace(tracer: Tracer, run: RunOutcome) {
  return tracer.finish({
    outcome: OUTCOME_IDS[run.stop.outcome],
    outcomeDetail: run.stop.detail,
    endTime: run.endTime,
    stateDigest: run.digest,
    stateParts: run.parts,
    metrics: run.metrics,
  });
}

/** Record a scenario spec (costs from the code's defaults, given or committed images) into `sink`. */
export function recordScenario(
  spec: ScenarioSpec,
  sink: TraceSink,
  opts: RecordOptions & { images?: ReadonlyMap<string, Uint8Array>; untilCycles?: number },
): RecordResult {
  const { images, untilCycles, ...rest } = opts;
  const setup = setupForRecording(spec, { ...(images ? { images } : {}), ...(untilCycles !== undefined ? { untilCycles } : {}) });
  return recordSetup(setup, sink, rest);
}
