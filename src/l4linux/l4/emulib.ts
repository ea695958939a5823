/**
 * The emulation library's model code inside every L4Linux process task (l4-semantics.md §7):
 *
 *  - startup (thread 0 of a new task, from task_new after fork or exec): create the signal thread with
 *    lthread_ex_regs (in V2 only a task's own threads can do that), ask the server for the registers to
 *    start with, and jump into the guest program;
 *  - the signal thread (lthread 1): wait for kicks from the server and force the user thread into the
 *    emulation library's signal entry with lthread_ex_regs, which enters the server like a system call.
 *
 * The window between task_new and the signal thread's first receive is where kicks get lost
 * (ENOT_EXISTENT while lthread 1 does not exist, SETIMEOUT while it has not reached its receive).
 * The server's thread id arrives in the stack-pointer argument, as a startup parameter.
 */
import { KEEP } from '../../l4/engine.js';
import { EMULIB_SIGNAL_ENTRY, EXC_WORDS } from '../../l4/ia32-engine.js';
import { gidTask } from '../../l4/ids.js';
import type { ModelProgram } from '../../l4/model-engine.js';
import { call, enterGuest, exRegs, replyWait, wait, type IpcResult } from '../../l4/ops.js';
import type { SignalFix } from '../linux.js';
import { LX_GET_REGS, LX_KICK, LX_SIG_READY } from './protocol.js';

/** The signal thread of user thread 2k is lthread 2k + SIGNAL_THREAD. */
export const SIGNAL_THREAD = 1;

export function emulibPrograms(fix: SignalFix, serverTask: number, sigThreadIp: () => number): { start: ModelProgram; signalThread: ModelProgram } {
  const signalThread: ModelProgram = {
    name: 'l4linux-signal-thread',
    *run(ctx) {
      const server = ctx.sp;
      // The user thread this signal thread serves: the one before it (thread 2k has signal thread 2k + 1).
      const user = ctx.lthread - 1;
      const isKick = (r: IpcResult): boolean => r.error === 0 && gidTask(r.src) === serverTask && r.words[0] === LX_KICK;
      if (fix === 'handshake') {
        // Report readiness and start waiting in one step (send + open receive), so no kick can arrive
        // in between; the server kicks only a signal thread that reported ready, and each kick needs a
        // new report.
        for (;;) {
          const r = yield* replyWait(server, [LX_SIG_READY]);
          if (isKick(r)) yield* exRegs(user, EMULIB_SIGNAL_ENTRY, KEEP);
        }
      }
      for (;;) {
        const r = yield* wait();
        if (isKick(r)) yield* exRegs(user, EMULIB_SIGNAL_ENTRY, KEEP);
      }
    },
  };
  const start: ModelProgram = {
    name: 'l4linux-startup',
    acceptsRedirect: true,
    *run(ctx) {
      const server = ctx.sp;
      yield* exRegs(ctx.lthread + SIGNAL_THREAD, sigThreadIp(), server, { pager: server });
      let forced = false;
      for (;;) {
        const r = yield* call(server, [LX_GET_REGS], undefined, {}, { maxWords: EXC_WORDS });
        // Forced to the signal entry before the registers arrived: enter the guest and take the signal.
        forced ||= ctx.takeRedirect() !== null;
        if (r.error === 0 && r.words.length >= EXC_WORDS) {
          yield* enterGuest(r.words, forced);
          return;
        }
      }
    },
  };
  return { start, signalThread };
}
