/**
 * Page faults of a thread's own accesses: the kernel turns the fault into an IPC to the thread's pager
 * (l4-semantics.md §6); when the pager's reply has mapped the page, the access is retried.
 */
import { R, W } from '../ia32/memory.js';
import { IpcError } from './ipc-errors.js';
import { closePf, newPfCtx, physAddr, startIpc } from './ipc.js';
import type { Kernel } from './kernel.js';
import type { Thread } from './thread.js';
import { NEVER } from './timeouts.js';

/** Model code touching memory: succeeds if mapped with the needed rights, else faults like guest code. */
export function touch(k: Kernel, t: Thread, addr: number, write: boolean): void {
  if (physAddr(t.task.space, addr, write ? W : R) >= 0) {
    t.engine.resume(undefined);
    return;
  }
  pageFault(k, t, addr, write, t.engine.regs().ip);
}

export function pageFault(k: Kernel, t: Thread, addr: number, write: boolean, ip: number): void {
  const ctx = newPfCtx(k, t, addr, write, ip, 'pagefault', NEVER);
  ctx.onDone = (res) => {
    if (res.error === IpcError.ENOT_EXISTENT) {
      // No pager to ask: the access can never succeed.
      closePf(k, t, ctx, res);
      k.fault(t, { op: 'fault', fault: 'gp', addr, write, ip, detail: `page fault at 0x${addr.toString(16)} and no pager` });
      return;
    }
    t.deliver = () => {
      closePf(k, t, ctx, res);
      t.engine.retry();
    };
    k.sched.wake(t);
  };
  t.pf = ctx;
  startIpc(k, t, ctx);
}

