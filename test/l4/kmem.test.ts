/**
 * The kernel memory pool (src/l4/kmem.ts, docs/l4-kmem.md): accounting of TCBs, page directories,
 * page tables and mapping nodes, what exhaustion does on each flavour, the `kmem` spec field, and the
 * kmem scenario failing with a small pool and completing with Kickstart's, deterministically.
 */
import { describe, expect, it } from 'vitest';
import { kindName } from '../../tracer/catalogue.js';
import { emptyHeader } from '../../tracer/packets.js';
import { TraceReader, type TraceEvent } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import { replayTrace } from '../../replay/replay.js';
import { costsOf, FLAVOURS, type FlavourName } from '../../src/l4/flavour.js';
import { NIL } from '../../src/l4/ids.js';
import { IpcError } from '../../src/l4/ipc-errors.js';
import { Kernel } from '../../src/l4/kernel.js';
import { KernelMemory, KICKSTART_KMEM, KMEM_PROFILES } from '../../src/l4/kmem.js';
import type { ModelCtx, ModelProgram } from '../../src/l4/model-engine.js';
import { receive, taskNew, touch, work, type OpGenerator } from '../../src/l4/ops.js';
import { timeouts, us } from '../../src/l4/timeouts.js';
import { resolveScenario } from '../../src/scenarios/resolve.js';
import { RecordingChoices } from '../../src/sim/choices.js';
import { field } from '../support/machine.js';
import { metric, recordInMemory } from '../support/record.js';

/** A machine whose root task runs `root`, with a kernel memory pool of `kmem` bytes (Infinity: grows). */
function boot(flavour: FlavourName, kmem: number, root: (c: ModelCtx, ips: Record<string, number>) => OpGenerator, programs: Record<string, (c: ModelCtx) => OpGenerator> = {}, limit = 50_000_000) {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), cpus: 1 }, { chunkEvents: 512 });
  const f = FLAVOURS[flavour];
  const k = new Kernel({ flavour: f, costs: costsOf(f), cpus: 1, choices: new RecordingChoices(0, 'prng', (s, v, r) => tracer.choice(s, v, r)), recorder: tracer, ...(kmem !== Infinity ? { kmem } : {}) });
  const ips: Record<string, number> = {};
  let ip = 0xc0100000;
  for (const [name, run] of Object.entries(programs)) {
    ips[name] = ip;
    k.registerProgram(ip, { name, run } as ModelProgram);
    ip += 0x1000;
  }
  k.registerProgram(ip, { name: 'roottask', run: (c) => root(c, ips) });
  k.boot(ip);
  const stop = k.run(limit);
  tracer.finish({ outcome: 1, endTime: Math.max(...k.cpus.map((c) => c.time)) });
  const reader = TraceReader.fromBytes(sink.bytes(), { strict: true });
  const events = [...reader.events()];
  const kind = (name: string): TraceEvent[] => events.filter((e) => kindName(e.kind) === name);
  return { k, stop, reader, events, kind };
}

const SIGMA0 = (c: ModelCtx): number => c.machine.threadId(2, 0);
/** What boot takes: the root task's page directory and TCB. */
const bootBytes = (f: FlavourName): number => KMEM_PROFILES[f].sizes.pageDirectory + KMEM_PROFILES[f].sizes.tcb;

describe('the pool', () => {
  it('counts allocations, frees, the peak and refusals; without a size it never refuses', () => {
    const pool = new KernelMemory(KMEM_PROFILES.x2, 10_000);
    expect(pool.fixed).toBe(true);
    expect(pool.alloc(6000)).toBe(true);
    expect(pool.alloc(5000)).toBe(false);
    expect(pool.failures).toBe(1);
    pool.free(2000);
    expect(pool.alloc(5000)).toBe(true);
    expect([pool.used, pool.peak]).toEqual([9000, 9000]);
    pool.free(9000);
    expect([pool.used, pool.peak]).toEqual([0, 9000]);
    const grows = new KernelMemory(KMEM_PROFILES.v2);
    expect(grows.fixed).toBe(false);
    expect(grows.alloc(2 ** 40)).toBe(true);
    expect(grows.failures).toBe(0);
  });

  it('has the sizes of the real kernels: 2 KiB TCBs, 4 KiB page directories and tables, 5- and 12-byte mapping nodes', () => {
    expect(KMEM_PROFILES.v2.sizes).toEqual({ tcb: 2048, pageDirectory: 4096, pageTable: 4096, mapNode: 5 });
    expect(KMEM_PROFILES.x2.sizes).toEqual({ tcb: 2048, pageDirectory: 4096, pageTable: 4096, mapNode: 12 });
    expect(KICKSTART_KMEM).toBe(16 * 1024 * 1024);
  });

  for (const flavour of ['v2', 'x2'] as const) {
    it(`task_new takes a page directory and a TCB, mappings take page tables and nodes, deleting the task gives it all back (${flavour})`, () => {
      const s = KMEM_PROFILES[flavour].sizes;
      const seen: Record<string, number> = {};
      const run = boot(flavour, Infinity, function* (c, ips) {
        const k = c.machine as Kernel;
        seen.boot = k.kmem.used;
        const r = yield* taskNew(5, 255, SIGMA0(c), ips.user!, 0x8000, { prio: 100, annotate: { name: 'user', taskName: 'user' } });
        expect(r.task).not.toBe(NIL);
        seen.created = k.kmem.used;
        yield* receive(NIL, timeouts({ rcv: us(5000) })); // the user task touches its pages meanwhile
        seen.mapped = k.kmem.used;
        yield* taskNew(5, 255, NIL, 0, 0); // delete it
        seen.deleted = k.kmem.used;
      }, {
        *user() {
          yield* touch(0x100000, true); // region 0: a page table and a node
          yield* touch(0x101000, true); // same region: a node
          yield* touch(0x1000000, false); // region 4: another page table and a node
        },
      });
      expect(run.stop.outcome).toBe('ok');
      expect(seen.boot).toBe(bootBytes(flavour));
      expect(seen.created! - seen.boot!).toBe(s.pageDirectory + s.tcb);
      expect(seen.mapped! - seen.created!).toBe(2 * s.pageTable + 3 * s.mapNode - s.tcb); // the user thread ended: its TCB is back
      expect(seen.deleted).toBe(seen.boot);
      expect(run.k.kmem.peak).toBe(bootBytes(flavour) + s.pageDirectory + s.tcb + 2 * s.pageTable + 3 * s.mapNode);
      expect(run.k.kmem.failures).toBe(0);
    });
  }
});

describe('exhaustion', () => {
  const makeTask = function* (c: ModelCtx, ips: Record<string, number>, essential = false): OpGenerator<number> {
    return (yield* taskNew(5, 255, SIGMA0(c), ips.user!, 0x8000, { prio: 100, annotate: { name: 'user', taskName: 'user', essential } })).task;
  };

  it('Fiasco (v2): task_new returns nil with the out-of-memory flag, the caller goes on', () => {
    let got = -1;
    let used = -1;
    const run = boot('v2', bootBytes('v2') + 4096, function* (c, ips) {
      got = yield* makeTask(c, ips);
      used = (c.machine as Kernel).kmem.used;
    }, { *user() {} });
    expect(got).toBe(NIL);
    expect(run.stop.outcome).toBe('ok');
    const tn = run.kind('TASK_NEW');
    expect(tn).toHaveLength(1);
    expect(field(tn[0]!, 'flags')).toBe(2 | 4); // failed, no kernel memory
    const marks = run.kind('MARKER').map((e) => run.reader.string(field(e, 'text')));
    expect(marks).toContain('out of kernel memory: task_new');
    expect(run.k.kmem.failures).toBe(1);
    expect(used).toBe(bootBytes('v2'));
  });

  it('Pistachio (x2): the allocation enters the kernel debugger and the machine stops (outcome fault)', () => {
    let after = false;
    const run = boot('x2', bootBytes('x2') + 4096, function* (c, ips) {
      yield* makeTask(c, ips);
      yield* work(1_000_000);
      after = true;
    }, { *user() {} });
    expect(run.stop.outcome).toBe('fault');
    expect(run.stop.detail).toMatch(/^kernel debugger entered: kmem_alloc: out of kernel memory \(roottask, task_new/);
    expect(after).toBe(false);
    expect(field(run.kind('TASK_NEW')[0]!, 'flags')).toBe(2 | 4);
    expect(run.kind('MARKER').map((e) => run.reader.string(field(e, 'text')))).toContain('kmem_alloc: out of kernel memory');
  });

  it('Fiasco (v2): a page table that does not fit fails the pager\'s map (SEMAPFAILED / REMAPFAILED) and the thread faults again', () => {
    const s = KMEM_PROFILES.v2.sizes;
    // Room for the task (page directory + TCB), not for its first page table.
    const run = boot('v2', bootBytes('v2') + s.pageDirectory + s.tcb + 100, function* (c, ips) {
      yield* makeTask(c, ips, true);
    }, { *user() {
      yield* touch(0x100000, true);
    } }, 3_000_000);
    expect(run.stop.outcome).toBe('limit'); // a fault loop, as on Fiasco
    const results = run.kind('IPC_RES').map((e) => field(e, 'result'));
    expect(results).toContain(IpcError.SEMAPFAILED);
    expect(results).toContain(IpcError.REMAPFAILED);
    expect(run.k.kmem.failures).toBeGreaterThan(3);
    expect(run.k.counters.pageFaults).toBeGreaterThan(3);
    // The root task ended (its TCB is back); the user task's page directory and TCB are still held.
    expect(run.k.kmem.used).toBe(bootBytes('v2') - s.tcb + s.pageDirectory + s.tcb);
  });
});

describe('the kmem spec field', () => {
  it('takes bytes or Kickstart\'s K/M/G forms, and is left out of the resolved scenario when unset', () => {
    expect(resolveScenario({ scenario: 'pingpong' }, 't', { sets: ['kmem=256K'] }).kmem).toBe(256 * 1024);
    expect(resolveScenario({ scenario: 'pingpong' }, 't', { sets: ['kmem=16M'] }).kmem).toBe(16 << 20);
    expect(resolveScenario({ scenario: 'pingpong' }, 't', { sets: ['kmem=300000'] }).kmem).toBe(300000);
    const plain = resolveScenario({ scenario: 'pingpong' }, 't');
    expect('kmem' in plain).toBe(false);
    expect(JSON.stringify(plain)).not.toContain('kmem');
    expect(() => resolveScenario({ scenario: 'pingpong' }, 't', { sets: ['kmem=4K'] })).toThrow(/kmem/);
    expect(() => resolveScenario({ scenario: 'pingpong' }, 't', { sets: ['kmem=lots'] })).toThrow(/kmem/);
  });

  it('a run without it reports no kmem metrics', () => {
    const r = recordInMemory('pingpong', { sets: ['params.rounds=20', 'params.compare=[]'] });
    expect(r.result.run.metrics.some((m) => m.name.startsWith('kmem.'))).toBe(false);
  });
});

describe('the kmem scenario', () => {
  it('with Kickstart\'s 16 MiB every child fits: outcome ok, and it needed more than a 256 KiB pool has', () => {
    const r = recordInMemory('kmem');
    expect(r.spec.flavour).toBe('x2');
    expect(r.spec.kmem).toBe(KICKSTART_KMEM);
    expect(r.result.run.stop.outcome).toBe('ok');
    expect(metric(r, 'init.exit_status')).toBe(0);
    expect(metric(r, 'linux.forks')).toBe(24);
    expect(metric(r, 'kmem.failures')).toBe(0);
    expect(metric(r, 'kmem.peak')).toBeGreaterThan(256 * 1024);
    expect(metric(r, 'kmem.used')).toBeLessThan(metric(r, 'kmem.peak')); // the children's memory came back
  });

  it('with 256 KiB Pistachio runs out in the fork loop: the kernel debugger stops the machine (outcome fault)', () => {
    const r = recordInMemory('kmem', { sets: ['kmem=256K'] });
    expect(r.result.run.stop.outcome).toBe('fault');
    expect(r.result.run.stop.detail).toContain('kmem_alloc: out of kernel memory');
    expect(metric(r, 'kmem.failures')).toBe(1);
    expect(metric(r, 'kmem.peak')).toBeLessThanOrEqual(256 * 1024);
    expect(metric(r, 'linux.forks')).toBeLessThan(24);
  });

  it('with 256 KiB on Fiasco (v2) the page-fault reply cannot map and the child faults for ever (outcome hang)', () => {
    const r = recordInMemory('kmem', { flavour: 'v2', sets: ['kmem=256K', 'deadline=20000000'] });
    expect(r.result.run.stop.outcome).toBe('hang');
    expect(metric(r, 'kmem.failures')).toBeGreaterThan(100);
    expect(metric(r, 'linux.page_faults')).toBeGreaterThan(100);
  });

  for (const [label, sets] of [
    ['failing (256K)', ['kmem=256K']],
    ['completing (16M)', []],
  ] as const) {
    it(`${label}: recorded twice -> the same bytes; replayed -> identical`, () => {
      const a = recordInMemory('kmem', { sets: [...sets] });
      const b = recordInMemory('kmem', { sets: [...sets] });
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      expect(replayTrace(a.reader(), `kmem-${label}.l4t`).verdict).toBe('identical');
    });
  }
});
