/**
 * Guest speed over the compute set (rec, strings, sort, int64, switch, fnptr at -O0 and -O2), each run as
 * init on L4Linux, with function tracing on (every FUNC_ENTER / FUNC_EXIT encoded) and off. Two figures:
 * - engine MIPS: guest instructions / wall time spent inside the IA32 engine (the interpreter, its
 *   instruction templates and the function hooks). Timed by wrapping the engine here, outside the machine.
 * - machine MIPS: guest instructions / wall time of the whole run (boot, kernel, Linux server included).
 * The float set (float-O0, float-O2 over 100,000 series terms) measures the x87 path the same way.
 * After two warm-up passes over the set, each program runs 8 times per mode, the modes interleaved; the
 * best engine time counts. Steady state is what is measured: V8's warm-up of the instruction templates
 * (src/ia32/templates.ts, shared by every block with the same shapes) happens in the warm-up passes.
 */
import { NullRecorder } from '../../../tracer/recorder.js';
import { NullSink } from '../../../tracer/sink.js';
import { Tracer } from '../../../tracer/tracer.js';
import { emptyHeader } from '../../../tracer/packets.js';
import { loadCommittedGuest } from '../../../src/guests/catalog.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { runScenario } from '../../../src/session/machine.js';
import { RecordingChoices } from '../../../src/sim/choices.js';
import type { BenchGroup, Figure } from '../figure.js';
import { engineTime, timeEngine } from '../engine-time.js';

const SET = ['rec', 'strings', 'sort', 'int64', 'switch', 'fnptr'].flatMap((p) => [`${p}-O0`, `${p}-O2`]);
/** Float-heavy: the float guest's series loop (x87 arithmetic and conversions) over this many terms. */
const FLOAT_SET = ['float-O0', 'float-O2'];
const FLOAT_ARGS = ['100000'];
const TARGET_MIPS = 50;
const REPEATS = 8;
const WARMUP_PASSES = 2;


function runOnce(name: string, traced: boolean, args: string[] = []): { instructions: number; ms: number; engine: number; events: number } {
  const spec = resolveScenario({ scenario: 'run', params: { program: name, args } }, name);
  const images = new Map([[name, loadCommittedGuest(name)]]);
  const tracer = traced ? new Tracer(new NullSink(), emptyHeader()) : null;
  engineTime.ms = 0;
  const t0 = performance.now();
  const out = runScenario(spec, { recorder: tracer ?? new NullRecorder(), choices: new RecordingChoices(0, 'prng'), images });
  const ms = performance.now() - t0;
  return { instructions: out.kernel.counters.guestInstructions, ms, engine: engineTime.ms, events: tracer?.nextSeq ?? 0 };
}

interface Totals {
  machine: number;
  engine: number;
  instructions: number;
  events: number;
}

/** Both modes, interleaved per program so drift in the machine's speed hits them alike. */
function measure(set: readonly string[], args: string[] = []): { off: Totals; on: Totals } {
  const sum = (): { instructions: number; ms: number; engine: number; events: number } => ({ instructions: 0, ms: 0, engine: 0, events: 0 });
  const acc = { off: sum(), on: sum() };
  for (const name of set) {
    const best: { off?: ReturnType<typeof runOnce>; on?: ReturnType<typeof runOnce> } = {};
    for (let i = 0; i < REPEATS; i++) {
      for (const mode of ['off', 'on'] as const) {
        const r = runOnce(name, mode === 'on', args);
        if (!best[mode] || r.engine < best[mode].engine) best[mode] = r;
      }
    }
    for (const mode of ['off', 'on'] as const) {
      const a = acc[mode];
      const b = best[mode]!;
      a.instructions += b.instructions;
      a.events += b.events;
      a.ms += b.ms;
      a.engine += b.engine;
    }
  }
  const totals = (a: ReturnType<typeof sum>): Totals => ({ machine: a.instructions / a.ms / 1000, engine: a.instructions / a.engine / 1000, instructions: a.instructions, events: a.events });
  return { off: totals(acc.off), on: totals(acc.on) };
}

export const guestsGroup: BenchGroup = {
  name: 'guests',
  description: 'guest MIPS over the compute set and a float-heavy program, function tracing on and off',
  run(): Figure[] {
    const restore = timeEngine();
    try {
      // Warm up first: templates and decoded blocks are shared process-wide, so the first mode measured
      // would otherwise pay for everyone. Two passes: V8 optimises the template functions in the first.
      for (let pass = 0; pass < WARMUP_PASSES; pass++) {
        for (const name of SET) runOnce(name, pass % 2 === 0);
        for (const name of FLOAT_SET) runOnce(name, pass % 2 === 0, FLOAT_ARGS);
      }
      const { off, on } = measure(SET);
      const float = measure(FLOAT_SET, FLOAT_ARGS);
      return [
        { name: 'guests.instructions', value: off.instructions, unit: 'instructions' },
        { name: 'guests.func_events', value: on.events, unit: 'events' },
        { name: 'guests.engine_mips_tracing_off', value: off.engine, unit: 'MIPS' },
        { name: 'guests.engine_mips_tracing_on', value: on.engine, unit: 'MIPS', vs: 'guests.engine_mips_tracing_off', ratio: on.engine / off.engine },
        { name: 'guests.engine_mips_tracing_on', value: on.engine, unit: 'MIPS', vs: `target ${TARGET_MIPS}`, ratio: on.engine / TARGET_MIPS },
        { name: 'guests.machine_mips_tracing_off', value: off.machine, unit: 'MIPS' },
        { name: 'guests.machine_mips_tracing_on', value: on.machine, unit: 'MIPS', vs: 'guests.machine_mips_tracing_off', ratio: on.machine / off.machine },
        { name: 'guests.float_instructions', value: float.off.instructions, unit: 'instructions' },
        { name: 'guests.float_engine_mips_tracing_off', value: float.off.engine, unit: 'MIPS', vs: 'guests.engine_mips_tracing_off', ratio: float.off.engine / off.engine },
        { name: 'guests.float_engine_mips_tracing_on', value: float.on.engine, unit: 'MIPS', vs: 'guests.float_engine_mips_tracing_off', ratio: float.on.engine / float.off.engine },
        { name: 'guests.float_machine_mips_tracing_off', value: float.off.machine, unit: 'MIPS' },
        { name: 'guests.float_machine_mips_tracing_on', value: float.on.machine, unit: 'MIPS', vs: 'guests.float_machine_mips_tracing_off', ratio: float.on.machine / float.off.machine },
      ];
    } finally {
      restore();
    }
  },
};
