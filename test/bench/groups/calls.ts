/**
 * What call tracing (the interpreter's shadow stack, src/ia32/shadow-stack.ts) costs against the
 * -finstrument-functions hooks, on one program built both ways: calltrace (hooks) and calltrace-plain
 * (the same source without them), ROUNDS rounds of recursion, calls through pointers, tail calls, longjmp
 * and signal handlers, as init on L4Linux. Variants, interleaved (best of rounds):
 * - untraced: calltrace-plain, tracing off (no recorder); untraced_hooked: calltrace, tracing off;
 * - instrumented: calltrace, every hook's event encoded (trace.functions=instrumented);
 * - calls: calltrace-plain, every CALL / RET followed and encoded (trace.functions=calls);
 * - calls on the hooked build: calltrace traced by calls (its hooks free and silent), the same
 *   instructions as `instrumented`, so the two differ only in where the events come from.
 * Times are whole runs (boot and Linux server included) and the engine's share (the interpreter with its
 * hooks or shadow stack). Calls tracing also sees the C library's functions, so it makes more events;
 * the cost per event is the engine time above the same binary's untraced run divided by its function
 * events. Bytes per
 * function event are exact (analyze/score.ts's count of the encoded enter and exit events).
 */
import { scoreTrace } from '../../../analyze/score.js';
import { loadCommittedGuest } from '../../../src/guests/catalog.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { runScenario } from '../../../src/session/machine.js';
import { RecordingChoices } from '../../../src/sim/choices.js';
import { Kind } from '../../../tracer/catalogue.js';
import { emptyHeader } from '../../../tracer/packets.js';
import { TraceReader } from '../../../tracer/reader.js';
import { NullRecorder } from '../../../tracer/recorder.js';
import { MemorySink, NullSink } from '../../../tracer/sink.js';
import { Tracer } from '../../../tracer/tracer.js';
import type { BenchGroup, Figure } from '../figure.js';
import { engineTime, timeEngine } from '../engine-time.js';

const ROUNDS = '200';
const MIN_ROUNDS = 6;

interface Variant {
  program: string;
  /** trace.functions, or null: untraced. */
  mode: 'instrumented' | 'calls' | null;
}

const VARIANTS = {
  untraced: { program: 'calltrace-plain', mode: null },
  untraced_hooked: { program: 'calltrace', mode: null },
  instrumented: { program: 'calltrace', mode: 'instrumented' },
  calls: { program: 'calltrace-plain', mode: 'calls' },
  calls_hooked: { program: 'calltrace', mode: 'calls' },
} as const satisfies Record<string, Variant>;
type Name = keyof typeof VARIANTS;


function specOf(v: Variant) {
  return resolveScenario({ scenario: 'run', params: { program: v.program, args: [ROUNDS] } }, 'bench', { sets: [`trace.functions=${v.mode ?? 'off'}`] });
}

function runOnce(v: Variant): { ms: number; engine: number; instructions: number } {
  const spec = specOf(v);
  const images = new Map([[v.program, loadCommittedGuest(v.program)]]);
  const recorder = v.mode ? new Tracer(new NullSink(), emptyHeader()) : new NullRecorder();
  engineTime.ms = 0;
  const t0 = performance.now();
  const out = runScenario(spec, { recorder, choices: new RecordingChoices(0, 'prng'), images, console: () => {} });
  const ms = performance.now() - t0;
  if (out.stop.outcome !== 'ok') throw new Error(`bench run did not finish: ${out.stop.outcome}: ${out.stop.detail}`);
  return { ms, engine: engineTime.ms, instructions: out.kernel.counters.guestInstructions };
}

/** Function events and their encoded bytes, from one recording into memory. */
function functionEvents(v: Variant): { events: number; bytes: number } {
  const spec = specOf(v);
  const sink = new MemorySink();
  const tracer = new Tracer(sink, emptyHeader());
  runScenario(spec, { recorder: tracer, choices: new RecordingChoices(0, 'prng'), images: new Map([[v.program, loadCommittedGuest(v.program)]]), console: () => {} });
  tracer.finish({ outcome: 1, endTime: 0 });
  const reader = TraceReader.fromBytes(sink.bytes());
  let events = 0;
  for (const c of reader.decodedChunks()) for (let i = 0; i < c.count; i++) if (c.kinds[i] === Kind.FUNC_ENTER || c.kinds[i] === Kind.FUNC_EXIT) events++;
  return { events, bytes: scoreTrace(reader).functionBytes };
}

export const callsGroup: BenchGroup = {
  name: 'calls',
  description: `call tracing (shadow stack) vs the -finstrument-functions hooks: calltrace-plain / calltrace ${ROUNDS} rounds, untraced, instrumented, calls`,
  run(): Figure[] {
    const names = Object.keys(VARIANTS) as Name[];
    const restore = timeEngine();
    const best = {} as Record<Name, { ms: number; engine: number; instructions: number }>;
    try {
      // Two warm-up passes (V8 optimises the templates; the traced and untraced shapes differ), then rounds.
      for (let pass = 0; pass < 2; pass++) for (const n of names) runOnce(VARIANTS[n]);
      for (let r = 0; r < MIN_ROUNDS; r++) {
        for (const n of names) {
          const x = runOnce(VARIANTS[n]);
          const b = best[n];
          if (!b) best[n] = x;
          else best[n] = { ms: Math.min(b.ms, x.ms), engine: Math.min(b.engine, x.engine), instructions: x.instructions };
        }
      }
    } finally {
      restore();
    }
    const ev = { instrumented: functionEvents(VARIANTS.instrumented), calls: functionEvents(VARIANTS.calls), calls_hooked: functionEvents(VARIANTS.calls_hooked) };
    const u = best.untraced;
    const base = { instrumented: best.untraced_hooked, calls: u, calls_hooked: best.untraced_hooked };
    const perEventNs = (n: 'instrumented' | 'calls' | 'calls_hooked'): number => ((best[n].engine - base[n].engine) * 1e6) / Math.max(1, ev[n].events);
    const figures: Figure[] = [
      { name: 'calls.instructions_plain', value: u.instructions, unit: 'instructions' },
      { name: 'calls.instructions_hooked', value: best.untraced_hooked.instructions, unit: 'instructions', vs: 'calls.instructions_plain', ratio: best.untraced_hooked.instructions / u.instructions },
      { name: 'calls.func_events_instrumented', value: ev.instrumented.events, unit: 'events' },
      { name: 'calls.func_events_calls', value: ev.calls.events, unit: 'events', vs: 'calls.func_events_instrumented', ratio: ev.calls.events / ev.instrumented.events },
      { name: 'calls.func_events_calls_hooked', value: ev.calls_hooked.events, unit: 'events', vs: 'calls.func_events_calls', ratio: ev.calls_hooked.events / ev.calls.events },
      { name: 'calls.bytes_per_event_instrumented', value: ev.instrumented.bytes / ev.instrumented.events, unit: 'bytes' },
      { name: 'calls.bytes_per_event_calls', value: ev.calls.bytes / ev.calls.events, unit: 'bytes', vs: 'calls.bytes_per_event_instrumented', ratio: ev.calls.bytes / ev.calls.events / (ev.instrumented.bytes / ev.instrumented.events) },
      { name: 'calls.run_ms_untraced', value: u.ms, unit: 'ms' },
    ];
    for (const n of ['instrumented', 'calls', 'calls_hooked'] as const) {
      figures.push({ name: `calls.run_ms_${n}`, value: best[n].ms, unit: 'ms', vs: 'calls.run_ms_untraced', ratio: best[n].ms / u.ms });
    }
    figures.push({ name: 'calls.run_ms_calls', value: best.calls.ms, unit: 'ms', vs: 'calls.run_ms_instrumented', ratio: best.calls.ms / best.instrumented.ms });
    figures.push({ name: 'calls.engine_ms_untraced', value: u.engine, unit: 'ms' });
    figures.push({ name: 'calls.engine_ms_untraced_hooked', value: best.untraced_hooked.engine, unit: 'ms', vs: 'calls.engine_ms_untraced', ratio: best.untraced_hooked.engine / u.engine });
    for (const n of ['instrumented', 'calls', 'calls_hooked'] as const) {
      figures.push({ name: `calls.engine_ms_${n}`, value: best[n].engine, unit: 'ms', vs: 'calls.engine_ms_untraced', ratio: best[n].engine / u.engine });
    }
    figures.push({ name: 'calls.engine_ms_calls', value: best.calls.engine, unit: 'ms', vs: 'calls.engine_ms_instrumented', ratio: best.calls.engine / best.instrumented.engine });
    figures.push({ name: 'calls.engine_ms_calls_hooked', value: best.calls_hooked.engine, unit: 'ms', vs: 'calls.engine_ms_instrumented', ratio: best.calls_hooked.engine / best.instrumented.engine });
    for (const n of ['instrumented', 'calls', 'calls_hooked'] as const) {
      figures.push({ name: `calls.engine_ns_per_event_${n}`, value: perEventNs(n), unit: 'ns', ...(n !== 'instrumented' ? { vs: 'calls.engine_ns_per_event_instrumented', ratio: perEventNs(n) / perEventNs('instrumented') } : {}) });
    }
    return figures;
  },
};
