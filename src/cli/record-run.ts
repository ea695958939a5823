/**
 * Record a resolved scenario into a trace file: the composition of machine, tracer and file writer that
 * `record`, `demo` and `sweep` share.
 */
import { FileSink } from '../../tracer/file-writer.js';
import { Outcome } from '../../tracer/packets.js';
import { Tracer } from '../../tracer/tracer.js';
import type { Kernel } from '../l4/kernel.js';
import { runScenario, type RunOutcome } from '../scenarios/runner.js';
import type { ScenarioSpec } from '../scenarios/spec.js';
import { POLICY_IDS, traceHeaderFor } from '../scenarios/trace-header.js';
import { RecordingChoices } from '../sim/choices.js';
import { toolVersion } from './version.js';

export interface RecordOptions {
  entropy: 'prng' | 'os';
  untilCycles?: number;
  onRound?: (k: Kernel, tracer: Tracer) => void;
}

export interface RecordResult {
  run: RunOutcome;
  events: number;
  choices: number;
  bytes: number;
}

export const OUTCOME_IDS = { ok: Outcome.OK, deadlock: Outcome.DEADLOCK, hang: Outcome.HANG, fault: Outcome.FAULT, limit: Outcome.LIMIT } as const;

export function recordToFile(spec: ScenarioSpec, out: string, opts: RecordOptions): RecordResult {
  const limit = Math.min(spec.limit, opts.untilCycles ?? Infinity);
  const sink = new FileSink(out);
  try {
    const tracer = new Tracer(sink, traceHeaderFor(spec, toolVersion(), opts.entropy, limit), {
      chunkEvents: spec.trace.chunkEvents,
      chunkBytes: spec.trace.chunkBytes,
      policy: POLICY_IDS[spec.trace.policy],
      capacityChunks: spec.trace.capacityChunks,
    });
    const choices = new RecordingChoices(spec.seed, opts.entropy, (site, value, range) => tracer.choice(site, value, range));
    const run = runScenario(spec, {
      recorder: tracer,
      choices,
      ...(opts.untilCycles !== undefined ? { untilCycles: opts.untilCycles } : {}),
      ...(opts.onRound ? { onRound: (k: Kernel) => opts.onRound!(k, tracer) } : {}),
    });
    const footer = tracer.finish({
      outcome: OUTCOME_IDS[run.stop.outcome],
      outcomeDetail: run.stop.detail,
      endTime: run.endTime,
      stateDigest: run.digest,
      stateParts: run.parts,
      metrics: run.metrics,
    });
    return { run, events: footer.events, choices: footer.choices, bytes: sink.size };
  } catch (e) {
    const partial = sink.abandon();
    (e as Error).message += ` (what was recorded so far is in ${partial})`;
    throw e;
  }
}
