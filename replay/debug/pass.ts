/**
 * One machine of a replay debugging session: the trace's machine rebuilt and run forward, a round at a
 * time, with the trace it regenerates compared with the file as `replay` compares it. A pass counts the
 * guest instructions it has begun (its position). While it is the session's, the session's hook steers
 * it; parked in the checkpoint pool it runs with a hook that only counts, and waits between rounds,
 * where it holds no JavaScript stack (Kernel.runFor's pauses are invisible to the machine).
 */
import type { TraceReader } from '../../tracer/reader.js';
import type { StepHook } from '../../src/ia32/interpreter.js';
import type { Kernel } from '../../src/l4/kernel.js';
import { ReplaySession, type ReplaySessionResult } from '../../src/session/replay-session.js';
import type { MachineSetup } from '../../src/session/setup.js';
import { verifyingSinkFor } from '../replay.js';
import type { VerifyingSink } from '../verifier.js';

/** What a machine costs beyond its physical memory (kernel, Linux server, tracer, code caches), as an estimate. */
const OVERHEAD_BYTES = 24 << 20;

export class Pass {
  readonly sink: VerifyingSink;
  readonly replay: ReplaySession;
  kernel: Kernel | null = null;
  /** Guest instructions begun so far: the ordinal of the next one. */
  count = 0;
  /** The first difference from the recording, once there is one. */
  difference: string | null = null;
  /** A debugger changed its registers or memory: it no longer follows the recording and is not compared. */
  diverted = false;
  /** Where the debugger first changed it (an instruction ordinal of the recording). */
  divertedAt = -1;
  /** Set once the run has ended. */
  result: ReplaySessionResult | null = null;
  private readonly counting: StepHook;

  constructor(setup: MachineSetup, reader: TraceReader, file: string) {
    const sink = verifyingSinkFor(reader, file);
    this.sink = sink;
    sink.onDifference = () => {
      if (this.diverted) return;
      const d = sink.first();
      this.difference ??= d ? `event #${d.seq}: ${d.detail}` : 'the replay differs from the recording';
    };
    // A file cut short: its run is over once every packet it holds has been reproduced.
    sink.onPrefixComplete = () => this.kernel?.halt('every event of the cut file was reproduced: the recording ends there');
    this.replay = new ReplaySession(setup, reader, sink);
    this.counting = {
      wantsBlock: () => false,
      ranFast: (n) => void (this.count += n),
      beforeInstruction: () => void this.count++,
    };
  }

  /** Build the machine; it counts instructions from the start. */
  start(): this {
    this.replay.begin({
      onBuilt: (k) => {
        this.kernel = k;
        k.stepper = this.counting;
        if (this.sink.prefixComplete) k.halt('every event of the cut file was reproduced: the recording ends there');
      },
    });
    return this;
  }

  /** Let `hook` steer the machine (null: only count). */
  steer(hook: StepHook | null): void {
    if (this.kernel) this.kernel.stepper = hook ?? this.counting;
  }

  /** Run at most `rounds` more rounds: the result once the run has ended, else null. */
  advance(rounds: number): ReplaySessionResult | null {
    const r = this.replay.advance(rounds);
    if (r) this.result = r;
    return r;
  }

  get ended(): boolean {
    return this.result !== null;
  }

  /** Events regenerated so far. */
  get nextSeq(): number {
    return this.kernel ? this.kernel.recorder.nextSeq : 0;
  }

  /** The latest CPU clock. */
  get time(): number {
    return this.kernel ? Math.max(...this.kernel.cpus.map((c) => c.time)) : 0;
  }

  /** What keeping this machine costs, estimated (its physical memory and a fixed overhead). */
  get bytes(): number {
    return (this.kernel?.mem.bytes.length ?? 0) + OVERHEAD_BYTES;
  }
}
