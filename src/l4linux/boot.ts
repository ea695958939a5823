/**
 * Booting a Linux personality on the simulated machine: what the root task does, and where each
 * component lives.
 *
 *   native   the root task starts native Linux, which creates init and runs the timer interrupt
 *   l4linux  task 5 = the L4Linux server (it becomes chief of the user task numbers 16..79)
 *   l4env    as l4linux, plus task 6 = the L4Env task server (chief of the user task numbers) and
 *            task 7 = the dataspace manager
 */
import { NIL } from '../l4/ids.js';
import type { Kernel } from '../l4/kernel.js';
import type { ModelCtx, ModelProgram } from '../l4/model-engine.js';
import { receive, taskNew, type OpGenerator } from '../l4/ops.js';
import type { LxGen } from './coroutine.js';
import { Linux, type LinuxConfig } from './linux.js';
import { DM_TASK, L4EnvServices, TASK_SERVER_TASK } from './l4/l4env.js';
import { FIRST_USER_TASK, LinuxServer, SERVER_TASK, USER_TASKS, type Priorities } from './l4/server.js';
import { NativePlatform } from './native/platform.js';
import type { Personality } from './platform.js';
import type { Keyboard } from './tty.js';

export interface LinuxMachineOptions {
  personality: Personality;
  config: LinuxConfig;
  maxcpus: number;
  prio: Priorities;
  /** Memory for processes, log2 bytes. */
  poolLog2: number;
  keyboard: Keyboard | null;
  syscalls: 'trampoline' | 'direct';
  /** L4Linux: each thread in a task of its own (2.4), or a process's threads in one task (the fix). */
  threadModel: 'task' | 'shared';
  /** X.2: the Linux server runs in a small address space (a call from a process and back reloads segments only). */
  serverSmallSpace?: boolean;
}

export interface LinuxMachine {
  lx: Linux;
  /** The root task's program. */
  root: ModelProgram;
  server: LinuxServer | null;
}

/** Priority of the L4Env servers: above the Linux kernel threads, below the server's pager [INF]. */
const L4ENV_PRIO = 185;

export function buildLinuxMachine(k: Kernel, program: (p: ModelProgram) => number, o: LinuxMachineOptions): LinuxMachine {
  if (o.personality === 'native') {
    const lx = new Linux(o.config);
    const platform = new NativePlatform(k, lx, { userPrio: o.prio.user, kernelPrio: o.prio.kernel });
    lx.platform = platform;
    k.inspectors.push(() => lx.describe());
    const root: ModelProgram = {
      name: 'roottask',
      *run(ctx) {
        yield* runLinux(lx, ctx, lx.spawnInit());
        platform.startTimer();
        yield* receive(NIL); // the run ends when init exits
      },
    };
    return { lx, root, server: null };
  }
  const l4env = o.personality === 'l4env' ? new L4EnvServices(FIRST_USER_TASK, USER_TASKS, o.poolLog2) : null;
  const server = new LinuxServer(o.config, {
    personality: o.personality,
    maxcpus: o.maxcpus,
    cpus: k.cpus.length,
    prio: o.prio,
    poolLog2: o.poolLog2,
    keyboard: o.keyboard,
    syscalls: o.syscalls,
    threadModel: o.threadModel,
    l4env,
  });
  const serverIp = server.load(program);
  k.inspectors.push(() => server.lx.describe());
  const tsIp = l4env ? program(l4env.taskServer()) : 0;
  const dmIp = l4env ? program(l4env.dataspaceManager()) : 0;
  const root: ModelProgram = {
    name: 'roottask',
    *run(c) {
      const s0 = c.machine.threadId(2, 0);
      // The user task numbers go to whoever creates processes: the task server, or the Linux server.
      const owner = l4env ? TASK_SERVER_TASK : SERVER_TASK;
      for (let i = 0; i < USER_TASKS; i++) yield* taskNew(FIRST_USER_TASK + i, owner, NIL, 0, 0);
      if (l4env) {
        yield* taskNew(DM_TASK, 255, s0, dmIp, 0, { prio: L4ENV_PRIO, annotate: { name: 'dm_phys', taskName: 'dm_phys' } });
        yield* taskNew(TASK_SERVER_TASK, 255, s0, tsIp, 0, { prio: L4ENV_PRIO, annotate: { name: 'task-server', taskName: 'tasklib' } });
      }
      const serverNote = { name: 'linux-server', taskName: 'linux', ...(o.serverSmallSpace ? { smallSpace: true } : {}) };
      yield* taskNew(SERVER_TASK, 255, s0, serverIp, 0, { prio: o.prio.kernel, annotate: serverNote });
      yield* receive(NIL); // the root task stays; the run ends when init exits
    },
  };
  return { lx: server.lx, root, server };
}

/** Run Linux code that does not sleep on a model thread (boot). */
function* runLinux<T>(lx: Linux, ctx: ModelCtx, body: LxGen<T>): OpGenerator<T> {
  let input: unknown = undefined;
  for (;;) {
    lx.ctx = ctx;
    const step = body.next(input as never);
    if (step.done) return step.value;
    if (step.value.op === 'lx-sleep') throw new Error('linux: boot code tried to sleep');
    input = yield step.value;
  }
}
