import { NullRecorder } from '../../tracer/recorder.js';
import { NullSink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import { emptyHeader } from '../../tracer/packets.js';
import { runScenario } from '../../src/session/machine.js';
import { imagesFor } from '../../src/session/setup.js';
import type { ScenarioSpec } from '../../src/scenarios/spec.js';
import { RecordingChoices } from '../../src/sim/choices.js';

/** One measured figure. `vs` names what it is compared with and `ratio` is value / that. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  vs?: string;
  ratio?: number;
}

export interface BenchGroup {
  name: string;
  description: string;
  run(): Promise<Figure[]> | Figure[];
}

/** Best of `repeats` timings of fn, in milliseconds (the machines are noisy; the minimum is the signal). */
export function bestOf(repeats: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * Best times of several variants measured side by side: one untimed warm-up run of each, then rounds
 * running every variant once, in turn. A ratio between variants then compares runs made at the same
 * moment, so drift in the machine's speed (common on these VMs) hits all of them alike. Short variants
 * get more rounds (about 1.5 s of runs, up to 40 rounds): the minimum of a 15 ms run needs many tries.
 */
export function interleavedBest<K extends string>(minRounds: number, variants: Record<K, () => void>): Record<K, number> {
  const names = Object.keys(variants) as K[];
  const best = {} as Record<K, number>;
  let roundMs = 0;
  for (const k of names) {
    const t0 = performance.now();
    variants[k]();
    roundMs += performance.now() - t0;
    best[k] = Infinity;
  }
  const rounds = Math.min(40, Math.max(minRounds, Math.ceil(1500 / Math.max(roundMs, 1))));
  for (let r = 0; r < rounds; r++) {
    for (const k of names) {
      const t0 = performance.now();
      variants[k]();
      best[k] = Math.min(best[k], performance.now() - t0);
    }
  }
  return best;
}

export function perSecond(count: number, ms: number): number {
  return (count / ms) * 1000;
}

/** Best times of a scenario run traced (encoding into a NullSink) and untraced, interleaved, and its events. */
export function tracedAndPlain(spec: ScenarioSpec, rounds = 5): { traced: number; plain: number; events: number } {
  const images = imagesFor(spec);
  let events = 0;
  const t = interleavedBest(rounds, {
    traced: () => {
      const tracer = new Tracer(new NullSink(), emptyHeader());
      runScenario(spec, { recorder: tracer, choices: new RecordingChoices(spec.seed, 'prng', (s, v, r) => tracer.choice(s, v, r)), images });
      events = tracer.nextSeq;
    },
    plain: () => void runScenario(spec, { recorder: new NullRecorder(), choices: new RecordingChoices(spec.seed, 'prng'), images }),
  });
  return { traced: t.traced, plain: t.plain, events };
}
