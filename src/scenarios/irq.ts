/**
 * irq: a device raises an interrupt line at seeded instants (IRQ_INSTANT choices); a handler thread
 * attached to it takes each hit as an IPC, works for a while, and waits again. A low-priority thread
 * computes meanwhile, so hits preempt it. Hits that arrive while the line is masked coalesce.
 * Reports hits raised and delivered and the latency from raise to the handler running.
 */
import { z } from 'zod';
import { ChoiceSite } from '../sim/choices.js';
import { irqGid } from '../l4/ids.js';
import type { ModelProgram } from '../l4/model-engine.js';
import { ipc, receive, taskNew, work } from '../l4/ops.js';
import { timeouts, ZERO } from '../l4/timeouts.js';
import type { ScenarioDef } from './scenario.js';

const Params = z
  .object({
    irq: z.number().int().min(0).max(15).default(1),
    hits: z.number().int().min(1).max(1_000_000).default(200),
    /** Minimum cycles between hits; each gap adds a choice in [0, spread). */
    minGap: z.number().int().min(1).default(20_000),
    spread: z.number().int().min(1).default(40_000),
    handlerWork: z.number().int().min(0).default(45_000),
    handlerPrio: z.number().int().min(1).max(250).default(200),
    background: z.boolean().default(true),
    /** With several CPUs the background thread computes on the last one (the handler stays on CPU 0, where the line delivers). */
    backgroundCpu: z.enum(['last', 'cpu0']).default('last'),
  })
  .strict();
type Params = z.infer<typeof Params>;

export const irqScenario: ScenarioDef<Params> = {
  name: 'irq',
  description: 'a device raises IRQs at seeded instants to a handler thread; reports delivery latency',
  params: Params,
  build(ctx, p) {
    const { k } = ctx;
    let raised = 0;
    let delivered = 0;
    let latencySum = 0;
    let latencyMax = 0;
    const scheduleNext = (from: number): void => {
      if (raised >= p.hits) return;
      const at = from + p.minGap + k.choices.choose(ChoiceSite.IRQ_INSTANT, p.spread);
      k.scheduleIrq(p.irq, at, () => {
        raised++;
        scheduleNext(at);
      });
    };
    scheduleNext(0);
    const line = irqGid(p.irq);
    const handler: ModelProgram = {
      name: 'irq-handler',
      *run(c) {
        yield* receive(line, timeouts({ rcv: ZERO })); // attach
        const x2 = k.flavour.irqAck === 'ack-ipc';
        const state = k.irqLine(p.irq);
        while (raised < p.hits || state.pending) {
          // V2: receiving from the line unmasks it; X.2: the acknowledgement IPC does.
          const r = x2 && delivered > 0 ? yield* ipc(line, { words: [] }, { from: line }) : yield* receive(line);
          if (r.error !== 0 || r.src !== line) continue;
          delivered++;
          // The kernel knows which hit it delivered (coalesced ones fold into the first); another
          // may already have been raised before this thread runs, so the scenario cannot count them.
          const latency = c.now() - state.deliveredRaiseTime;
          latencySum += latency;
          latencyMax = Math.max(latencyMax, latency);
          yield* work(p.handlerWork);
        }
      },
    };
    const handlerIp = ctx.program(handler);
    const spinner: ModelProgram = {
      name: 'background',
      *run() {
        for (;;) yield* work(100_000);
      },
    };
    const spinIp = ctx.program(spinner);
    return {
      root: {
        name: 'roottask',
        *run(c) {
          const s0 = c.machine.threadId(2, 0);
          yield* taskNew(5, 255, s0, handlerIp, 0x8000, { prio: p.handlerPrio, annotate: { name: 'irq-handler', taskName: 'driver', essential: true, cpu: 0 } });
          if (p.background) yield* taskNew(6, 255, s0, spinIp, 0x8000, { prio: 10, annotate: { name: 'background', taskName: 'cruncher', cpu: p.backgroundCpu === 'last' ? k.cpus.length - 1 : 0 } });
        },
      },
      finish(km) {
        km.metric('irq.raised', raised, 'hits');
        km.metric('irq.delivered', delivered, 'hits');
        km.metric('irq.latency_avg', delivered ? Math.floor(latencySum / delivered) : 0, 'cycles');
        km.metric('irq.latency_max', latencyMax, 'cycles');
      },
    };
  },
};
