/**
 * Builds the machine for a resolved scenario and runs it. Used by `record` and (with a tape instead of a
 * seed) by replay: everything the run depends on is in the spec, which the trace header stores.
 */
import { NullRecorder, type TraceRecorder } from '../../tracer/recorder.js';
import { costsOf, FLAVOURS, type FlavourName } from '../l4/flavour.js';
import { Kernel, type StopReason } from '../l4/kernel.js';
import { RecordingChoices, type Choices } from '../sim/choices.js';
import { machineDigest, type DigestPart } from '../l4/digest.js';
import { GuestImage } from '../l4/guest-image.js';
import { getScenario } from './registry.js';
import type { ScenarioSpec } from './spec.js';
import { loadCommittedGuest } from '../guests/catalog.js';

/** Behaviour version of the machine. Bump whenever the same spec and tape would give different events. */
export const MACHINE_VERSION = 3;

/** Model code lives at these (virtual) addresses; nothing else maps there. */
const PROGRAM_BASE = 0xc0100000;

export interface RunOptions {
  recorder: TraceRecorder;
  choices: Choices;
  /** Guest images by name (from imagesFor, or a trace header). */
  images: ReadonlyMap<string, Uint8Array>;
  /** Guest console output. */
  console?: (fd: number, data: Uint8Array) => void;
  /** Stop at this cycle (outcome `limit`) if earlier than the spec's limit. */
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
}

export function buildKernel(
  spec: ScenarioSpec,
  recorder: TraceRecorder,
  choices: Choices,
  images: ReadonlyMap<string, Uint8Array>,
): { k: Kernel; finish: (stop: StopReason) => void; compare: FlavourName[] } {
  const flavour = FLAVOURS[spec.flavour];
  const k = new Kernel({
    flavour,
    costs: costsOf(flavour, spec.costs),
    cpus: spec.cpus,
    choices,
    recorder,
    physFrames: spec.physFrames,
    timerJitter: spec.timerJitter,
    chaos: spec.chaos,
  });
  for (const [name, data] of images) k.images.set(name, new GuestImage(name, data));
  const def = getScenario(spec.scenario);
  let next = PROGRAM_BASE;
  const build = def.build(
    {
      k,
      spec,
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
  return { k, finish: (stop) => build.finish?.(k, stop), compare: build.compare ?? [] };
}

export function runScenario(spec: ScenarioSpec, opts: RunOptions): RunOutcome {
  const { k, finish, compare } = buildKernel(spec, opts.recorder, opts.choices, opts.images);
  if (opts.console) k.consoleSink = opts.console;
  opts.onBuilt?.(k);
  const limit = Math.min(spec.limit, opts.untilCycles ?? Infinity);
  const stop = k.run(limit, spec.deadline > 0 ? spec.deadline : Infinity, opts.onRound ? () => opts.onRound!(k) : undefined);
  finish(stop);
  const metrics = [...k.metrics];
  for (const f of compare) {
    if (f === spec.flavour) continue;
    // The other flavour runs on its own cost profile: `costs` overrides are values for the recorded
    // flavour's profile. It stops where the recorded run was told to stop.
    const side = buildKernel({ ...spec, flavour: f, costs: {} }, new NullRecorder(), new RecordingChoices(spec.seed, 'prng'), opts.images);
    const sideStop = side.k.run(limit, spec.deadline > 0 ? spec.deadline : Infinity);
    side.finish(sideStop);
    metrics.push(...side.k.metrics);
  }
  const endTime = Math.max(...k.cpus.map((c) => c.time));
  const { digest, parts } = machineDigest(k);
  return { stop, kernel: k, endTime, metrics, digest, parts };
}

/** The guest images a scenario needs: given ones first, else the committed guest programs. */
export function imagesFor(spec: ScenarioSpec, given: ReadonlyMap<string, Uint8Array> = new Map()): Map<string, Uint8Array> {
  const names = getScenario(spec.scenario).images?.(spec.params) ?? [];
  const out = new Map<string, Uint8Array>();
  for (const n of names) out.set(n, given.get(n) ?? loadCommittedGuest(n));
  return out;
}
