/**
 * Threads: clone with CLONE_THREAD (glibc's and musl's pthread_create), exit of one thread and
 * exit_group, gettid and set_tid_address. A thread is a Linux task of its own (its pid is the tid)
 * in its creator's thread group, sharing the memory, the signal actions, the identity and the limits,
 * and the descriptor table and working directory as CLONE_FILES and CLONE_FS ask. How it runs is the
 * platform's: on L4Linux 2.4 a task of its own with the same mappings (seed 000's known bug), with
 * `threadModel` shared an L4 thread of the process's task, natively a thread of the same address space.
 */
import { EAGAIN, EFAULT, EINVAL, ENOMEM, NR } from '../abi.js';
import { work, type LxGen } from '../coroutine.js';
import { forkFpu } from '../fpu-state.js';
import type { Linux } from '../linux.js';
import { exitedStatus, type Process } from '../process.js';
import { forkSegments, setTlsFromUser } from '../tls.js';
import { writeWords } from '../uaccess.js';
import { EXC } from '../../l4/ia32-engine.js';
import { value, type SyscallTable } from './syscall.js';

export const CLONE = {
  VM: 0x100,
  FS: 0x200,
  FILES: 0x400,
  SIGHAND: 0x800,
  VFORK: 0x4000,
  PARENT: 0x8000,
  THREAD: 0x10000,
  SYSVSEM: 0x40000,
  SETTLS: 0x80000,
  PARENT_SETTID: 0x100000,
  CHILD_CLEARTID: 0x200000,
  DETACHED: 0x400000,
  CHILD_SETTID: 0x1000000,
} as const;

/** Kernel pages of a thread: its task structure and kernel stack (2.4: 8 KiB); the page tables are the process's. */
const KERNEL_PAGES_PER_THREAD = 2;

export interface CloneArgs {
  flags: number;
  stack: number;
  parentTid: number;
  tls: number;
  childTid: number;
}

/** clone with CLONE_THREAD: a new thread of the caller's process. Returns its tid or an errno. */
export function* cloneThread(lx: Linux, creator: Process, regs: number[], args: CloneArgs): LxGen<number | null> {
  const { flags } = args;
  // copy_process's rules: a thread shares the signal actions, which need the shared memory.
  if (!(flags & CLONE.SIGHAND) || !(flags & CLONE.VM)) return -EINVAL;
  if (creator.group.exiting) return -EAGAIN;
  if (lx.processes.size >= lx.config.limits.maxThreads) return -EAGAIN;
  yield* work(lx.costs.linuxFork);
  const t = lx.newThread(creator, (flags & CLONE.FS) !== 0, (flags & CLONE.FILES) !== 0);
  t.blocked = creator.blocked;
  t.blockedRt = creator.blockedRt;
  t.startRegs = regs.slice();
  t.startRegs[EXC.EAX] = 0; // clone returns 0 in the new thread
  if (args.stack !== 0) t.startRegs[EXC.ESP] = args.stack;
  forkSegments(lx, creator, t);
  t.ldt = creator.ldt; // the LDT belongs to the memory (mm->context)
  forkFpu(lx, creator, t);
  if (flags & CLONE.SETTLS && !(yield* setTlsFromUser(lx, creator, t, args.tls))) return yield* undoThread(lx, t, EFAULT);
  for (let i = 0; i < KERNEL_PAGES_PER_THREAD; i++) {
    const at = yield* lx.platform.allocPage();
    if (at < 0) return yield* undoThread(lx, t, ENOMEM);
    t.kernelPages.push(at);
  }
  if (flags & CLONE.PARENT_SETTID) yield* writeWords(lx, creator, args.parentTid, [t.pid]);
  if (flags & CLONE.CHILD_SETTID) yield* writeWords(lx, t, args.childTid, [t.pid]);
  if (flags & CLONE.CHILD_CLEARTID) t.clearTid = args.childTid;
  yield* work(lx.ctx.machine.chaosDelay()); // chaos point: thread creation
  if (!(yield* lx.platform.startThread(t, creator))) return yield* undoThread(lx, t, EAGAIN);
  return t.pid;
}

/** The thread could not be made: it leaves the group and the process table again. */
function* undoThread(lx: Linux, t: Process, err: number): LxGen<number> {
  const g = t.group;
  g.threads.splice(g.threads.indexOf(t), 1);
  t.state = 'zombie';
  t.threadExited = true;
  lx.processes.delete(t.pid);
  for (const at of t.kernelPages.splice(0)) yield* lx.platform.freePage(at);
  if (!g.threads.some((o) => o.files === t.files)) for (const f of t.files.fds) f?.release();
  return -err;
}

export const THREAD_SYSCALLS: SyscallTable = [
  [NR.exit, function* (lx, proc, a) {
    yield* lx.exitThread(proc, exitedStatus(a[0]!));
    return null;
  }],
  [NR.exit_group, function* (lx, proc, a) {
    yield* lx.exit(proc, exitedStatus(a[0]!));
    return null;
  }],
  [NR.gettid, (_lx, p) => value(p.pid)],
  [NR.set_tid_address, (_lx, p, a) => ((p.clearTid = a[0]!), value(p.pid))],
];
