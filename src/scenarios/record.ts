/**
 * Recording a scenario: machine + tracer + decision tape, written to any sink (a file for `record`,
 * memory for tests and sweeps).
 */
import { Outcome } from '../../tracer/packets.js';
import type { TraceSink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
import { RecordingChoices } from '../sim/choices.js';
import { imagesFor, runScenario, type RunOutcome } from './runner.js';
import type { ScenarioSpec } from './spec.js';
import { POLICY_IDS, traceHeaderFor } from './trace-header.js';

export interface RecordOptions {
  entropy: 'prng' | 'os';
  /** Guest images to use instead of the committed ones (e.g. `l4trace run FILE`). */
  images?: ReadonlyMap<string, Uint8Array>;
  console?: (fd: number, data: Uint8Array) => void;
  toolVersion: string;
  untilCycles?: number;
  onRound?: (k: Kernel, tracer: Tracer) => void;
}

export interface RecordResult {
  run: RunOutcome;
  events: number;
  choices: number;
}

export const OUTCOME_IDS = { ok: Outcome.OK, deadlock: Outcome.DEADLOCK, hang: Outcome.HANG, fault: Outcome.FAULT, limit: Outcome.LIMIT } as const;

export function recordScenario(spec: ScenarioSpec, sink: TraceSink, opts: RecordOptions): RecordResult {
  const limit = Math.min(spec.limit, opts.untilCycles ?? Infinity);
  const images = imagesFor(spec, opts.images);
  const tracer = new Tracer(sink, traceHeaderFor(spec, opts.toolVersion, opts.entropy, limit, images), {
    chunkEvents: spec.trace.chunkEvents,
    chunkBytes: spec.trace.chunkBytes,
    policy: POLICY_IDS[spec.trace.policy],
    capacityChunks: spec.trace.capacityChunks,
  });
  const choices = new RecordingChoices(spec.seed, opts.entropy, (site, value, range) => tracer.choice(site, value, range));
  const run = runScenario(spec, {
    recorder: tracer,
    choices,
    images,
    ...(opts.console ? { console: opts.console } : {}),
    untilCycles: limit,
    ...(opts.onRound ? { onRound: (k: Kernel) => opts.onRound!(k, tracer) } : {}),
  });
  const footer = finishTrace(tracer, run);
  return { run, events: footer.events, choices: footer.choices };
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
