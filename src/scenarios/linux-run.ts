/**
 * run: one guest program as the first Linux process (init) on L4Linux: sigma0, the root task, the Linux
 * server, and the program. The run ends when init exits (outcome ok, its exit status as a metric).
 */
import { z } from 'zod';
import { NIL } from '../l4/ids.js';
import { receive, taskNew } from '../l4/ops.js';
import { FIRST_USER_TASK, LinuxServer, PRIO_KERNEL, SERVER_TASK, USER_TASKS } from '../l4linux/server.js';
import type { ScenarioDef } from './scenario.js';

const Params = z
  .object({
    program: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a guest program name'),
    args: z.array(z.string()).default([]),
    env: z.array(z.string()).default([]),
    /** Memory the Linux server takes from sigma0 (log2 bytes). */
    poolLog2: z.number().int().min(16).max(24).default(22),
  })
  .strict();
type Params = z.infer<typeof Params>;

export const linuxRun: ScenarioDef<Params> = {
  name: 'run',
  description: 'one guest program as the first process on L4Linux',
  params: Params,
  defaults: { physFrames: 2048 }, // 8 MiB: sigma0's first megabyte, the server's 4 MiB pool, room to spare
  images: (p) => [p.program],
  build(ctx, p) {
    const server = new LinuxServer({ init: p.program, args: p.args, env: p.env, poolLog2: p.poolLog2 });
    const serverIp = ctx.program(server.program());
    return {
      root: {
        name: 'roottask',
        *run(c) {
          // Hand the user task numbers to the Linux server (it becomes their chief), then start it.
          for (let i = 0; i < USER_TASKS; i++) yield* taskNew(FIRST_USER_TASK + i, SERVER_TASK, NIL, 0, 0);
          yield* taskNew(SERVER_TASK, 255, c.machine.threadId(2, 0), serverIp, 0, { prio: PRIO_KERNEL, annotate: { name: 'linux-server', taskName: 'linux' } });
          yield* receive(NIL); // the root task stays; the run ends when init exits
        },
      },
    };
  },
};
