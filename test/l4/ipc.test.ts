import { FIASCO_V2 } from '../../src/l4/costs.js';
import { describe, expect, it } from 'vitest';
import { IpcError } from '../../src/l4/ipc-errors.js';
import { NIL } from '../../src/l4/ids.js';
import type { Kernel } from '../../src/l4/kernel.js';
import type { ModelCtx } from '../../src/l4/model-engine.js';
import { call, exRegs, ipc, receive, replyWait, send, taskNew, touch, wait, work, type IpcResult, type OpGenerator } from '../../src/l4/ops.js';
import { NEVER, timeouts, us, ZERO } from '../../src/l4/timeouts.js';
import { field, runMachine } from '../support/machine.js';

const SIGMA0 = (c: ModelCtx) => c.machine.threadId(2, 0);

/** Start thread 0 of a new task running program `ip`. */
function* spawn(c: ModelCtx, task: number, ip: number, prio: number, name: string, essential = true): OpGenerator<number> {
  const r = yield* taskNew(task, 255, SIGMA0(c), ip, 0x8000, { prio, annotate: { name, taskName: name, essential } });
  return r.task;
}

describe('IPC rendezvous', () => {
  for (const receiverFirst of [true, false]) {
    it(`delivers the message when the ${receiverFirst ? 'receiver' : 'sender'} arrives first`, () => {
      const got: IpcResult[] = [];
      const sent: IpcResult[] = [];
      const run = runMachine(
        function* (c, ips) {
          // The higher-priority thread runs first.
          yield* spawn(c, 5, ips.receiver!, receiverFirst ? 110 : 100, 'receiver');
          yield* spawn(c, 6, ips.sender!, receiverFirst ? 100 : 110, 'sender');
        },
        {
          programs: {
            *receiver() {
              got.push(yield* wait());
            },
            *sender(c) {
              sent.push(yield* send(c.machine.threadId(5, 0), [11, 22, 33]));
            },
          },
        },
      );
      expect(run.stop.outcome).toBe('ok');
      expect(got[0]).toMatchObject({ error: IpcError.OK, words: [11, 22, 33], src: run.k.threadId(6, 0) });
      expect(sent[0]!.error).toBe(IpcError.OK);
      // The sender's thread was queued (state 'sending') only when it came first.
      const switches = run.kind('CONTEXT_SWITCH', 'sender');
      expect(switches.some((e) => field(e, 'from_state') === 2)).toBe(!receiverFirst);
      // IPC_RES of the receiver points at the sender's IPC event (the flow).
      const res = run.kind('IPC_RES', 'receiver')[0]!;
      const sendEv = run.kind('IPC', 'sender')[0]!;
      expect(field(res, 'msg')).toBe(sendEv.seq);
    });
  }
});

describe('timeouts', () => {
  it('zero send and receive timeouts fail at once with SETIMEOUT / RETIMEOUT', () => {
    const results: IpcResult[] = [];
    let elapsed = 0;
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.idle!, 50, 'idle', false);
        const before = c.now();
        results.push(yield* send(c.machine.threadId(5, 0), [1], timeouts({ snd: ZERO })));
        results.push(yield* receive(c.machine.threadId(5, 0), timeouts({ rcv: ZERO })));
        results.push(yield* wait(timeouts({ rcv: ZERO })));
        // Nothing blocked: only the three system calls' costs (entry/exit + IPC path) passed.
        elapsed = c.now() - before;
      },
      {
        programs: {
          *idle() {
            yield* work(10);
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    expect(results.map((r) => r.error)).toEqual([IpcError.SETIMEOUT, IpcError.RETIMEOUT, IpcError.RETIMEOUT]);
    expect(elapsed).toBe(3 * (FIASCO_V2.syscallEntryExit + FIASCO_V2.ipcPath));
  });

  it('a finite receive timeout fires at its deadline, rounded up to the 1 ms timer tick', () => {
    let res: IpcResult | undefined;
    const run = runMachine(function* (c) {
      res = yield* receive(c.machine.threadId(2, 0), timeouts({ rcv: us(2000) }));
    });
    expect(res!.error).toBe(IpcError.RETIMEOUT);
    const ipcEv = run.kind('IPC', 'roottask')[0]!;
    const tick = 1000 * 200;
    const armedAt = ipcEv.time + 120; // after the IPC path
    const deadline = Math.ceil((armedAt + 2000 * 200) / tick) * tick;
    const to = run.kind('TIMEOUT', 'roottask')[0]!;
    expect(field(to, 'deadline')).toBe(deadline);
    expect(to.time).toBe(deadline);
    expect(field(to, 'pair')).toBe(ipcEv.seq);
    expect(field(run.kind('IPC_RES', 'roottask')[0]!, 'result')).toBe(IpcError.RETIMEOUT);
  });

  it('a finite send timeout dequeues the sender with SETIMEOUT', () => {
    let res: IpcResult | undefined;
    const run = runMachine(
      function* (c, ips) {
        const busy = yield* spawn(c, 5, ips.busy!, 10, 'busy', false);
        res = yield* send(busy, [1], timeouts({ snd: us(500) }));
      },
      {
        programs: {
          *busy() {
            for (;;) yield* work(50_000);
          },
        },
      },
    );
    expect(res!.error).toBe(IpcError.SETIMEOUT);
    const to = run.kind('TIMEOUT', 'roottask')[0]!;
    expect(field(to, 'op')).toBe(1);
    expect(to.time % 200_000).toBe(0);
  });

  it('timer jitter is a recorded choice that shifts the deadline', () => {
    const fire = (seed: number) => {
      const run = runMachine(
        function* (c) {
          yield* receive(c.machine.threadId(2, 0), timeouts({ rcv: us(1000) }));
        },
        { timerJitter: 5000, seed },
      );
      return run.kind('TIMEOUT')[0]!.time;
    };
    const times = new Set([1, 2, 3, 4, 5].map(fire));
    expect(times.size).toBeGreaterThan(1);
    for (const t of times) expect(t % 200_000).toBeLessThanOrEqual(5000);
  });
});

describe('errors and cancellation', () => {
  it('ENOT_EXISTENT for a stale id after task_new recreated the task (which kills it first)', () => {
    const results: IpcResult[] = [];
    let oldGid = 0;
    let newGid = 0;
    const run = runMachine(
      function* (c, ips) {
        oldGid = yield* spawn(c, 5, ips.server!, 50, 'server', false);
        newGid = yield* spawn(c, 5, ips.server!, 50, 'server2', false);
        results.push(yield* send(oldGid, [1], timeouts({ snd: ZERO })));
        results.push(yield* send(NIL, [1]));
      },
      {
        programs: {
          *server() {
            for (;;) yield* wait();
          },
        },
      },
    );
    expect(newGid).not.toBe(oldGid);
    expect(newGid & 0x3fff).toBe((oldGid & 0x3fff) + 1);
    expect(results.map((r) => r.error)).toEqual([IpcError.ENOT_EXISTENT, IpcError.ENOT_EXISTENT]);
    const taskNews = run.kind('TASK_NEW', 'roottask');
    expect(taskNews.map((e) => field(e, 'flags'))).toEqual([0, 1]); // the second killed the live task
    expect(run.kind('THREAD_EXIT', 'server').map((e) => field(e, 'reason'))).toEqual([3]);
  });

  it('task_new on a live task deletes its clan too, and the numbers it owned return to its chief', () => {
    const alive: boolean[] = [];
    let again = NIL;
    let k: Kernel | undefined;
    let idleIp = 0;
    const run = runMachine(
      function* (c, ips) {
        yield* taskNew(6, 5, NIL, 0, 0); // hand task number 6 to task 5 as its chief (pager nil)
        yield* spawn(c, 5, ips.parent!, 50, 'parent', false);
        yield* receive(SIGMA0(c), timeouts({ rcv: us(2000) })); // sleep: meanwhile the parent creates task 6
        alive.push(k!.tasks[6]?.alive ?? false);
        yield* spawn(c, 5, ips.idle!, 50, 'parent2', false); // re-create task 5: its subtask 6 dies with it
        alive.push(k!.tasks[6]!.alive);
        again = yield* spawn(c, 6, ips.idle!, 50, 'child2', false); // the root owns number 6 again
      },
      {
        setup: (kernel, ips) => {
          k = kernel;
          idleIp = ips.idle!;
        },
        programs: {
          *parent(c) {
            yield* taskNew(6, 255, c.machine.threadId(2, 0), idleIp, 0x8000, { prio: 40, annotate: { name: 'child', taskName: 'child' } });
            for (;;) yield* wait();
          },
          *idle() {
            for (;;) yield* wait();
          },
        },
      },
    );
    expect(alive).toEqual([true, false]);
    expect(again).not.toBe(NIL);
    expect(run.kind('THREAD_EXIT', 'child').map((e) => field(e, 'reason'))).toEqual([3]);
    expect(run.kind('THREAD_EXIT', 'parent').map((e) => field(e, 'reason'))).toEqual([3]);
  });

  it('lthread_ex_regs cancels a receive (RECANCELED) and a send (SECANCELED)', () => {
    const results: Record<string, number> = {};
    const run = runMachine(
      function* (c, ips) {
        // lthread 1 waits for sigma0, which never sends to it; lthread 2 sends to us while we only
        // accept sigma0, so its message stays queued.
        yield* exRegs(1, ips.waiter!, 0x7000, { annotate: { name: 'waiter' } });
        yield* exRegs(2, ips.sender!, 0x6000, { annotate: { name: 'sender' } });
        yield* receive(SIGMA0(c), timeouts({ rcv: us(100) })); // both block meanwhile
        const r1 = yield* exRegs(1, 0xffffffff, 0xffffffff);
        const r2 = yield* exRegs(2, 0xffffffff, 0xffffffff);
        expect(r1.ok && r2.ok).toBe(true);
        yield* receive(SIGMA0(c), timeouts({ rcv: us(100) }));
      },
      {
        programs: {
          *waiter(c) {
            results.waiter = (yield* receive(SIGMA0(c))).error;
          },
          *sender(c) {
            results.sender = (yield* send(c.machine.threadId(4, 0), [1])).error;
          },
        },
      },
    );
    expect(results).toEqual({ waiter: IpcError.RECANCELED, sender: IpcError.SECANCELED });
    const ex = run.kind('EXREGS', 'roottask');
    expect(ex.map((e) => field(e, 'flags'))).toEqual([1, 1, 2, 2]); // created, created, cancelled, cancelled
    expect(run.kind('IPC_RES', 'waiter').map((e) => field(e, 'result'))).toEqual([IpcError.RECANCELED]);
  });
});

describe('send and yield', () => {
  it('a send that succeeds followed by a zero-timeout receive that fails hands the CPU to the partner (§4.4)', () => {
    const order: string[] = [];
    let result = -1;
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.partner!, 100, 'partner', false);
        yield* spawn(c, 6, ips.sender!, 100, 'sender');
      },
      {
        programs: {
          *partner() {
            yield* wait();
            order.push('partner');
          },
          *sender(c) {
            yield* work(1000);
            result = (yield* ipc(c.machine.threadId(5, 0), { words: [1] }, { from: c.machine.threadId(5, 0) }, timeouts({ snd: NEVER, rcv: ZERO }))).error;
            order.push('sender');
          },
        },
      },
    );
    expect(result).toBe(IpcError.RETIMEOUT);
    expect(order).toEqual(['partner', 'sender']); // same priority: without the donation the sender would go on
    const sw = run.kind('CONTEXT_SWITCH', 'sender')[0]!;
    expect(field(sw, 'dst')).toBe(run.k.threadId(5, 0));
    expect(field(sw, 'reason')).toBe(5); // donate
  });
});

describe('call and reply-and-wait', () => {
  it('a server answers calls with reply-and-wait and takes the next request in the same call', () => {
    const replies: number[][] = [];
    const served: number[] = [];
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.server!, 120, 'server', false);
        yield* spawn(c, 6, ips.client!, 100, 'client1');
        yield* spawn(c, 7, ips.client!, 100, 'client2');
      },
      {
        programs: {
          *server() {
            let r = yield* wait();
            for (;;) {
              served.push(r.words[0]!);
              r = yield* replyWait(r.src, [r.words[0]! * 10], timeouts({ snd: ZERO }));
            }
          },
          *client(c) {
            const srv = c.machine.threadId(5, 0);
            for (let i = 1; i <= 3; i++) replies.push((yield* call(srv, [c.task * 100 + i])).words);
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    expect(served).toHaveLength(6);
    expect(replies.map((w) => w[0]).sort()).toEqual(served.map((s) => s * 10).sort());
    // The server's reply-and-wait events: op 5, and its IPC_RES carries the next request.
    expect(run.kind('IPC', 'server').filter((e) => field(e, 'op') === 5)).toHaveLength(6);
  });
});

describe('sender queues', () => {
  for (const [flavour, expected] of [
    ['v2', ['b', 'c', 'a']], // Fiasco: by priority
    ['x2', ['a', 'b', 'c']], // Pistachio: FIFO
  ] as const) {
    it(`are ordered ${flavour === 'v2' ? 'by priority (Fiasco)' : 'first come first served (Pistachio)'}`, () => {
      const order: number[] = [];
      const run = runMachine(
        function* (c, ips) {
          yield* spawn(c, 5, ips.server!, 90, 'server');
          yield* spawn(c, 6, ips.a!, 100, 'a', false);
          yield* spawn(c, 7, ips.b!, 120, 'b', false);
          yield* spawn(c, 8, ips.c!, 110, 'c', false);
        },
        {
          flavour,
          programs: {
            *server(c) {
              yield* receive(c.machine.threadId(2, 0), timeouts({ rcv: us(5000) })); // let everyone queue up
              for (let i = 0; i < 3; i++) order.push((yield* wait()).src);
            },
            // a sends at once; b after 1 ms; c after 2 ms: arrival a, b, c; priorities b > c > a.
            *a(c) {
              yield* send(c.machine.threadId(5, 0), [1]);
            },
            *b(c) {
              yield* receive(c.machine.threadId(2, 0), timeouts({ rcv: us(1000) }));
              yield* send(c.machine.threadId(5, 0), [2]);
            },
            *c(c) {
              yield* receive(c.machine.threadId(2, 0), timeouts({ rcv: us(2000) }));
              yield* send(c.machine.threadId(5, 0), [3]);
            },
          },
        },
      );
      const names = order.map((g) => run.k.tasks[Math.floor(g / 0x200000)]!.name);
      expect(names).toEqual(expected);
    });
  }
});

describe('message contents', () => {
  it('too many words for the receiver: REMSGCUT and SEMSGCUT', () => {
    const out: number[] = [];
    runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.r!, 110, 'r');
        out.push((yield* send(c.machine.threadId(5, 0), [1, 2, 3, 4, 5])).error);
      },
      {
        programs: {
          *r() {
            out.push((yield* wait()).error);
          },
        },
      },
    );
    expect(out.sort()).toEqual([IpcError.REMSGCUT, IpcError.SEMSGCUT].sort());
  });

  it('long messages: extra words and strings are copied; a mapping to a receiver without window fails', () => {
    const got: IpcResult[] = [];
    const sendResults: number[] = [];
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.r!, 110, 'r');
        yield* spawn(c, 6, ips.s!, 100, 's');
      },
      {
        programs: {
          *r() {
            // Fault a page in from sigma0 first (touching it), then receive into it.
            yield* touch(0x00400000, true);
            got.push(yield* wait(NEVER_T, { maxWords: 8, buffers: [{ addr: 0x00400010, len: 100 }] }));
            got.push(yield* wait());
          },
          *s(c) {
            yield* touch(0x00410000, true);
            const r = c.machine.threadId(5, 0);
            sendResults.push((yield* ipc(r, { words: [1, 2, 3, 4, 5, 6], strings: [{ addr: 0x00410000, len: 64 }] }, null)).error);
            sendResults.push(
              (yield* ipc(r, { words: [0x410000, 0], fpages: [{ base: 0x00410000, log2: 12, write: true, grant: false, sndBase: 0 }] }, null)).error,
            );
          },
        },
      },
    );
    expect(got[0]).toMatchObject({ error: 0, words: [1, 2, 3, 4, 5, 6], bytes: 64 });
    expect(got[1]!.error).toBe(IpcError.REMAPFAILED);
    expect(sendResults).toEqual([0, IpcError.SEMAPFAILED]);
    expect(run.k.counters.bytesCopied).toBe(64);
  });
});

const NEVER_T = timeouts({ snd: NEVER, rcv: NEVER });
