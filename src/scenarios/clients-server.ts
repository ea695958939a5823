/**
 * clients-server: several clients call one server with finite send and receive timeouts; the server
 * takes a while per request, so some calls time out and are retried. Optional `deadlock`: two more
 * threads that call each other with no timeout, which leaves the system with nothing to run.
 */
import { z } from 'zod';
import type { ModelProgram } from '../l4/model-engine.js';
import { call, replyWait, taskNew, wait, work } from '../l4/ops.js';
import { NEVER, timeouts, us, ZERO } from '../l4/timeouts.js';
import type { ScenarioDef } from './scenario.js';

const Params = z
  .object({
    clients: z.number().int().min(1).max(100).default(4),
    calls: z.number().int().min(1).max(1_000_000).default(50),
    serverWork: z.number().int().min(0).default(100_000),
    clientWork: z.number().int().min(0).default(20_000),
    /** Send and receive timeout of each call in microseconds (0 = zero: fail unless the partner is ready), or "never". */
    timeoutUs: z.union([z.number().int().min(0), z.literal('never')]).default(300),
    /** With several CPUs: `spread` puts the server on CPU 0 and the clients round robin on the others; `cpu0` keeps all on CPU 0. */
    placement: z.enum(['spread', 'cpu0']).default('spread'),
    clientPrio: z.number().int().min(1).max(250).default(100),
    serverPrio: z.number().int().min(1).max(250).default(120),
    deadlock: z.boolean().default(false),
  })
  .strict();
type Params = z.infer<typeof Params>;

const SERVER_TASK = 5;
const FIRST_CLIENT_TASK = 8;

export const clientsServer: ScenarioDef<Params> = {
  name: 'clients-server',
  description: 'clients call a server with timeouts; reports completed and timed-out calls',
  params: Params,
  build(ctx, p) {
    let ok = 0;
    let timedOut = 0;
    const server: ModelProgram = {
      name: 'server',
      *run() {
        let r = yield* wait();
        for (;;) {
          if (r.error !== 0) {
            r = yield* wait();
            continue;
          }
          yield* work(p.serverWork + ((r.words[0] ?? 0) % 4) * 500);
          r = yield* replyWait(r.src, [(r.words[0] ?? 0) * 2], timeouts({ snd: ZERO }));
        }
      },
    };
    const serverIp = ctx.program(server);
    const to =
      p.timeoutUs === 'never' ? timeouts({ snd: NEVER, rcv: NEVER }) : p.timeoutUs === 0 ? timeouts({ snd: ZERO, rcv: ZERO }) : timeouts({ snd: us(p.timeoutUs), rcv: us(p.timeoutUs) });
    const cpus = ctx.k.cpus.length;
    // Client i on CPU 1 + i mod (cpus - 1) when spread over several CPUs; the server keeps CPU 0.
    const clientCpu = (i: number): number => (p.placement === 'spread' && cpus > 1 ? 1 + (i % (cpus - 1)) : 0);
    const client: ModelProgram = {
      name: 'client',
      *run(c) {
        const srv = c.machine.threadId(SERVER_TASK, 0);
        for (let i = 0; i < p.calls; i++) {
          yield* work(p.clientWork);
          const r = yield* call(srv, [i], to);
          if (r.error === 0) ok++;
          else timedOut++;
        }
      },
    };
    const clientIp = ctx.program(client);
    const deadlocker = (peerTask: number): ModelProgram => ({
      name: `caller-of-${peerTask}`,
      *run(c) {
        yield* work(1000);
        yield* call(c.machine.threadId(peerTask, 0), [1]);
      },
    });
    const aIp = ctx.program(deadlocker(7));
    const bIp = ctx.program(deadlocker(6));
    return {
      root: {
        name: 'roottask',
        *run(c) {
          const s0 = c.machine.threadId(2, 0);
          yield* taskNew(SERVER_TASK, 255, s0, serverIp, 0x8000, { prio: p.serverPrio, annotate: { name: 'server', taskName: 'server', cpu: 0 } });
          for (let i = 0; i < p.clients; i++) {
            yield* taskNew(FIRST_CLIENT_TASK + i, 255, s0, clientIp, 0x8000, { prio: p.clientPrio, annotate: { name: `client${i}`, taskName: `client${i}`, essential: true, cpu: clientCpu(i) } });
          }
          if (p.deadlock) {
            yield* taskNew(6, 255, s0, aIp, 0x8000, { prio: p.clientPrio, annotate: { name: 'a', taskName: 'a', essential: true } });
            yield* taskNew(7, 255, s0, bIp, 0x8000, { prio: p.clientPrio, annotate: { name: 'b', taskName: 'b', essential: true } });
          }
        },
      },
      finish(k) {
        k.metric('calls.ok', ok, 'calls');
        k.metric('calls.timed_out', timedOut, 'calls');
      },
    };
  },
};
