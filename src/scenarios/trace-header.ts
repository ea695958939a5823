/** The trace header for a recorded scenario: everything replay needs to rebuild the same machine. */
import { createHash } from 'node:crypto';
import { emptyHeader, type HeaderData } from '../../tracer/packets.js';
import { costsOf, FLAVOURS } from '../l4/flavour.js';
import { canonicalJson } from './canonical-json.js';
import { MACHINE_VERSION } from './runner.js';
import type { ScenarioSpec } from './spec.js';

export function traceHeaderFor(spec: ScenarioSpec, toolVersion: string, entropy: 'prng' | 'os', cycleLimit: number, images: ReadonlyMap<string, Uint8Array>): HeaderData {
  const costs = costsOf(FLAVOURS[spec.flavour], spec.costs);
  return {
    ...emptyHeader(),
    toolVersion,
    machineVersion: MACHINE_VERSION,
    quirks: [],
    scenarioName: spec.scenario,
    scenarioJson: canonicalJson(spec),
    flavour: spec.flavour,
    costProfileJson: canonicalJson(costs),
    entropy: entropy === 'os' ? 1 : 0,
    seed: spec.seed,
    cpus: spec.cpus,
    cyclesPerUs: costs.cyclesPerUs,
    cycleLimit,
    images: [...images].map(([name, data]) => ({ name, sha256: createHash('sha256').update(data).digest(), data })),
  };
}

export const POLICY_IDS = { flush: 0, discard: 1, overwrite: 2 } as const;
