/**
 * pingpong: two threads exchanging short IPC, as in the Pistachio pingpong benchmark. `ping` calls,
 * `pong` answers with reply-and-wait; after a warm-up, ping times `rounds` round trips. Variants: both
 * threads in one address space (intra), in two (inter), or in two on different CPUs (cross: ping on
 * CPU 0, pong on CPU 1). The figure is cycles per round trip, and it comes only from the cost profile:
 * 2 x (system call entry/exit + IPC path), plus 2 address-space switches for inter, plus for cross
 * 2 x (cross-CPU wakeup: xcpuSend + xcpuLatency + xcpuReceive) and no address-space switch (each CPU
 * stays in its own space).
 */
import { z } from 'zod';
import type { ModelProgram } from '../l4/model-engine.js';
import { call, exRegs, receive, replyWait, send, taskNew, wait } from '../l4/ops.js';
import { elfPagerProgram, STACK_TOP } from '../l4/elf-pager.js';
import { toV2 } from '../l4/ids.js';
import type { ScenarioBuild, ScenarioContext, ScenarioDef } from './scenario.js';

const Params = z
  .object({
    rounds: z.number().int().min(1).max(10_000_000).default(2000),
    warmup: z.number().int().min(0).max(1_000_000).default(10),
    spaces: z.array(z.enum(['intra', 'inter', 'cross'])).min(1).default(['intra', 'inter', 'cross']),
    /** Also run, untraced, under these flavours and report their figures. */
    compare: z.array(z.enum(['v2', 'x2'])).default(['v2', 'x2']),
    prio: z.number().int().min(1).max(250).default(100),
    /** X.2: put the inter-space pair in small address spaces. */
    smallSpaces: z.boolean().default(false),
    /** model: both partners are model code; ia32: both run the pingpong guest (src/guests/programs/pingpong.c). */
    engine: z.enum(['model', 'ia32']).default('model'),
  })
  .strict();
type Params = z.infer<typeof Params>;

const PING_TASK = 5;
const PONG_TASK = 6;

export const pingpong: ScenarioDef<Params> = {
  name: 'pingpong',
  description: 'two threads exchange short IPC; reports cycles per round trip, intra- and inter-address-space',
  params: Params,
  images: (p) => (p.engine === 'ia32' ? ['pingpong'] : []),
  check: (spec, p) => (p.spaces.includes('cross') && spec.cpus < 2 ? `the cross variant needs a second CPU (--cpus 2, or --set 'spaces=["intra","inter"]')` : null),
  build(ctx, p) {
    if (p.engine === 'ia32') return buildGuest(ctx, p);
    const pong: ModelProgram = {
      name: 'pong',
      *run() {
        let r = yield* wait();
        for (;;) r = yield* replyWait(r.src, [(r.words[0] ?? 0) + 1]);
      },
    };
    const pongIp = ctx.program(pong);
    const ping: ModelProgram = {
      name: 'ping',
      *run(c) {
        const root = c.machine.threadId(4, 0);
        const cfg = yield* wait(); // the configuration from the root task, as the guest version does
        let partner = cfg.words[0]!;
        if (partner === 0) {
          const made = yield* exRegs(1, pongIp, 0x8000, { annotate: { name: 'pong' } });
          if (!made.ok) throw new Error('pingpong: could not create pong');
          partner = c.machine.threadId(c.task, 1);
        }
        for (let i = 0; i < p.warmup; i++) yield* call(partner, [i]);
        const t0 = c.now();
        let errors = 0;
        for (let i = 0; i < p.rounds; i++) {
          const r = yield* call(partner, [i]);
          if (r.error !== 0) errors++;
        }
        const t1 = c.now();
        yield* send(root, [t1 - t0, errors]);
      },
    };
    const pingIp = ctx.program(ping);
    return {
      root: {
        name: 'roottask',
        *run(c) {
          const flavour = ctx.k.flavour.name;
          for (const variant of p.spaces) {
            let pongGid = 0;
            if (variant !== 'intra') {
              const annotate = { name: 'pong', taskName: 'pong', smallSpace: p.smallSpaces, ...pongCpu(variant) };
              pongGid = (yield* taskNew(PONG_TASK, 255, c.machine.threadId(2, 0), pongIp, 0x8000, { prio: p.prio, annotate })).task;
            }
            const pingGid = (yield* taskNew(PING_TASK, 255, c.machine.threadId(2, 0), pingIp, 0x8000, {
              prio: p.prio,
              annotate: { name: 'ping', taskName: variant === 'intra' ? 'pingpong' : 'ping', smallSpace: p.smallSpaces },
            })).task;
            yield* send(pingGid, [pongGid]);
            const res = yield* receive(pingGid);
            const [cycles, errors] = res.words as [number, number];
            c.machine.metric(`${flavour}.${variant}.cycles_per_roundtrip`, cycles / p.rounds, 'cycles');
            if (errors) c.machine.metric(`${flavour}.${variant}.ipc_errors`, errors, 'calls');
          }
        },
      },
    };
  },
  compares: (p) => p.compare,
  // A second CPU for the cross variant; intra and inter run on CPU 0.
  defaults: { cpus: 2 },
};

/** Where pong runs: CPU 1 for the cross variant, else its creator's (CPU 0). */
function pongCpu(variant: 'intra' | 'inter' | 'cross'): { cpu?: number } {
  return variant === 'cross' ? { cpu: 1 } : {};
}

/**
 * Both partners as IA32 guests: an ELF pager (lthread 1 of the root task) serves the image; ping starts
 * at the ELF entry, an inter-space pong at `pong_entry`. The guest speaks the same protocol as the model
 * version (configuration [pong id, rounds, warmup] from the root; result [cycles, errors] back), with
 * V2 thread ids in the words.
 */
function buildGuest(ctx: ScenarioContext, p: Params): ScenarioBuild {
  const pagerIp = ctx.program(elfPagerProgram('pingpong'));
  return {
    root: {
      name: 'roottask',
      *run(c) {
        const flavour = ctx.k.flavour.name;
        yield* exRegs(1, pagerIp, 0, { annotate: { name: 'elf-pager' } });
        const pager = c.machine.threadId(4, 1);
        const image = c.machine.image('pingpong');
        for (const variant of p.spaces) {
          let pongId = 0;
          if (variant !== 'intra') {
            const pong = yield* taskNew(PONG_TASK, 255, pager, image.symbol('pong_entry'), STACK_TOP, {
              prio: p.prio,
              annotate: { name: 'pong', taskName: 'pong', image: 'pingpong', smallSpace: p.smallSpaces, ...pongCpu(variant) },
            });
            pongId = toV2(pong.task).low;
          }
          const ping = yield* taskNew(PING_TASK, 255, pager, image.elf.entry, STACK_TOP, {
            prio: p.prio,
            annotate: { name: 'ping', taskName: variant === 'intra' ? 'pingpong' : 'ping', image: 'pingpong', smallSpace: p.smallSpaces },
          });
          yield* send(ping.task, [pongId, p.rounds, p.warmup]);
          const res = yield* receive(ping.task);
          const [cycles, errors] = res.words as [number, number];
          c.machine.metric(`${flavour}.${variant}.cycles_per_roundtrip`, cycles / p.rounds, 'cycles');
          if (errors) c.machine.metric(`${flavour}.${variant}.ipc_errors`, errors, 'calls');
        }
      },
    },
  };
}
