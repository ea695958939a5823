/**
 * Guest speed: MIPS over the compute set (rec, strings, sort, int64, switch, fnptr at -O0 and -O2), each
 * run as init on L4Linux, with function tracing on (every FUNC_ENTER / FUNC_EXIT encoded) and off.
 * MIPS = guest instructions / wall time of the whole machine run (kernel and Linux server included).
 */
import { NullRecorder } from '../../../tracer/recorder.js';
import { NullSink } from '../../../tracer/sink.js';
import { Tracer } from '../../../tracer/tracer.js';
import { emptyHeader } from '../../../tracer/packets.js';
import { loadCommittedGuest } from '../../../src/guests/catalog.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { runScenario } from '../../../src/scenarios/runner.js';
import { RecordingChoices } from '../../../src/sim/choices.js';
import type { BenchGroup, Figure } from '../figure.js';

const SET = ['rec', 'strings', 'sort', 'int64', 'switch', 'fnptr'].flatMap((p) => [`${p}-O0`, `${p}-O2`]);
const TARGET_MIPS = 50;

function runOnce(name: string, traced: boolean): { instructions: number; ms: number; events: number } {
  const spec = resolveScenario({ scenario: 'run', params: { program: name } }, name);
  const images = new Map([[name, loadCommittedGuest(name)]]);
  const tracer = traced ? new Tracer(new NullSink(), emptyHeader()) : null;
  const t0 = performance.now();
  const out = runScenario(spec, { recorder: tracer ?? new NullRecorder(), choices: new RecordingChoices(0, 'prng'), images });
  const ms = performance.now() - t0;
  return { instructions: out.kernel.counters.guestInstructions, ms, events: tracer?.nextSeq ?? 0 };
}

function measure(traced: boolean): { mips: number; instructions: number; events: number } {
  let instructions = 0;
  let ms = 0;
  let events = 0;
  for (const name of SET) {
    // best of 3 per program: machines are noisy, and the first run pays for JIT warm-up
    let best = Infinity;
    let r = runOnce(name, traced);
    for (let i = 0; i < 3; i++) {
      r = runOnce(name, traced);
      best = Math.min(best, r.ms);
    }
    instructions += r.instructions;
    events += r.events;
    ms += best;
  }
  return { mips: instructions / ms / 1000, instructions, events };
}

export const guestsGroup: BenchGroup = {
  name: 'guests',
  description: 'guest MIPS over the compute set, function tracing on and off',
  run(): Figure[] {
    const off = measure(false);
    const on = measure(true);
    return [
      { name: 'guests.instructions', value: off.instructions, unit: 'instructions' },
      { name: 'guests.func_events', value: on.events, unit: 'events' },
      { name: 'guests.mips_tracing_off', value: off.mips, unit: 'MIPS' },
      { name: 'guests.mips_tracing_on', value: on.mips, unit: 'MIPS', vs: 'guests.mips_tracing_off', ratio: on.mips / off.mips },
      { name: 'guests.mips_tracing_on_vs_target', value: on.mips, unit: 'MIPS', vs: `target ${TARGET_MIPS}`, ratio: on.mips / TARGET_MIPS },
    ];
  },
};
