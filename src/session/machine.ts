/**
 * A machine built from a MachineSetup and run: the kernel with its scenario loaded, the run loop
 * (whole, or a slice at a time so a caller can return to its event loop), then the scenario's metrics,
 * the comparison runs under other flavours and the final state digest. Record and replay sessions both
 * run the machine through here; only the recorder, the choices and the sink differ.
 */
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';
import type { FileBlobData } from '../../tracer/packets.js';
import { NullRecorder, type TraceRecorder } from '../../tracer/recorder.js';
import type { CostProfile } from '../l4/costs.js';
import { machineDigest, type DigestPart } from '../l4/digest.js';
import { FLAVOURS, type FlavourName } from '../l4/flavour.js';
import { GuestImage } from '../l4/guest-image.js';
import { Kernel, type StopReason } from '../l4/kernel.js';
import { kmemMetrics } from '../l4/kmem.js';
import { getScenario } from '../scenarios/registry.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { RecordingChoices, type Choices } from '../sim/choices.js';
import { trackRootfs } from './rootfs/embed.js';
import { setupForRecording, type MachineSetup } from './setup.js';

/** Model code lives at these (virtual) addresses; nothing else maps there. */
const PROGRAM_BASE = 0xc0100000;

export interface RunOptions {
  recorder: TraceRecorder;
  choices: Choices;
  /** Guest console output. */
  console?: (fd: number, data: Uint8Array) => void;
  /** Stop at this cycle (outcome `limit`) if earlier than the setup's limit. */
  untilCycles?: number;
  /** Called after every round of the run loop (progress display). */
  onRound?: (k: Kernel) => void;
  /** Called once the machine is built, before it runs (tests, inspection hooks). */
  onBuilt?: (k: Kernel) => void;
}

export interface RunOutcome {
  stop: StopReason;
  kernel: Kernel;
  endTime: number;
  metrics: { name: string; value: number; unit: string }[];
  digest: Uint8Array;
  parts: DigestPart[];
  /** The root file system's contents the run (and its comparison runs) read, sorted by hash: the trace embeds them. */
  blobs: FileBlobData[];
}

interface BuiltMachine {
  k: Kernel;
  finish: (stop: StopReason) => void;
}

/** The kernel with the scenario loaded and booted, under `flavour` with `costs`. */
function buildKernel(spec: ScenarioSpec, flavour: FlavourName, costs: CostProfile, images: ReadonlyMap<string, Uint8Array>, recorder: TraceRecorder, choices: Choices, rootfs: RootFsImage | null): BuiltMachine {
  const k = new Kernel({
    flavour: FLAVOURS[flavour],
    costs,
    cpus: spec.cpus,
    choices,
    recorder,
    physFrames: spec.physFrames,
    ...(spec.kmem !== undefined ? { kmem: spec.kmem } : {}),
    timerJitter: spec.timerJitter,
    chaos: spec.chaos,
    ...(spec.trace.functions ? { traceFunctions: spec.trace.functions } : {}),
  });
  for (const [name, data] of images) k.images.set(name, new GuestImage(name, data));
  let next = PROGRAM_BASE;
  const build = getScenario(spec.scenario).build(
    {
      k,
      spec: { ...spec, flavour },
      rootfs,
      program(p) {
        const ip = next;
        next += 0x1000;
        k.registerProgram(ip, p);
        return ip;
      },
    },
    spec.params,
  );
  const rootIp = next;
  k.registerProgram(rootIp, build.root);
  k.boot(rootIp, build.root.name);
  return { k, finish: (stop) => build.finish?.(k, stop) };
}

/** One run of the machine of a setup, which can be driven a slice at a time. */
export class MachineRun {
  readonly kernel: Kernel;
  private readonly finish: (stop: StopReason) => void;
  private readonly limit: number;
  private readonly deadline: number;
  private readonly onRound: (() => void) | undefined;
  private readonly setup: MachineSetup;
  private readonly blobs: () => FileBlobData[];

  constructor(setup: MachineSetup, opts: RunOptions) {
    const { spec } = setup;
    // Every run reads the root file system through a store that notes what it read (embed.ts).
    const tracked = trackRootfs(setup.rootfs);
    this.setup = { ...setup, rootfs: tracked.image };
    this.blobs = tracked.blobs;
    const built = buildKernel(spec, spec.flavour, setup.costs, setup.images, opts.recorder, opts.choices, this.setup.rootfs);
    this.kernel = built.k;
    this.finish = built.finish;
    if (opts.console) this.kernel.consoleSink = opts.console;
    opts.onBuilt?.(this.kernel);
    this.limit = Math.min(setup.limit, opts.untilCycles ?? Infinity);
    this.deadline = spec.deadline > 0 ? spec.deadline : Infinity;
    const onRound = opts.onRound;
    this.onRound = onRound ? () => onRound(this.kernel) : undefined;
  }

  /** Run at most `rounds` rounds; the stop reason, or null when the machine has more to do. */
  step(rounds = Infinity): StopReason | null {
    return this.kernel.runFor(this.limit, this.deadline, rounds, this.onRound);
  }

  /** After the stop: the scenario's metrics, the comparison runs, the final state. */
  complete(stop: StopReason): RunOutcome {
    const k = this.kernel;
    this.finish(stop);
    kmemMetrics(k); // only with a fixed-size pool (spec.kmem)
    const metrics = [...k.metrics];
    for (const [flavour, costs] of this.setup.sideCosts) metrics.push(...this.sideRun(flavour, costs));
    const endTime = Math.max(...k.cpus.map((c) => c.time));
    const { digest, parts } = machineDigest(k);
    return { stop, kernel: k, endTime, metrics, digest, parts, blobs: this.blobs() };
  }

  /** The scenario untraced under another flavour, stopping where the recorded run was told to stop. */
  private sideRun(flavour: FlavourName, costs: CostProfile): { name: string; value: number; unit: string }[] {
    const { spec, images } = this.setup;
    const side = buildKernel(spec, flavour, costs, images, new NullRecorder(), new RecordingChoices(spec.seed, 'prng'), this.setup.rootfs);
    side.finish(side.k.run(this.limit, this.deadline));
    return side.k.metrics;
  }

  /** Number of rounds that make about `cycles` of simulated time (for slicing a run). */
  roundsFor(cycles: number): number {
    return Math.max(1, Math.floor(cycles / this.kernel.roundCycles));
  }
}

/** Build the machine of `setup` and run it to the end. */
export function runMachine(setup: MachineSetup, opts: RunOptions): RunOutcome {
  const run = new MachineRun(setup, opts);
  return run.complete(run.step()!);
}

/** Run a scenario spec on a recording's setup (the code's cost defaults, given or committed images, the root file system given). */
export function runScenario(spec: ScenarioSpec, opts: RunOptions & { images?: ReadonlyMap<string, Uint8Array>; rootfs?: RootFsImage | null }): RunOutcome {
  const { images, rootfs, ...rest } = opts;
  return runMachine(setupForRecording(spec, { ...(images ? { images } : {}), rootfs: rootfs ?? null }), rest);
}
