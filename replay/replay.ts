/**
 * Replay: rebuild the machine from a trace alone (the header's scenario, embedded guest images and cost
 * profile), feed it the recorded decision tape, regenerate every event into a VerifyingSink that
 * compares with the file as a stream, and compare the final state. The machine stops at the first
 * difference; `untilSeq` / `atCycle` stop it early for inspection.
 */
import type { TraceEvent, TraceReader } from '../tracer/reader.js';
import { Tracer } from '../tracer/tracer.js';
import type { Kernel } from '../src/l4/kernel.js';
import { finishTrace } from '../src/scenarios/record.js';
import { resolveScenario } from '../src/scenarios/resolve.js';
import { runScenario, type RunOutcome } from '../src/scenarios/runner.js';
import type { ScenarioSpec } from '../src/scenarios/spec.js';
import { POLICY_IDS } from '../src/scenarios/trace-header.js';
import { TapeChoices, TapeDivergence, type TapeEntry } from '../src/sim/choices.js';
import { machineDigest } from '../src/l4/digest.js';
import { EventSelector, parseFilterRules } from './filter.js';
import { checkReplayable } from './versions.js';
import { VerifyingSink, type Difference } from './verifier.js';

export interface ReplayOptions {
  /** Stop once the event with this sequence number has been regenerated. */
  untilSeq?: number;
  /** Stop at this cycle. */
  atCycle?: number;
  /** Progress: events regenerated so far, of the recorded total. */
  onProgress?: (seq: number, total: number) => void;
}

export interface ReplayResult {
  verdict: 'identical' | 'diverged' | 'stopped';
  difference: Difference | null;
  /** The tape position when the difference arose (tape divergences) or at the end. */
  tapePosition: number;
  events: number;
  choices: number;
  spec: ScenarioSpec;
  /** The machine (null when the tape diverged while the scenario was still being built). */
  kernel: Kernel | null;
  sink: VerifyingSink;
  run: RunOutcome | null;
}

/** The recorded decision tape as entries for TapeChoices. */
export function recordedTape(reader: TraceReader): TapeEntry[] {
  const t = reader.tape();
  return t.sites.map((site, i) => ({ site, value: t.values[i]!, range: t.ranges[i]! }));
}

/** The scenario a trace was recorded from, validated again. */
export function recordedSpec(reader: TraceReader, file: string): ScenarioSpec {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(reader.header.scenarioJson) as Record<string, unknown>;
  } catch {
    throw new Error(`${file}: the header's scenario is not JSON`);
  }
  return resolveScenario(raw, `${file} (recorded scenario)`);
}

export function recordedImages(reader: TraceReader): Map<string, Uint8Array> {
  return new Map(reader.header.images.map((i) => [i.name, i.data]));
}

export function replayTrace(reader: TraceReader, file: string, opts: ReplayOptions = {}): ReplayResult {
  checkReplayable(reader.header, file);
  const spec = recordedSpec(reader, file);
  const selector = reader.header.filterRules
    ? new EventSelector(
        parseFilterRules(reader.header.filterRules),
        (id) => sink.strings[id] ?? '',
        (i) => {
          const t = sink.threads[i];
          return { name: t ? (sink.strings[t.name] ?? '') : '', task: t?.task ?? 0 };
        },
      )
    : null;
  const sink: VerifyingSink = new VerifyingSink(reader, selector);
  const tracer = new Tracer(sink, reader.header, {
    chunkEvents: spec.trace.chunkEvents,
    chunkBytes: spec.trace.chunkBytes,
    policy: POLICY_IDS[spec.trace.policy],
    capacityChunks: spec.trace.capacityChunks,
  });
  const choices = new TapeChoices(recordedTape(reader), (s, v, r) => tracer.choice(s, v, r));
  const footer = reader.footer;
  const recordedLimit = reader.header.cycleLimit || spec.limit;
  // A replay that diverges might run on: it never needs to go past the recorded end.
  let until = footer ? Math.min(recordedLimit, footer.endTime + 1) : recordedLimit;
  if (opts.atCycle !== undefined) until = Math.min(until, opts.atCycle);
  const stopsEarly = opts.atCycle !== undefined || opts.untilSeq !== undefined;
  let kernel: Kernel | undefined;
  sink.onDifference = () => kernel?.halt('replay found a difference');
  const total = footer?.nextSeq ?? 0;
  let run: RunOutcome | null = null;
  let tapeDiff: Difference | null = null;
  try {
    run = runScenario(spec, {
      recorder: tracer,
      choices,
      images: recordedImages(reader),
      untilCycles: until,
      onBuilt: (k) => {
        kernel = k;
        if (opts.untilSeq !== undefined) k.stopAfterSeq = opts.untilSeq;
      },
      ...(opts.onProgress ? { onRound: () => opts.onProgress!(tracer.nextSeq, total) } : {}),
    });
  } catch (e) {
    if (!(e instanceof TapeDivergence)) throw e;
    const current = kernel?.exec.current;
    tapeDiff = {
      seq: tracer.nextSeq,
      what: 'tape',
      thread: current ? threadIndexOf(sink, current.gid) : -1,
      expected: null,
      actual: null,
      detail: e.message,
    };
  }
  const k = kernel ?? null;
  const stoppedByUser = stopsEarly && (run === null || run.stop.detail.startsWith('stopped after event') || (opts.atCycle !== undefined && run.stop.outcome === 'limit' && run.endTime >= opts.atCycle));
  sink.stoppedEarly = stoppedByUser || sink.differences.length > 0 || tapeDiff !== null;
  if (run) finishTrace(tracer, run);
  else {
    const { digest, parts } = k ? machineDigest(k) : { digest: new Uint8Array(0), parts: [] };
    tracer.finish({ outcome: 0, outcomeDetail: 'replay stopped at a tape divergence', endTime: k?.now ?? 0, stateDigest: digest, stateParts: parts });
  }
  if (tapeDiff) sink.differences.push(tapeDiff);
  sink.finish(choices.position);
  const difference = sink.first();
  return {
    verdict: difference ? 'diverged' : stoppedByUser ? 'stopped' : 'identical',
    difference,
    tapePosition: choices.position,
    events: tracer.nextSeq,
    choices: choices.position,
    spec,
    kernel: k,
    sink,
    run,
  };
}

function threadIndexOf(sink: VerifyingSink, gid: number): number {
  return sink.threads.findIndex((t) => t.l4Id === gid);
}

/** The last `n` recorded events of a thread before `seq`. */
export function previousEvents(reader: TraceReader, thread: number, seq: number, n = 20): TraceEvent[] {
  const out: TraceEvent[] = [];
  if (thread < 0) return out;
  for (const e of reader.events({ threads: new Set([thread]), toSeq: seq - 1 })) {
    out.push(e);
    if (out.length > n) out.shift();
  }
  return out;
}
