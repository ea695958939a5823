import { describe, expect, it } from 'vitest';
import { KernelLock } from '../../src/l4/locks.js';
import type { ModelCtx } from '../../src/l4/model-engine.js';
import { call, lock, receive, replyWait, taskNew, unlock, wait, work, type IpcResult, type OpGenerator } from '../../src/l4/ops.js';
import { timeouts, us } from '../../src/l4/timeouts.js';
import { ChoiceSite } from '../../src/sim/choices.js';
import { runMachine } from '../support/machine.js';

const SIGMA0 = (c: ModelCtx) => c.machine.threadId(2, 0);

function* spawn(c: ModelCtx, task: number, ip: number, prio: number, name: string, essential = true): OpGenerator<number> {
  return (yield* taskNew(task, 255, SIGMA0(c), ip, 0x8000, { prio, annotate: { name, taskName: name, essential } })).task;
}

describe('kernel locks between model threads', () => {
  it('a blocking lock suspends a higher-priority waiter until the holder releases it', () => {
    const l = new KernelLock('cli', false);
    const order: string[] = [];
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.low!, 100, 'low');
        yield* spawn(c, 6, ips.high!, 200, 'high');
      },
      {
        programs: {
          *low() {
            yield* lock(l);
            order.push('low has it');
            yield* work(2_000_000); // the high thread wakes in here and waits
            order.push('low releases');
            yield* unlock(l);
          },
          *high(c) {
            yield* receive(SIGMA0(c), timeouts({ rcv: us(1000) }));
            yield* lock(l);
            order.push('high has it');
            yield* unlock(l);
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    expect(order).toEqual(['low has it', 'low releases', 'high has it']);
    expect(l.contended).toBe(1);
  });

  it('a spinning waiter above the holder on the same CPU is a deadlock, named as such', () => {
    const l = new KernelLock('kernel_flag', true);
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.low!, 100, 'holder');
        yield* spawn(c, 6, ips.high!, 200, 'spinner');
      },
      {
        programs: {
          *low() {
            yield* lock(l);
            yield* work(2_000_000);
            yield* unlock(l);
          },
          *high(c) {
            yield* receive(SIGMA0(c), timeouts({ rcv: us(1000) }));
            yield* lock(l);
            yield* unlock(l);
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('deadlock');
    expect(run.stop.detail).toBe('priority inversion: spinner (prio 200, CPU 0) spins on kernel_flag held by holder (prio 100) on the same CPU');
  });

  it('a spinning waiter of the same priority only wastes its timeslice: the holder runs again and releases', () => {
    const l = new KernelLock('kernel_flag', true);
    const got: string[] = [];
    const run = runMachine(
      function* (c, ips) {
        yield* spawn(c, 5, ips.a!, 100, 'a');
        yield* spawn(c, 6, ips.b!, 100, 'b');
      },
      {
        programs: {
          *a() {
            yield* lock(l);
            yield* work(3_000_000); // longer than a timeslice: b gets the CPU while a holds the lock
            yield* unlock(l);
            got.push('a');
          },
          *b() {
            yield* lock(l);
            got.push('b');
            yield* unlock(l);
          },
        },
      },
    );
    expect(run.stop.outcome).toBe('ok');
    expect(got).toEqual(['a', 'b']);
    expect(l.contended).toBe(1);
  });
});

describe('scheduling ties', () => {
  it('a reply partner and a fresh thread of the same priority tie: which runs first is a recorded choice', () => {
    const firsts = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const order: string[] = [];
      const run = runMachine(
        function* (c, ips) {
          yield* taskNew(7, 5, 0, 0, 0); // task 7 goes to the server's task (it becomes its chief)
          yield* spawn(c, 5, ips.server!, 200, 'server', false);
          yield* spawn(c, 6, ips.client!, 100, 'client');
        },
        {
          seed,
          programs: {
            *server(c) {
              let r: IpcResult = yield* wait();
              // Start a fresh thread of the client's priority, then reply: both are ready.
              yield* taskNew(7, 255, SIGMA0(c), 0xc0102000, 0x8000, { prio: 100, annotate: { name: 'fresh', taskName: 'fresh', essential: true } });
              r = yield* replyWait(r.src, [1]);
              void r;
            },
            *client(c) {
              yield* call(c.machine.threadId(5, 0), [0]);
              order.push('client');
            },
            *fresh() {
              order.push('fresh');
            },
          },
        },
      );
      expect(run.stop.outcome).toBe('ok');
      firsts.add(order[0]!);
      expect(run.reader.tape().sites).toContain(ChoiceSite.TIE);
    }
    expect([...firsts].sort()).toEqual(['client', 'fresh']);
  });
});
