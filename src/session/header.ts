/**
 * The trace header of a run: everything replay needs to rebuild the same machine (the resolved scenario,
 * the cost profiles, the embedded guest images, the root file system's tree, the cycle limit) and what describes the recording
 * (tool version, entropy mode, chunking). Written by a record session; a replay session builds the same
 * header from the setup it rebuilt and compares it with the recorded one byte for byte, so a header
 * whose parts disagree with each other cannot pass as identical.
 */
import { createHash } from 'node:crypto';
import { emptyHeader, type HeaderData } from '../../tracer/packets.js';
import { canonicalJson } from '../../tracer/canonical-json.js';
import type { MachineSetup } from './setup.js';
import { rootfsToTrace } from './rootfs/embed.js';
import { MACHINE_VERSION } from './versions.js';

export const ENTROPY_IDS = { prng: 0, os: 1, tape: 2 } as const;
export type EntropyName = keyof typeof ENTROPY_IDS;

export interface HeaderOptions {
  toolVersion: string;
  entropy: EntropyName;
  /** Filter rules of a reduced trace (canonical JSON), '' for none. */
  filterRules?: string;
}

export function headerFor(setup: MachineSetup, opts: HeaderOptions): HeaderData {
  const { spec, costs } = setup;
  const sides = Object.fromEntries([...setup.sideCosts].sort(([a], [b]) => a.localeCompare(b)));
  return {
    ...emptyHeader(),
    toolVersion: opts.toolVersion,
    machineVersion: MACHINE_VERSION,
    quirks: [],
    scenarioName: spec.scenario,
    scenarioJson: canonicalJson(spec),
    flavour: spec.flavour,
    costProfileJson: canonicalJson(costs),
    sideCostProfilesJson: setup.sideCosts.size > 0 ? canonicalJson(sides) : '',
    entropy: ENTROPY_IDS[opts.entropy],
    seed: spec.seed,
    cpus: spec.cpus,
    cyclesPerUs: costs.cyclesPerUs,
    cycleLimit: setup.limit,
    filterRules: opts.filterRules ?? '',
    images: [...setup.images].map(([name, data]) => ({ name, sha256: createHash('sha256').update(data).digest(), data })),
    rootfs: setup.rootfs ? rootfsToTrace(setup.rootfs) : null,
  };
}
