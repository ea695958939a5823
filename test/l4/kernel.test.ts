import { describe, expect, it } from 'vitest';
import { W } from '../../src/ia32/memory.js';
import { gid, irqGid, NIL } from '../../src/l4/ids.js';
import { IpcError } from '../../src/l4/ipc-errors.js';
import type { ModelCtx } from '../../src/l4/model-engine.js';
import {
  exRegs,
  fpageMsg,
  ipc,
  receive,
  replyWait,
  send,
  taskNew,
  threadSchedule,
  threadSwitch,
  touch,
  unmap,
  wait,
  work,
  type IpcResult,
  type OpGenerator,
} from '../../src/l4/ops.js';
import { timeouts, us, ZERO } from '../../src/l4/timeouts.js';
import { field, runMachine } from '../support/machine.js';

const SIGMA0 = (c: ModelCtx) => c.machine.threadId(2, 0);

function* spawn(c: ModelCtx, task: number, ip: number, prio: number, name: string, essential = true, pager = SIGMA0(c)): OpGenerator<number> {
  return (yield* taskNew(task, 255, pager, ip, 0x8000, { prio, annotate: { name, taskName: name, essential } })).task;
}

describe('interrupts', () => {
  for (const flavour of ['v2', 'x2'] as const) {
    it(`hits coalesce while the line is masked, and one pending hit is delivered on the next receive (${flavour})`, () => {
      const got: number[] = [];
      const run = runMachine(
        function* (c, ips) {
          yield* spawn(c, 5, ips.handler!, 200, 'handler');
        },
        {
          flavour,
          programs: {
            *handler(c) {
              const line = irqGid(3);
              expect((yield* receive(line, timeouts({ rcv: ZERO }))).error).toBe(IpcError.RETIMEOUT); // attached
              got.push(c.now());
              const r1 = yield* receive(line);
              expect(r1.src).toBe(line);
              got.push(c.now());
              yield* work(50_000); // two more hits arrive meanwhile: one pending, one coalesced
              const r2 = flavour === 'x2' ? yield* ipc(line, { words: [] }, { from: line }) : yield* receive(line);
              expect(r2.src).toBe(line);
              got.push(c.now());
              // nothing else is pending: a short wait times out
              expect((yield* receive(line, timeouts({ rcv: us(1000) }))).error).toBe(IpcError.RETIMEOUT);
            },
          },
          setup(k) {
            k.scheduleIrq(3, 100_000);
            k.scheduleIrq(3, 120_000);
            k.scheduleIrq(3, 130_000);
          },
        },
      );
      expect(run.stop.outcome).toBe('ok');
      const raises = run.kind('IRQ_RAISE');
      expect(raises.map((e) => [field(e, 'masked'), field(e, 'coalesced')])).toEqual([
        [0, 0],
        [1, 0],
        [1, 1],
      ]);
      const delivers = run.kind('IRQ_DELIVER');
      expect(delivers).toHaveLength(2);
      expect(field(delivers[0]!, 'raise')).toBe(raises[0]!.seq);
      expect(field(delivers[1]!, 'raise')).toBe(raises[1]!.seq);
      // The handler's IPC_RES points at the delivery (the message's flow).
      expect(run.kind('IPC_RES', 'handler').filter((e) => field(e, 'msg') === delivers[0]!.seq)).toHaveLength(1);
      // Delivery preempts nothing here, latency = delivery cost + switch into the handler.
      expect(got[1]! - 100_000).toBeGreaterThan(0);
      expect(got[1]! - 100_000).toBeLessThan(1000);
    });
  }
});

describe('interrupts: masking and attachment', () => {
  it('the kernel masks the line on every hit, also one that finds the handler busy', () => {
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.handler!, 200, 'handler');
      },
      {
        programs: {
          *handler() {
            const line = irqGid(4);
            yield* receive(line, timeouts({ rcv: ZERO })); // attach
            yield* work(100_000); // busy when the first hit comes: it is latched, the line masked
            expect((yield* receive(line)).src).toBe(line);
          },
        },
        setup(k) {
          k.scheduleIrq(4, 50_000);
          k.scheduleIrq(4, 60_000);
        },
      },
    );
    const raises = run.kind('IRQ_RAISE');
    expect(raises.map((e) => [field(e, 'masked'), field(e, 'coalesced')])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(run.kind('IRQ_DELIVER')).toHaveLength(1);
  });

  it('the attached handler\'s zero-timeout receive takes a pending hit; one from nil detaches it', () => {
    const results: number[] = [];
    let other = -1;
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.handler!, 200, 'handler');
        yield* receive(SIGMA0(c), timeouts({ rcv: us(2000) })); // let the handler detach
        other = (yield* receive(irqGid(4), timeouts({ rcv: ZERO }))).error; // the line is free again
      },
      {
        programs: {
          *handler() {
            const line = irqGid(4);
            results.push((yield* receive(line, timeouts({ rcv: ZERO }))).error); // attach: RETIMEOUT
            yield* work(100_000); // a hit comes meanwhile and waits
            results.push((yield* receive(line, timeouts({ rcv: ZERO }))).error); // takes it: OK
            results.push((yield* receive(line, timeouts({ rcv: ZERO }))).error); // nothing pending: RETIMEOUT
            results.push((yield* receive(NIL, timeouts({ rcv: ZERO }))).error); // detach: RETIMEOUT
          },
        },
        setup(k) {
          k.scheduleIrq(4, 50_000);
        },
      },
    );
    expect(results).toEqual([IpcError.RETIMEOUT, IpcError.OK, IpcError.RETIMEOUT, IpcError.RETIMEOUT]);
    expect(run.kind('IRQ_DELIVER')).toHaveLength(1);
    expect(other).toBe(IpcError.RETIMEOUT); // attached, not ENOT_EXISTENT (the handler had let go)
    expect(run.k.irqLine(4).handler?.name).toBe('roottask');
  });
});

describe('page faults and mappings', () => {
  it('a page fault is answered by sigma0 with a map and the access is retried', () => {
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.toucher!, 100, 'toucher');
      },
      {
        programs: {
          *toucher() {
            yield* touch(0x00500123, true);
            yield* touch(0x00500456, false); // same page: no second fault
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    const pf = run.kind('PF', 'toucher');
    expect(pf).toHaveLength(1);
    expect(field(pf[0]!, 'pfa')).toBe(0x00500123);
    expect(field(pf[0]!, 'error') & 2).toBe(2); // write
    const ipcEv = run.kind('IPC', 'toucher')[0]!;
    expect(field(ipcEv, 'op')).toBe(7); // pagefault IPC to the pager
    expect(field(ipcEv, 'dst')).toBe(run.k.threadId(2, 0));
    const pfRes = run.kind('PF_RES', 'toucher')[0]!;
    expect(field(pfRes, 'pair')).toBe(pf[0]!.seq);
    expect(field(pfRes, 'result')).toBe(0);
    expect(field(pfRes, 'fpage')).toBe(1);
    // sigma0 saw the fault as a message from the thread
    expect(field(run.kind('IPC_RES', 'sigma0').find((e) => field(e, 'msg') === ipcEv.seq)!, 'src')).toBe(run.k.threadId(5, 0));
    // the mapping is 1:1 and writable
    const entry = run.k.tasks[5]!.space.pages.get(0x500);
    expect(entry >>> 3).toBe(0x500);
    expect(entry & W).toBe(W);
  });

  it('a fault nobody can serve ends the run with outcome fault, even when the faulting thread was the last essential one', () => {
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.toucher!, 100, 'toucher', true, gid(9, 0, 1)); // a pager that does not exist
      },
      {
        programs: {
          *toucher() {
            yield* work(1000);
            yield* touch(0x00500123, true);
          },
        },
      },
    );
    expect(run.stop.outcome, run.stop.detail).toBe('fault');
    expect(run.stop.detail).toMatch(/toucher: page fault at 0x500123 and no pager/);
    expect(run.kind('THREAD_EXIT', 'roottask')).toHaveLength(1); // the root had finished first
    expect(run.kind('THREAD_EXIT', 'toucher')).toHaveLength(1);
  });

  it('a user-level pager maps, downgrades and revokes pages recursively (map, fpage_unmap)', () => {
    const steps: string[] = [];
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.pager!, 150, 'pager', false);
        yield* spawn(c, 6, ips.client!, 100, 'client', true, c.machine.threadId(5, 0));
      },
      {
        programs: {
          *pager(c) {
            yield* touch(0x00600000, true); // get a page from sigma0 first
            let r = yield* wait();
            for (;;) {
              const addr = r.words[0]! & ~0xfff;
              r = yield* replyWait(r.src, [], timeouts({ snd: ZERO }), fpageMsg({ base: 0x00600000, log2: 12, write: true, grant: false, sndBase: addr }));
              if (r.words[0] === 0xdead) {
                const d = yield* unmap(0x00600000, 12, true, false);
                steps.push(`downgrade ${d.mappings}`);
                r = yield* replyWait(r.src, [1], timeouts({ snd: ZERO }));
                const f = yield* unmap(0x00600000, 12, false, false);
                steps.push(`flush ${f.mappings}`);
                r = yield* replyWait(r.src, [2], timeouts({ snd: ZERO }));
              }
            }
            void c;
          },
          *client(c) {
            yield* touch(0x00123000, true); // faults to our pager, which maps its page there
            const space = () => (c.machine as unknown as { tasks: { space: { pages: { get(v: number): number } } }[] }).tasks[6]!.space.pages;
            steps.push(`mapped ${(space().get(0x123) & W) !== 0 ? 'rw' : 'r'}`);
            yield* ipc(c.machine.threadId(5, 0), { words: [0xdead] }, { from: c.machine.threadId(5, 0) });
            steps.push(`after downgrade ${(space().get(0x123) & W) !== 0 ? 'rw' : 'r'}`);
            yield* ipc(c.machine.threadId(5, 0), { words: [0xbeef] }, { from: c.machine.threadId(5, 0) });
            steps.push(`after flush ${space().get(0x123) === 0 ? 'unmapped' : 'mapped'}`);
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    expect(steps).toEqual(['mapped rw', 'downgrade 1', 'after downgrade r', 'flush 1', 'after flush unmapped']);
    expect(run.kind('UNMAP', 'pager').map((e) => field(e, 'mappings'))).toEqual([1, 1]);
  });

  it('a grant moves the mapping: the granter loses it', () => {
    let granterAfter = -1;
    let receiverAfter = -1;
    runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.receiver!, 150, 'receiver');
        yield* spawn(c, 6, ips.granter!, 100, 'granter');
      },
      {
        programs: {
          *receiver(c) {
            const r = yield* wait(timeouts({}), { window: { base: 0x00800000, log2: 22 } });
            expect(r.fpageReceived).toBe(true);
            receiverAfter = (c.machine as unknown as { tasks: { space: { pages: { get(v: number): number } } }[] }).tasks[5]!.space.pages.get(0x800);
          },
          *granter(c) {
            yield* touch(0x00700000, true);
            yield* send(c.machine.threadId(5, 0), [], timeouts({}), fpageMsg({ base: 0x00700000, log2: 12, write: true, grant: true, sndBase: 0 }));
            granterAfter = (c.machine as unknown as { tasks: { space: { pages: { get(v: number): number } } }[] }).tasks[6]!.space.pages.get(0x700);
          },
        },
      },
    );
    expect(receiverAfter >>> 3).toBe(0x700);
    expect(granterAfter).toBe(0);
  });
});

describe('long-message transfers that fault', () => {
  function transferRun(opts: { receiverPager: 'sigma0' | 'silent'; sndPfUs: number; cancelReceiver?: boolean }) {
    const out: Record<string, number> = {};
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 7, ips.silent!, 50, 'silent', false); // a pager that never answers
        const pager = opts.receiverPager === 'sigma0' ? SIGMA0(c) : c.machine.threadId(7, 0);
        yield* spawn(c, 5, ips.receiver!, 150, 'receiver', false, pager);
        yield* spawn(c, 6, ips.sender!, 100, 'sender');
        if (opts.cancelReceiver) {
          yield* receive(SIGMA0(c), timeouts({ rcv: us(3000) }));
          // the receiver is now stuck in the transfer: force it elsewhere
          void ips;
        }
      },
      {
        programs: {
          *silent(c) {
            yield* receive(SIGMA0(c)); // never returns
          },
          *receiver() {
            // The receive buffer at 0x00900000 is not mapped yet: the copy faults in our space.
            const r = yield* wait(timeouts({}), { buffers: [{ addr: 0x00900000, len: 8192 }] });
            out.receiver = r.error;
            out.bytes = r.bytes;
          },
          *sender(c) {
            yield* touch(0x00a00000, true);
            yield* touch(0x00a01000, true);
            const r = yield* ipc(c.machine.threadId(5, 0), { words: [1], strings: [{ addr: 0x00a00000, len: 6000 }] }, null, timeouts({ sndPf: us(opts.sndPfUs) }));
            out.sender = r.error;
          },
        },
      },
    );
    return { out, run };
  }

  it('a fault in the receiver\'s space is served by its pager and the copy completes', () => {
    const { out, run } = transferRun({ receiverPager: 'sigma0', sndPfUs: 1000 });
    expect(out).toEqual({ receiver: 0, bytes: 6000, sender: 0 });
    expect(run.kind('PF', 'receiver')).toHaveLength(2); // two receive pages
    expect(run.k.counters.bytesCopied).toBe(6000);
  });

  it('a pager that does not answer within the sender\'s page-fault timeout fails both sides (xxRCVPFTO)', () => {
    const { out } = transferRun({ receiverPager: 'silent', sndPfUs: 1000 });
    expect(out.receiver).toBe(IpcError.RERCVPFTO);
    expect(out.sender).toBe(IpcError.SERCVPFTO);
  });
});

describe('aborting a transfer', () => {
  it('lthread_ex_regs on a thread stuck in a faulting transfer aborts both sides (REABORTED / SEABORTED)', () => {
    const out: Record<string, number> = {};
    const run = runMachine(
      function* (c, ips) {
        const silent = yield* spawn(c, 7, ips.silent!, 50, 'silent', false);
        // our lthread 1 receives into an unmapped buffer; its pager never answers
        yield* exRegs(1, ips.receiver!, 0x7000, { pager: silent, annotate: { name: 'receiver' } });
        yield* spawn(c, 6, ips.sender!, 100, 'sender');
        yield* receive(SIGMA0(c), timeouts({ rcv: us(3000) }));
        yield* exRegs(1, 0xffffffff, 0xffffffff);
        yield* receive(SIGMA0(c), timeouts({ rcv: us(1000) }));
      },
      {
        programs: {
          *silent(c) {
            yield* receive(SIGMA0(c));
          },
          *receiver() {
            out.receiver = (yield* wait(timeouts({}), { buffers: [{ addr: 0x00900000, len: 100 }] })).error;
          },
          *sender(c) {
            yield* touch(0x00a00000, true);
            out.sender = (yield* ipc(c.machine.threadId(4, 1), { words: [1], strings: [{ addr: 0x00a00000, len: 100 }] }, null)).error;
          },
        },
      },
    );
    expect(out).toEqual({ receiver: IpcError.REABORTED, sender: IpcError.SEABORTED });
    // the page fault that was pending is closed in the trace too
    expect(field(run.kind('PF_RES', 'receiver')[0]!, 'result')).toBe(IpcError.REABORTED);
  });
});

describe('scheduler', () => {
  it('equal-priority threads share the CPU in timeslices (round robin, expired to the tail)', () => {
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.spin!, 100, 'a');
        yield* spawn(c, 6, ips.spin!, 100, 'b');
      },
      {
        programs: {
          *spin() {
            yield* work(45_000_000); // 4.5 timeslices of 10 ms at 200 MHz... in cycles: 2,000,000 each
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    const sw = run.events.filter((e) => e.kind === 10 && ['a', 'b'].includes(run.threadName(e)) && field(e, 'reason') === 3);
    expect(sw.length).toBeGreaterThan(20);
    // strict alternation
    for (let i = 1; i < sw.length; i++) expect(run.threadName(sw[i]!)).not.toBe(run.threadName(sw[i - 1]!));
    // each expiry comes a full quantum after the previous one
    const expiries = run.kind('SCHED').filter((e) => field(e, 'mode') === 2);
    for (let i = 1; i < 6; i++) expect(expiries[i]!.time - expiries[i - 1]!.time).toBeGreaterThanOrEqual(2_000_000);
  });

  it('a preempted thread goes back to the head of its level with the rest of its quantum', () => {
    const order: string[] = [];
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.a!, 100, 'a');
        yield* spawn(c, 6, ips.b!, 100, 'b');
        yield* spawn(c, 7, ips.high!, 200, 'high');
      },
      {
        programs: {
          *a() {
            yield* work(1_000_000);
            order.push('a done');
          },
          *b() {
            yield* work(1_000_000);
            order.push('b done');
          },
          *high(c) {
            yield* receive(SIGMA0(c), timeouts({ rcv: us(1000) })); // wakes at 1 ms, inside a's slice
            order.push('high');
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    // a was running when high woke; it continues before b.
    expect(order).toEqual(['high', 'a done', 'b done']);
    const preempted = run.kind('CONTEXT_SWITCH', 'a').find((e) => field(e, 'reason') === 2)!;
    expect(preempted).toBeDefined();
  });

  it('thread_switch(nil) yields to the next equal-priority thread', () => {
    const order: string[] = [];
    runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.a!, 100, 'a');
        yield* spawn(c, 6, ips.b!, 100, 'b');
      },
      {
        programs: {
          *a() {
            order.push('a1');
            yield* threadSwitch();
            order.push('a2');
          },
          *b() {
            order.push('b1');
            yield* threadSwitch();
            order.push('b2');
          },
        },
      },
    );
    expect(order.join(',')).toMatch(/^(a1,b1,a2,b2|b1,a1,b2,a2)$/);
  });

  it('thread_schedule changes priorities only within the caller\'s mcp', () => {
    const results: boolean[] = [];
    runMachine(
      function* (c, ips) {
        const low = yield* taskNew(5, 120, SIGMA0(c), ips.low!, 0x8000, { prio: 100, annotate: { name: 'low', essential: true } });
        void low;
      },
      {
        programs: {
          *low(c) {
            // mcp 120: raising itself to 110 works, to 200 does not.
            results.push((yield* threadSchedule(c.gid, 110)).ok);
            results.push((yield* threadSchedule(c.gid, 200)).ok);
          },
        },
      },
    );
    expect(results).toEqual([true, false]);
  });

  it('two CPUs run threads in parallel and the run is still deterministic', () => {
    const once = () =>
      runMachine(
        function* (c, ips) {
          yield* taskNew(5, 255, SIGMA0(c), ips.pong!, 0x8000, { prio: 100, annotate: { name: 'pong', cpu: 1 } });
          yield* taskNew(6, 255, SIGMA0(c), ips.ping!, 0x8000, { prio: 100, annotate: { name: 'ping', cpu: 0, essential: true } });
          yield* taskNew(7, 255, SIGMA0(c), ips.spin!, 0x8000, { prio: 50, annotate: { name: 'spin', cpu: 1, essential: true } });
        },
        {
          cpus: 2,
          programs: {
            *pong() {
              let r: IpcResult = yield* wait();
              for (;;) r = yield* replyWait(r.src, [r.words[0]! + 1]);
            },
            *ping(c) {
              for (let i = 0; i < 100; i++) expect((yield* ipc(c.machine.threadId(5, 0), { words: [i] }, { from: c.machine.threadId(5, 0) })).words[0]).toBe(i + 1);
            },
            *spin() {
              yield* work(3_000_000);
            },
          },
        },
      );
    const a = once();
    const b = once();
    expect(a.stop.outcome).toBe('ok');
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    const cpus = new Set(a.kind('CONTEXT_SWITCH').map((e) => field(e, 'cpu')));
    expect([...cpus].sort()).toEqual([0, 1]);
  });

  // Kernel operations on different CPUs happen in global time order: a zero-timeout receive finds a
  // sender that another CPU queued a moment earlier, and misses one queued a moment later, however far
  // the other CPU's computation had run ahead. The gap `d` is well under the 2000-cycle round a CPU may
  // compute ahead (so the old round-by-round loop got the first case wrong).
  for (const [d, found] of [
    [250, true],
    [-250, false],
  ] as const) {
    it(`across CPUs, a zero-timeout receive ${found ? 'finds a sender queued' : 'misses a sender queued'} ${Math.abs(d)} cycles ${found ? 'earlier' : 'later'}`, () => {
      const results: number[] = [];
      const sendAt: number[] = [];
      const recvAt: number[] = [];
      runMachine(
        function* (c, ips) {
          yield* taskNew(5, 255, SIGMA0(c), ips.receiver!, 0x8000, { prio: 100, annotate: { name: 'receiver', cpu: 0, essential: true } });
          yield* taskNew(6, 255, SIGMA0(c), ips.sender!, 0x8000, { prio: 100, annotate: { name: 'sender', cpu: 1 } });
        },
        {
          cpus: 2,
          programs: {
            *receiver(c) {
              yield* work(100_000 + d - c.now()); // up to an absolute instant
              recvAt.push(c.now());
              results.push((yield* receive(c.machine.threadId(6, 0), timeouts({ rcv: ZERO }))).error);
            },
            *sender(c) {
              yield* work(100_000 - c.now());
              sendAt.push(c.now());
              yield* send(c.machine.threadId(5, 0), [1], timeouts({ snd: us(10_000) }));
            },
          },
        },
      );
      expect(sendAt).toHaveLength(1);
      expect(Math.sign(recvAt[0]! - sendAt[0]!)).toBe(Math.sign(d));
      expect(results).toEqual([found ? IpcError.OK : IpcError.RETIMEOUT]);
    });
  }

  it('lthread_ex_regs can redirect a blocked thread to new code', () => {
    const log: string[] = [];
    runMachine(
      function* (c, ips) {
        yield* exRegs(1, ips.first!, 0x7000, { annotate: { name: 'worker' } });
        yield* receive(SIGMA0(c), timeouts({ rcv: us(100) }));
        yield* exRegs(1, ips.second!, 0x6000);
        yield* receive(SIGMA0(c), timeouts({ rcv: us(100) }));
      },
      {
        programs: {
          *first(c) {
            log.push('first');
            yield* receive(SIGMA0(c));
            log.push('never');
          },
          *second() {
            log.push('second');
          },
        },
      },
    );
    expect(log).toEqual(['first', 'second']);
  });
});
