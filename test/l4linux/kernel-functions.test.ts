/**
 * The Linux kernel's own function traces (issue 17, seed 001 §4.4): the server's model code writes
 * FUNC_ENTER/EXIT for the Linux 2.4 functions its steps stand for, with durations that are the simulated
 * costs of the work inside them.
 */
import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { FIASCO_V2 } from '../../src/l4/costs.js';
import { scoreTrace } from '../../analyze/score.js';
import { replayTrace } from '../../replay/replay.js';
import { FilterRulesSchema } from '../../tracer/filter/rules.js';
import { rewriteTrace } from '../../tracer/filter/rewrite.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { recordInMemory } from '../support/record.js';

interface Slice {
  name: string;
  ts: number;
  end: number;
  depth: number;
  children: Slice[];
  /** UNMAP events (their `mappings` argument) and TASK_NEW events directly in this slice or below. */
  unmaps: number[];
  taskNews: number;
}

/** The function slices of one thread, with the L4 operations under each; throws if unbalanced. */
function slicesOf(reader: TraceReader, threadName: string): { roots: Slice[]; all: Slice[] } {
  const t = reader.threads.findIndex((d) => reader.string(d.name) === threadName);
  expect(t).toBeGreaterThanOrEqual(0);
  const roots: Slice[] = [];
  const all: Slice[] = [];
  const stack: Slice[] = [];
  for (const ref of reader.chunksOf(t)) {
    const ch = reader.decodeChunk(ref);
    for (let i = 0; i < ch.count; i++) {
      const kind = ch.kinds[i]!;
      const ts = ch.times[i]!;
      const a = ch.argStart[i]!;
      if (kind === Kind.FUNC_ENTER) {
        const s: Slice = { name: reader.string(ch.args[a]!), ts, end: -1, depth: stack.length, children: [], unmaps: [], taskNews: 0 };
        (stack.at(-1)?.children ?? roots).push(s);
        all.push(s);
        stack.push(s);
      } else if (kind === Kind.FUNC_EXIT) {
        const s = stack.pop();
        if (!s) throw new Error(`${threadName}: FUNC_EXIT without an open function at ${ts}`);
        s.end = ts;
      } else if (kind === Kind.UNMAP) {
        for (const s of stack) s.unmaps.push(ch.args[a + 2]!);
      } else if (kind === Kind.TASK_NEW) {
        for (const s of stack) s.taskNews++;
      }
    }
  }
  return { roots, all };
}

const dur = (s: Slice): number => s.end - s.ts;
const self = (s: Slice): number => dur(s) - s.children.reduce((a, c) => a + dur(c), 0);
const child = (s: Slice, name: string): Slice => {
  const c = s.children.find((x) => x.name === name);
  if (!c) throw new Error(`${s.name} has no child ${name}: ${s.children.map((x) => x.name).join(', ')}`);
  return c;
};

function forkOf(resident: number) {
  const r = recordInMemory('table2', { sets: ['getpids=5', 'forks=2', `resident=${resident}`, 'dirty=4'] });
  const reader = r.reader();
  const { all } = slicesOf(reader, 'linux-server');
  const sysFork = all.find((s) => s.name === 'sys_fork')!;
  expect(sysFork, 'a sys_fork slice on the server thread').toBeDefined();
  return { r, reader, all, sysFork };
}

describe('Linux kernel function traces on the L4Linux server', () => {
  it('a fork nests system_call > sys_fork > do_fork > copy_mm > dup_mmap > copy_page_range, and copy_thread', () => {
    const { all, sysFork } = forkOf(64);
    const syscall = all.find((s) => s.children.includes(sysFork))!;
    expect(syscall.name).toBe('system_call');
    const doFork = child(sysFork, 'do_fork');
    const cpr = child(child(child(doFork, 'copy_mm'), 'dup_mmap'), 'copy_page_range');
    expect(doFork.children.map((c) => c.name)).toEqual(['copy_mm', 'copy_thread']);
    expect(cpr.end).toBeGreaterThan(cpr.ts);
  });

  it('durations are the profile costs of the work inside: do_fork linuxFork, copy_page_range per page + unmaps, copy_thread task_new', () => {
    const c = FIASCO_V2;
    const a = forkOf(64);
    const b = forkOf(128);
    for (const { sysFork } of [a, b]) {
      const doFork = child(sysFork, 'do_fork');
      // The fork's own work (no memory had to be asked for: the pool has pages).
      expect(self(doFork)).toBe(c.linuxFork);
      // L4Linux's copy_thread creates the child's task: one task_new system call.
      const ct = child(doFork, 'copy_thread');
      expect(ct.taskNews).toBe(1);
      expect(dur(ct)).toBe(c.syscallEntryExit + c.taskNew);
      // copy_page_range: a PTE per present page, and one fpage_unmap system call per write-protected page.
      const cpr = child(child(child(doFork, 'copy_mm'), 'dup_mmap'), 'copy_page_range');
      const unmapCycles = cpr.unmaps.reduce((s, nodes) => s + c.syscallEntryExit + c.unmap + nodes * c.unmapPerNode, 0);
      expect(cpr.unmaps.length).toBeGreaterThan(0);
      const perPage = dur(cpr) - unmapCycles;
      expect(perPage % c.linuxForkPerPage).toBe(0);
      // sys_fork is its parts: nothing else happens inside it.
      expect(dur(sysFork)).toBe(c.linuxFork + dur(cpr) + dur(ct));
    }
    // 64 more resident pages in the parent: exactly 64 more page-table entries copied.
    const pteCycles = (x: typeof a): number => {
      const cpr = child(child(child(child(x.sysFork, 'do_fork'), 'copy_mm'), 'dup_mmap'), 'copy_page_range');
      return dur(cpr) - cpr.unmaps.reduce((s, nodes) => s + c.syscallEntryExit + c.unmap + nodes * c.unmapPerNode, 0);
    };
    expect(pteCycles(b) - pteCycles(a)).toBe(64 * c.linuxForkPerPage);
  });

  it('every thread of the server keeps a balanced call tree; a sleeping path leaves through schedule() and comes back', () => {
    const { reader, all } = forkOf(64);
    for (const name of ['linux-server', 'linux-timer']) slicesOf(reader, name); // throws if unbalanced
    // The parent waits for its child: sys_waitpid sleeps in schedule(), so it appears split around the sleep.
    const waits = all.filter((s) => s.name === 'sys_waitpid');
    expect(waits.length).toBeGreaterThan(2);
    expect(waits.some((w) => w.children.some((x) => x.name === 'schedule'))).toBe(true);
    // The timer interrupt: do_IRQ > handle_IRQ_event > timer_interrupt > do_timer, on the timer thread.
    const timer = slicesOf(reader, 'linux-timer').roots;
    expect(timer.length).toBeGreaterThan(0);
    const t0 = timer[0]!;
    expect([t0.name, child(t0, 'handle_IRQ_event').name, child(child(t0, 'handle_IRQ_event'), 'timer_interrupt').name]).toEqual(['do_IRQ', 'handle_IRQ_event', 'timer_interrupt']);
    expect(dur(child(child(child(t0, 'handle_IRQ_event'), 'timer_interrupt'), 'do_timer'))).toBe(FIASCO_V2.linuxTick);
  });

  it('kernelFunctions=off writes none and changes no simulated time; native Linux writes none', () => {
    const on = recordInMemory('table2', { sets: ['getpids=5', 'forks=2'] });
    const off = recordInMemory('table2', { sets: ['getpids=5', 'forks=2', 'kernelFunctions=off'] });
    const funcs = (r: typeof on): number => {
      const reader = r.reader();
      let n = 0;
      for (let t = 0; t < reader.threads.length; t++) {
        if (reader.string(reader.threads[t]!.name) !== 'linux-server') continue;
        for (const ref of reader.chunksOf(t)) {
          const ch = reader.decodeChunk(ref);
          for (let i = 0; i < ch.count; i++) if (ch.kinds[i] === Kind.FUNC_ENTER) n++;
        }
      }
      return n;
    };
    expect(funcs(on)).toBeGreaterThan(50);
    expect(funcs(off)).toBe(0);
    const metricsOf = (r: typeof on) => r.result.run.metrics.filter((m) => m.name.startsWith('table2.')).map((m) => [m.name, m.value]);
    expect(metricsOf(off)).toEqual(metricsOf(on));
    expect(off.result.run.endTime).toBe(on.result.run.endTime);
    const native = recordInMemory('table2', { sets: ['getpids=5', 'forks=2', 'personality=native'] }).reader();
    const names = new Set<string>();
    for (let t = 0; t < native.threads.length; t++) {
      for (const ref of native.chunksOf(t)) {
        const ch = native.decodeChunk(ref);
        for (let i = 0; i < ch.count; i++) if (ch.kinds[i] === Kind.FUNC_ENTER) names.add(native.string(ch.args[ch.argStart[i]!]!));
      }
    }
    expect([...names].filter((n) => n.startsWith('sys_') || n === 'do_fork')).toEqual([]);
  });

  it('score types them KERN, and its -g heuristic can filter them', () => {
    const { reader } = forkOf(64);
    const s = scoreTrace(reader);
    const row = (name: string) => s.rows.find((r) => r.name === name)!;
    expect(row('do_fork').type).toBe('KERN');
    expect(row('copy_page_range').type).toBe('KERN');
    // do_page_fault has no time of its own (handle_mm_fault does the work) and many visits.
    const strict = scoreTrace(reader, { bufferPercent: 0.5, timePerVisitUs: 1 });
    expect(strict.suggested).toContain('do_page_fault');
    expect(strict.suggested).not.toContain('do_fork');
  });

  it('the filter -g proposes drops them, the server call tree stays balanced, and the reduced trace replays as identical', () => {
    const { r, reader } = forkOf(64);
    const rules = FilterRulesSchema.parse({ excludeFunctions: [...scoreTrace(reader, { bufferPercent: 0.5, timePerVisitUs: 1 }).suggested, 'path_walk'] });
    const sink = new MemorySink();
    rewriteTrace(reader, sink, { filter: rules });
    const small = TraceReader.fromBytes(sink.bytes());
    const { all } = slicesOf(small, 'linux-server'); // throws if unbalanced
    expect(all.some((x) => x.name === 'do_page_fault')).toBe(false);
    expect(all.some((x) => x.name === 'handle_mm_fault')).toBe(true);
    expect(sink.bytes().length).toBeLessThan(r.bytes.length);
    expect(replayTrace(small, 'table2-filtered.l4t').verdict).toBe('identical');
  });
});
