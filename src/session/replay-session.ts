/**
 * A replay session (as rr's ReplaySession): the machine rebuilt from a trace header alone, fed the
 * recorded decision tape, regenerating its trace into a sink the caller gives (replay/'s verifier
 * compares it with the file as a stream). It stops at the end of the run, at a stop point (an event's
 * sequence number, a cycle), at a cycle budget, when the sink asks (a difference, the end of a cut
 * file), or when the tape no longer fits the run.
 */
import type { TraceReader } from '../../tracer/reader.js';
import type { TraceSink } from '../../tracer/sink.js';
import type { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
import { TapeChoices, TapeDivergence, type TapeEntry } from '../sim/choices.js';
import { ENTROPY_IDS, headerFor, type EntropyName } from './header.js';
import { MachineRun, type RunOutcome } from './machine.js';
import type { MachineSetup } from './setup.js';
import { tracerFor } from './tracer-config.js';

export interface ReplayStops {
  /** Stop once the event with this sequence number has been regenerated. */
  untilSeq?: number;
  /** Stop at this cycle. */
  atCycle?: number;
  /** Never run past this cycle (the budget; default: the recorded end time). */
  maxCycles?: number;
  /** Called after every round of the run loop (progress, wall-clock budgets). */
  onRound?: (k: Kernel, tracer: Tracer) => void;
  /** Called once the machine is built, before it runs. */
  onBuilt?: (k: Kernel) => void;
}

export interface ReplaySessionResult {
  /** The finished run (null when the tape diverged before the machine stopped). */
  run: RunOutcome | null;
  kernel: Kernel | null;
  tracer: Tracer;
  /** The tape no longer fitted what the machine asked. */
  tapeDivergence: TapeDivergence | null;
  /** Choices consumed. */
  tapePosition: number;
  /** The cycle the run was allowed to reach. */
  until: number;
}

/** The recorded decision tape as entries for TapeChoices. */
export function recordedTape(reader: TraceReader): TapeEntry[] {
  const t = reader.tape();
  return t.sites.map((site, i) => ({ site, value: t.values[i]!, range: t.ranges[i]! }));
}

const ENTROPY_NAMES = Object.fromEntries(Object.entries(ENTROPY_IDS).map(([k, v]) => [v, k])) as Record<number, EntropyName>;

export class ReplaySession {
  readonly tracer: Tracer;
  private readonly choices: TapeChoices;
  private machine: MachineRun | null = null;

  constructor(
    private readonly setup: MachineSetup,
    reader: TraceReader,
    sink: TraceSink,
  ) {
    const h = reader.header;
    // The header is rebuilt from the setup, not copied: the sink compares it with the recorded one.
    const header = headerFor(setup, { toolVersion: h.toolVersion, entropy: ENTROPY_NAMES[h.entropy] ?? 'prng', filterRules: h.filterRules });
    this.tracer = tracerFor(setup, sink, header);
    const tracer = this.tracer;
    this.choices = new TapeChoices(recordedTape(reader), (s, v, r) => tracer.choice(s, v, r));
    this.endTime = reader.footer ? reader.footer.endTime : undefined;
  }

  private readonly endTime: number | undefined;

  /** The machine, once built (a tape divergence can happen while the scenario is being built). */
  get kernel(): Kernel | null {
    return this.machine?.kernel ?? null;
  }

  run(stops: ReplayStops = {}): ReplaySessionResult {
    this.begin(stops);
    return this.advance(Infinity)!;
  }

  private until = 0;
  /** The run's result, once it has one (a divergence while building, or the end). */
  private result: ReplaySessionResult | null = null;

  /** Build the machine (a run in slices: `advance`). */
  begin(stops: ReplayStops = {}): void {
    // A replay never needs to run past the recorded end; a cut file's end is not known.
    let until = this.endTime !== undefined ? Math.min(this.setup.limit, this.endTime + 1) : this.setup.limit;
    if (stops.maxCycles !== undefined) until = Math.min(until, stops.maxCycles);
    if (stops.atCycle !== undefined) until = Math.min(until, stops.atCycle);
    this.until = until;
    const onRound = stops.onRound;
    try {
      this.machine = new MachineRun(this.setup, {
        recorder: this.tracer,
        choices: this.choices,
        untilCycles: until,
        onBuilt: (k) => {
          if (stops.untilSeq !== undefined) k.stopAfterSeq = stops.untilSeq;
          stops.onBuilt?.(k);
        },
        ...(onRound ? { onRound: (k: Kernel) => onRound(k, this.tracer) } : {}),
      });
    } catch (e) {
      if (!(e instanceof TapeDivergence)) throw e;
      this.result = this.ended(null, e);
    }
  }

  /**
   * Run at most `rounds` more rounds of the machine: the result once the run has ended, else null (a
   * later call goes on exactly where this one paused; the pause is invisible to the machine).
   */
  advance(rounds: number): ReplaySessionResult | null {
    if (this.result) return this.result;
    try {
      const stop = this.machine!.step(rounds);
      if (stop === null) return null;
      this.result = this.ended(this.machine!.complete(stop), null);
    } catch (e) {
      if (!(e instanceof TapeDivergence)) throw e;
      this.result = this.ended(null, e);
    }
    return this.result;
  }

  private ended(run: RunOutcome | null, tapeDivergence: TapeDivergence | null): ReplaySessionResult {
    return { run, kernel: this.kernel, tracer: this.tracer, tapeDivergence, tapePosition: this.choices.position, until: this.until };
  }
}
