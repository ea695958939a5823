/**
 * Everything a run of the machine depends on, in one value: the resolved scenario, the cost profiles,
 * the guest images and the cycle limit. A recording builds it from a scenario spec and the code's
 * defaults; a replay (and shrink, inspect, a sweep's reproducer) builds it from a trace header alone,
 * validating every part and naming the file and the part when one is bad. The header stores all of it
 * (src/session/header.ts), so a trace needs nothing from the code but the machine itself.
 */
import { z } from 'zod';
import { UserError } from '../../tracer/errors.js';
import { LIMITS } from '../../tracer/limits.js';
import type { TraceReader } from '../../tracer/reader.js';
import { COST_KEYS, type CostProfile } from '../l4/costs.js';
import { costsOf, FLAVOURS, type FlavourName } from '../l4/flavour.js';
import { committedGuests, hasCommittedGuest, loadCommittedGuest } from '../guests/catalog.js';
import { ElfError, parseElf } from '../ia32/elf.js';
import { getScenario } from '../scenarios/registry.js';
import { resolveScenario } from '../scenarios/resolve.js';
import { ScenarioError, type ScenarioSpec } from '../scenarios/spec.js';
import { checkReplayable } from './versions.js';
import type { RootFsImage } from '../l4linux/vfs/rootfs-image.js';
import { rootfsFromTrace } from './rootfs/embed.js';

export interface MachineSetup {
  spec: ScenarioSpec;
  /** The cost profile of the recorded flavour. */
  costs: CostProfile;
  /** The cost profiles of the comparison runs the scenario makes under other flavours. */
  sideCosts: ReadonlyMap<FlavourName, CostProfile>;
  /** Guest images by name. */
  images: ReadonlyMap<string, Uint8Array>;
  /** The run stops (outcome `limit`) at this cycle. */
  limit: number;
  /** The root file system (metadata and a content store), or null when the run has none. */
  rootfs: RootFsImage | null;
}

/** A trace's header does not describe a machine this build can rebuild. */
export class TraceContentError extends UserError {}

/** The flavours a scenario also runs under, besides its own. */
function sideFlavours(spec: ScenarioSpec): FlavourName[] {
  const wanted = getScenario(spec.scenario).compares?.(spec.params) ?? [];
  return [...new Set(wanted)].filter((f) => f !== spec.flavour);
}

/** A recording: costs are the flavour's defaults with the spec's overrides; images given or committed. */
export function setupForRecording(spec: ScenarioSpec, opts: { images?: ReadonlyMap<string, Uint8Array>; untilCycles?: number; rootfs?: RootFsImage | null } = {}): MachineSetup {
  // The other flavour runs on its own default profile: `costs` overrides are values for the recorded flavour's.
  const sideCosts = new Map(sideFlavours(spec).map((f) => [f, costsOf(FLAVOURS[f])] as const));
  return {
    spec,
    costs: costsOf(FLAVOURS[spec.flavour], spec.costs),
    sideCosts,
    images: imagesFor(spec, opts.images),
    limit: Math.min(spec.limit, opts.untilCycles ?? Infinity),
    rootfs: opts.rootfs ?? null,
  };
}

/** The guest images a scenario needs: given ones first, else the committed guest programs. */
export function imagesFor(spec: ScenarioSpec, given: ReadonlyMap<string, Uint8Array> = new Map()): Map<string, Uint8Array> {
  const names = getScenario(spec.scenario).images?.(spec.params) ?? [];
  const out = new Map<string, Uint8Array>();
  for (const n of names) {
    const data = given.get(n) ?? (hasCommittedGuest(n) ? loadCommittedGuest(n) : null);
    if (!data) throw new ScenarioError(`scenario ${spec.scenario}: no guest program named ${JSON.stringify(n)} (have: ${committedGuests().join(', ')}; run a file of your own with \`l4trace run FILE\`)`);
    out.set(n, data);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// From a trace header

/** A cost value: a non-negative integer number of cycles (or microseconds) a machine can use. */
const costValue = z.number().int().nonnegative().max(1e9);
const CostProfileSchema = z
  .object(Object.fromEntries(COST_KEYS.map((k) => [k, costValue])) as Record<keyof CostProfile, typeof costValue>)
  .strict()
  .refine((c) => c.cyclesPerUs >= 1 && c.timesliceUs >= 1 && c.timerGranularityUs >= 1, { message: 'cyclesPerUs, timesliceUs and timerGranularityUs must be at least 1' });

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TraceContentError(`${what} is not JSON (${(e as Error).message})`);
  }
}

function costProfile(value: unknown, what: string): CostProfile {
  const r = CostProfileSchema.safeParse(value);
  if (!r.success) throw new TraceContentError(`${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(profile)'}: ${i.message}`).join('; ')}`);
  return r.data as CostProfile;
}

/**
 * The machine a trace was recorded on, rebuilt from its header alone: the scenario validated again, the
 * cost profiles validated as complete profiles, the embedded images (their hashes were checked by the
 * reader), the recorded cycle limit. Throws IncompatibleTrace (another machine version) or
 * TraceContentError naming `file` and the part of the header that is wrong.
 */
export function setupFromTrace(reader: TraceReader, file: string): MachineSetup {
  const h = reader.header;
  checkReplayable(h, file);
  const part = (name: string): string => `${file}: the header's ${name}`;
  const raw = parseJson(h.scenarioJson, part('scenario'));
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new TraceContentError(`${part('scenario')} is not a JSON object`);
  let spec: ScenarioSpec;
  try {
    spec = resolveScenario(raw as Record<string, unknown>, part('scenario'));
  } catch (e) {
    if (e instanceof ScenarioError) throw new TraceContentError(e.message);
    throw e;
  }
  const costs = costProfile(parseJson(h.costProfileJson, part('cost profile')), part('cost profile'));
  const sideCosts = new Map<FlavourName, CostProfile>();
  if (h.sideCostProfilesJson) {
    const sides = parseJson(h.sideCostProfilesJson, part('comparison cost profiles'));
    if (!sides || typeof sides !== 'object' || Array.isArray(sides)) throw new TraceContentError(`${part('comparison cost profiles')} is not a JSON object`);
    for (const [f, v] of Object.entries(sides)) {
      if (!(f in FLAVOURS)) throw new TraceContentError(`${part('comparison cost profiles')}: unknown flavour ${JSON.stringify(f)}`);
      sideCosts.set(f as FlavourName, costProfile(v, `${part('comparison cost profiles')}.${f}`));
    }
  }
  const wanted = sideFlavours(spec);
  if (wanted.length !== sideCosts.size || wanted.some((f) => !sideCosts.has(f))) {
    throw new TraceContentError(`${part('comparison cost profiles')} cover ${[...sideCosts.keys()].join(', ') || 'no flavour'}, but the scenario compares with ${wanted.join(', ') || 'none'}`);
  }
  const images = new Map(h.images.map((i) => [i.name, i.data]));
  for (const [name, data] of images) {
    // Parsed here once so a damaged program is named, not met halfway through building the machine.
    try {
      parseElf(data);
    } catch (e) {
      if (e instanceof ElfError) throw new TraceContentError(`${file}: the embedded guest program ${JSON.stringify(name)} is not a usable i386 ELF: ${e.message}`);
      throw e;
    }
  }
  for (const name of getScenario(spec.scenario).images?.(spec.params) ?? []) {
    if (!images.has(name)) throw new TraceContentError(`${file}: the scenario runs the guest program ${JSON.stringify(name)}, which the header does not embed`);
  }
  const limit = h.cycleLimit || spec.limit;
  if (limit > LIMITS.cycles) throw new TraceContentError(`${part('cycle limit')} ${limit} is beyond ${LIMITS.cycles}`);
  // A recording's limit is the scenario's or an earlier stop (record --until), never a later one.
  if (limit > spec.limit) throw new TraceContentError(`${part('cycle limit')} ${limit} is beyond the scenario's own limit ${spec.limit}`);
  return { spec, costs, sideCosts, images, limit, rootfs: rootfsFromTrace(reader) };
}
