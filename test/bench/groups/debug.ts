/**
 * Replay debugging figures (replay/debug): on a trace of at least 5 M events, a pass under the step
 * hook against a plain replay-and-verify, the cost of seeking to random events (monitor goto-seq) as a
 * share of a full replay, and reverse-continue over 1 M events against running forward over the same
 * span. Without snapshots of the machine (docs/replay.md: model code cannot be copied), a seek or a step
 * back costs a replay from the start to its target; these figures say how much that is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceReader } from '../../../tracer/reader.js';
import { FileSink } from '../../../tracer/file-writer.js';
import { recordScenario } from '../../../src/session/record-session.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { imagesFor } from '../../../src/session/setup.js';
import { replayTrace } from '../../../replay/replay.js';
import { DebugSession, type Move, type Stop } from '../../../replay/debug/session.js';
import type { BenchGroup, Figure } from '../figure.js';

/** Run `steps` in one session; each returns the next move. Returns the milliseconds between stops. */
function session(file: string, reader: TraceReader, steps: ((s: DebugSession, stop: Stop) => Move)[]): number[] {
  const times: number[] = [];
  let t0 = performance.now();
  let i = 0;
  new DebugSession(reader, file).serve({
    stopped: (s, stop) => {
      const now = performance.now();
      times.push(now - t0);
      t0 = now;
      const move = i < steps.length ? steps[i++]!(s, stop) : ({ kind: 'quit' } as Move);
      t0 = performance.now();
      return move;
    },
  });
  return times;
}

function run(): Figure[] {
  const dir = mkdtempSync(join(tmpdir(), 'l4trace-bench-debug-'));
  try {
    // callheavy 25: about 8.9 M events (nearly all function enter/exit), 0.5 G instructions.
    const spec = resolveScenario({ scenario: 'run', params: { program: 'callheavy', args: ['25'] } }, 'bench', {});
    const file = join(dir, 'heavy.l4t');
    recordScenario(spec, new FileSink(file), { entropy: 'prng', toolVersion: 'bench', images: imagesFor(spec) });
    const reader = TraceReader.open(file);
    const events = reader.lastSeq() + 1;

    let t = performance.now();
    const plain = replayTrace(reader, file);
    const replayMs = performance.now() - t;
    if (plain.verdict !== 'identical') throw new Error(`bench: the debug trace did not replay: ${plain.difference?.detail}`);

    // The first pass: the whole run under the step hook (its end gives the run's length: the checkpoint
    // layout), then the layout built, as a gdb stub builds it while gdb is idle.
    let instructions = 0;
    let layoutMs = 0;
    let refillMs = 0;
    let refills = 0;
    let poolBytes = 0;
    let poolSize = 0;
    let budget = 0;
    const seekTimes: number[] = [];
    const targets = [0.62, 0.17, 0.91, 0.44, 0.08, 0.73, 0.35, 0.56].map((f) => Math.floor(f * (events - 1)));
    let t0 = 0;
    const steps: ((s: DebugSession, stop: Stop) => Move)[] = [
      () => ({ kind: 'continue' }),
      (s) => {
        instructions = s.position;
        const b = performance.now();
        s.buildCheckpoints();
        layoutMs = performance.now() - b;
        poolSize = s.pool.size;
        budget = s.pool.budget;
        t0 = performance.now();
        return { kind: 'goto-seq', seq: targets[0]! };
      },
    ];
    // Seeks to random events (a fixed list), each timed alone; between them the pool is refilled (idle time).
    for (let i = 1; i <= targets.length; i++)
      steps.push((s) => {
        seekTimes.push(performance.now() - t0);
        poolBytes = Math.max(poolBytes, s.pool.bytes);
        const b = performance.now();
        s.buildCheckpoints();
        refillMs += performance.now() - b;
        refills++;
        t0 = performance.now();
        return i < targets.length ? { kind: 'goto-seq', seq: targets[i]! } : { kind: 'quit' };
      });
    const firstPass = session(file, reader, steps)[1]!;
    const seekMean = seekTimes.reduce((a, b) => a + b, 0) / seekTimes.length;
    const seekMax = Math.max(...seekTimes);

    // Reverse-continue over 1 M events: from 1 M events after main's entry back to a breakpoint there
    // (no checkpoints: a fresh session, so both directions replay the same span).
    const main = reader.header.images.length ? mainAddress(file) : -1;
    let fromSeq = 0;
    const [, toMain, forward, back] = session(file, reader, [
      (s) => (s.addBreakpoint(main), { kind: 'continue' }),
      (s) => ((fromSeq = s.nextSeq), s.removeBreakpoint(main), { kind: 'goto-seq', seq: fromSeq + 1_000_000 }),
      (s) => (s.addBreakpoint(main), { kind: 'reverse-continue' }),
      (_s, stop) => {
        if (stop.reason !== 'breakpoint') throw new Error(`bench: reverse-continue stopped with ${stop.reason}`);
        return { kind: 'quit' };
      },
    ]);
    void toMain;
    const rss = process.memoryUsage().rss;
    return [
      { name: 'debug.trace_events', value: events, unit: 'events' },
      { name: 'debug.replay_and_verify', value: replayMs, unit: 'ms' },
      { name: 'debug.first_pass_under_step_hook', value: firstPass!, unit: 'ms', vs: 'replay-and-verify', ratio: firstPass! / replayMs },
      { name: 'debug.stepped_instructions_per_s', value: (instructions / firstPass!) * 1000, unit: 'instr/s' },
      { name: 'debug.checkpoint_layout_build', value: layoutMs, unit: 'ms', vs: 'replay-and-verify', ratio: layoutMs / replayMs },
      { name: 'debug.checkpoints', value: poolSize, unit: 'machines' },
      { name: 'debug.checkpoint_memory_estimate', value: poolBytes / (1 << 20), unit: 'MiB', vs: 'budget', ratio: poolBytes / budget },
      { name: 'debug.seek_random_event_mean', value: seekMean, unit: 'ms', vs: 'full replay (target 0.10x)', ratio: seekMean / replayMs },
      { name: 'debug.seek_random_event_max', value: seekMax, unit: 'ms', vs: 'full replay (target 0.10x)', ratio: seekMax / replayMs },
      { name: 'debug.checkpoint_refill_per_seek', value: refillMs / Math.max(1, refills), unit: 'ms', vs: 'replay-and-verify', ratio: refillMs / Math.max(1, refills) / replayMs },
      { name: 'debug.forward_1M_events', value: forward!, unit: 'ms' },
      { name: 'debug.reverse_continue_1M_events', value: back!, unit: 'ms', vs: 'forward over the same span', ratio: back! / forward! },
      { name: 'debug.peak_rss', value: rss / (1 << 20), unit: 'MiB' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The address of `main` in the trace's program (its symbol table). */
function mainAddress(file: string): number {
  const reader = TraceReader.open(file);
  try {
    const s = new DebugSession(reader, file);
    let addr = -1;
    s.serve({
      stopped: (sess) => {
        const image = sess.kernel ? [...sess.kernel.images.values()][0] : undefined;
        for (const [a, name] of image?.elf.functions ?? []) if (name === 'main') addr = a;
        return { kind: 'quit' };
      },
    });
    if (addr < 0) throw new Error('bench: the debug trace has no main symbol');
    return addr;
  } finally {
    reader.close();
  }
}

export const debugGroup: BenchGroup = {
  name: 'debug',
  description: 'replay debugging on a >= 5 M-event trace: a pass under the step hook vs replay, random seeks vs a full replay, reverse-continue over 1 M events vs forward',
  run,
};
