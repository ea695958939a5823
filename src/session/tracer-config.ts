/**
 * The one tracer configuration of a run: chunk limits and the default overflow policy come from the
 * scenario's `trace` section, the header from the session. Record, replay and shrink all build their
 * tracer here, so a replay seals chunks exactly where the recording did.
 */
import type { HeaderData } from '../../tracer/packets.js';
import type { TraceSink } from '../../tracer/sink.js';
import { Tracer, type TracerConfig } from '../../tracer/tracer.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import type { MachineSetup } from './setup.js';

export const POLICY_IDS = { flush: 0, discard: 1, overwrite: 2 } as const;

export function tracerConfigOf(spec: ScenarioSpec): TracerConfig {
  return {
    chunkEvents: spec.trace.chunkEvents,
    chunkBytes: spec.trace.chunkBytes,
    policy: POLICY_IDS[spec.trace.policy],
    capacityChunks: spec.trace.capacityChunks,
  };
}

export function tracerFor(setup: MachineSetup, sink: TraceSink, header: HeaderData): Tracer {
  return new Tracer(sink, header, tracerConfigOf(setup.spec));
}
