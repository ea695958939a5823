/**
 * Replay: rebuild the machine from a trace alone (src/session: the header's scenario, cost profiles and
 * embedded guest images), feed it the recorded decision tape, regenerate every packet into a
 * VerifyingSink that compares with the file as a stream, and compare the final state. The machine stops
 * at the first difference, at the end of a cut file's prefix, at a stop point (`untilSeq`, `atCycle`)
 * or at a budget (`maxCycles`, or a reason `shouldStop` gives).
 *
 * Verdicts: `identical` (the replay wrote the very same file), `cut` (a file cut short: every packet it
 * holds was reproduced), `diverged` (with the first difference), `stopped` (a stop point was reached,
 * identical so far), `budget` (a budget ran out first, identical so far).
 */
import type { TraceEvent, TraceReader } from '../tracer/reader.js';
import type { Kernel } from '../src/l4/kernel.js';
import { machineDigest } from '../src/l4/digest.js';
import { finishTrace } from '../src/session/record-session.js';
import { ReplaySession } from '../src/session/replay-session.js';
import { setupFromTrace, TraceContentError } from '../src/session/setup.js';
import { InitError } from '../src/l4linux/linux.js';
import type { ScenarioSpec } from '../src/scenarios/spec.js';
import type { RunOutcome } from '../src/session/machine.js';
import { EventSelector, parseFilterRules } from '../tracer/filter/rules.js';
import { VerifyingSink, type Difference } from './verifier.js';

export interface ReplayOptions {
  /** Stop once the event with this sequence number has been regenerated. */
  untilSeq?: number;
  /** Stop at this cycle. */
  atCycle?: number;
  /** Do not run past this cycle (default: the recorded end time). */
  maxCycles?: number;
  /** Asked after every round of the run loop: a reason to stop now (a wall-clock budget), or null. */
  shouldStop?: () => string | null;
  /** Progress: events regenerated so far, of the recorded total. */
  onProgress?: (seq: number, total: number) => void;
}

export type ReplayVerdict = 'identical' | 'cut' | 'diverged' | 'stopped' | 'budget';

export interface ReplayResult {
  verdict: ReplayVerdict;
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
  /** Why a `budget` verdict stopped. */
  budget: string | null;
  /** A cut file: the last event it holds and its packet count. */
  cut: { lastSeq: number; packets: number } | null;
  /** A filtered trace: compared event by event (its file cannot be the same as the run's). */
  filtered: boolean;
}

/** The sink that compares a replay with the file (a filtered trace: only the events its rules keep). */
export function verifyingSinkFor(reader: TraceReader, file: string): VerifyingSink {
  const selector = reader.header.filterRules
    ? new EventSelector(
        parseFilterRules(reader.header.filterRules, `${file}: the header's filter rules`),
        (id) => sink.strings[id] ?? '',
        (i) => {
          const t = sink.threads[i];
          return { name: t ? (sink.strings[t.name] ?? '') : '', task: t?.task ?? 0 };
        },
      )
    : null;
  const sink: VerifyingSink = new VerifyingSink(reader, selector);
  return sink;
}

export function replayTrace(reader: TraceReader, file: string, opts: ReplayOptions = {}): ReplayResult {
  const setup = setupFromTrace(reader, file);
  const sink = verifyingSinkFor(reader, file);
  const session = new ReplaySession(setup, reader, sink);
  const tracer = session.tracer;
  let budget: string | null = null;
  sink.onDifference = () => session.kernel?.halt('replay found a difference');
  sink.onPrefixComplete = () => session.kernel?.halt('replay reproduced the whole of a cut file');
  const total = reader.footer?.nextSeq ?? 0;
  const r = runNamingTheFile(file, () => session.run({
    ...(opts.untilSeq !== undefined ? { untilSeq: opts.untilSeq } : {}),
    ...(opts.atCycle !== undefined ? { atCycle: opts.atCycle } : {}),
    ...(opts.maxCycles !== undefined ? { maxCycles: opts.maxCycles } : {}),
    // A cut file holding only its header is reproduced before the machine runs.
    onBuilt: (k) => {
      if (sink.prefixComplete) k.halt('replay reproduced the whole of a cut file');
    },
    onRound: (k) => {
      opts.onProgress?.(tracer.nextSeq, total);
      const why = opts.shouldStop?.() ?? null;
      if (why && !budget) {
        budget = why;
        k.halt(`replay budget: ${why}`);
      }
    },
  }));
  const run = r.run;
  const k = r.kernel;
  const stopPoint =
    (opts.untilSeq !== undefined && (run === null || run.stop.detail.startsWith('stopped after event'))) ||
    (opts.atCycle !== undefined && run !== null && run.stop.outcome === 'limit' && run.endTime >= opts.atCycle);
  const cycleBudget = opts.maxCycles !== undefined && run !== null && run.stop.outcome === 'limit' && run.endTime >= opts.maxCycles && r.until === opts.maxCycles;
  if (cycleBudget && !budget) budget = `--max-cycles ${opts.maxCycles} reached`;
  sink.stoppedEarly = stopPoint || budget !== null || sink.differences.length > 0 || r.tapeDivergence !== null || sink.prefixComplete;
  if (run) finishTrace(tracer, run);
  else {
    const { digest, parts } = k ? machineDigest(k) : { digest: new Uint8Array(0), parts: [] };
    tracer.finish({ outcome: 0, outcomeDetail: 'replay stopped at a tape divergence', endTime: k?.now ?? 0, stateDigest: digest, stateParts: parts });
  }
  // Once a cut file's prefix is reproduced, the run was not asked to go further: a tape ending there is no divergence.
  if (r.tapeDivergence && !sink.prefixComplete) {
    const current = k?.exec.current;
    sink.differences.push({
      seq: tracer.nextSeq,
      what: 'tape',
      thread: current ? sink.threads.findIndex((t) => t.l4Id === current.gid) : -1,
      expected: null,
      actual: null,
      detail: r.tapeDivergence.message,
    });
  }
  sink.finish(r.tapePosition);
  const difference = sink.first();
  const verdict: ReplayVerdict = difference ? 'diverged' : sink.prefixComplete ? 'cut' : stopPoint ? 'stopped' : budget ? 'budget' : reader.footer ? 'identical' : 'diverged';
  return {
    verdict,
    difference: difference ?? (verdict === 'diverged' ? { seq: Infinity, what: 'missing', thread: -1, expected: null, actual: null, detail: 'the run ended before it reproduced every packet of the cut file' } : null),
    tapePosition: r.tapePosition,
    events: tracer.nextSeq,
    choices: r.tapePosition,
    spec: setup.spec,
    kernel: k,
    sink,
    run,
    budget,
    cut: reader.footer ? null : { lastSeq: sink.lastRecordedSeq, packets: reader.packets },
    filtered: Boolean(reader.header.filterRules),
  };
}

/** A first program the trace cannot start (its bytes cut off) is the trace's problem: say which file. */
function runNamingTheFile<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof InitError) throw new TraceContentError(`${file}: ${e.message}`);
    throw e;
  }
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
