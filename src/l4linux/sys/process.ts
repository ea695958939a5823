/**
 * Process system calls: fork and its clone and vfork forms (clone with CLONE_THREAD makes a thread:
 * thread.ts), the wait family, and execve (programs come from the file system, exec.ts).
 */
import {
  E2BIG, EAGAIN, ECHILD, EFAULT, EINVAL, ENOMEM, ERESTARTSYS, NR, SIG, SIG_DFL, SIG_IGN, WNOHANG,
} from '../abi.js';
import { sleepOn, WaitQueue, work, type LxGen } from '../coroutine.js';
import { loadProgram } from '../exec.js';
import { forkFpu } from '../fpu-state.js';
import { entryRegs, type Linux } from '../linux.js';
import { traced } from '../kfunc.js';
import { ProcessMemory, USER_STACK_TOP } from '../memory.js';
import { exitedStatus, type Process } from '../process.js';
import { execSegments, forkSegments, setTlsFromUser } from '../tls.js';
import { readStringArray, writeWords, copyToUser } from '../uaccess.js';
import { buildInitialStack } from '../../ia32/process-stack.js';
import { atRandom } from '../random.js';
import { EXC } from '../../l4/ia32-engine.js';
import { userPath } from './at.js';
import { i32, type SyscallTable } from './syscall.js';
import { CLONE, cloneThread, type CloneArgs } from './thread.js';

/** Kernel pages every process holds besides its page tables: task structure and kernel stack (2.4: 8 KiB). */
export const KERNEL_PAGES_PER_PROCESS = 2;

const CSIGNAL = 0xff;
/** Sharing flags that only a thread may use here (processes sharing memory or tables are not supported). */
const SHARING_FLAGS = CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.PARENT;
/** execve's argument and environment limit (2.4: MAX_ARG_PAGES 32 pages). */
const ARG_MAX = 32 * 4096;

/** Page tables a process needs: one per 4 MiB region in use, plus the page directory. */
function pageTables(mm: ProcessMemory): number {
  const dirs = new Set<number>();
  for (const vpn of mm.pages.keys()) dirs.add(vpn >>> 10);
  return dirs.size + 1;
}

const FORK: CloneArgs = { flags: SIG.CHLD, stack: 0, parentTid: 0, tls: 0, childTid: 0 };

function* clone(lx: Linux, parent: Process, regs: number[], args: CloneArgs): LxGen<number | null> {
  const { flags } = args;
  if (flags & CLONE.THREAD) return yield* traced(lx.kf, 'do_fork', cloneThread(lx, parent, regs, args));
  if (flags & SHARING_FLAGS || (flags & CLONE.VM && !(flags & CLONE.VFORK))) {
    lx.diagnose(parent, `clone flags 0x${flags.toString(16)} share memory or tables between processes (LinuxThreads style): not supported (EINVAL)`);
    return -EINVAL;
  }
  lx.stats.forks++;
  // 2.4's max_threads: zombies count until reaped, so a parent that never waits cannot fill the host.
  if (lx.processes.size >= lx.config.limits.maxThreads) return -EAGAIN;
  return yield* traced(lx.kf, 'do_fork', doFork(lx, parent, regs, args));
}

/**
 * do_fork, as Linux 2.4 nests it (the kernel function trace shows these names): its own work (task
 * structure, files, signal state), copy_mm -> dup_mmap -> copy_page_range (the page tables: one entry
 * copied and write-protected per present page, the parent's pages unmapped for copy-on-write), then
 * copy_thread, where L4Linux creates the child's task.
 */
function* doFork(lx: Linux, parent: Process, regs: number[], args: CloneArgs): LxGen<number> {
  const { flags } = args;
  yield* work(lx.costs.linuxFork);
  const { child: mm, protect } = parent.mm.fork();
  const child = lx.newProcess(parent, parent.name, mm, parent.files.clone());
  child.actions.forEach((act, i) => Object.assign(act, parent.actions[i]));
  child.blocked = parent.blocked;
  child.exitSignal = flags & CSIGNAL;
  child.startRegs = regs.slice();
  child.startRegs[EXC.EAX] = 0; // fork returns 0 in the child
  if (args.stack !== 0) child.startRegs[EXC.ESP] = args.stack;
  forkSegments(lx, parent, child);
  forkFpu(lx, parent, child);
  if (flags & CLONE.SETTLS && !(yield* setTlsFromUser(lx, parent, child, args.tls))) return yield* undoFork(lx, child, mm, EFAULT);
  const undo = (err: number): LxGen<number> => undoFork(lx, child, mm, err);
  // alloc_task_struct: the task structure and kernel stack.
  if (!(yield* allocKernelPages(lx, child, KERNEL_PAGES_PER_PROCESS))) return yield* undo(ENOMEM);
  const copied = yield* traced(lx.kf, 'copy_mm', traced(lx.kf, 'dup_mmap', traced(lx.kf, 'copy_page_range', copyPageRange(lx, parent, child, protect))));
  if (!copied) return yield* undo(ENOMEM); // no memory for the page tables
  if (flags & CLONE.PARENT_SETTID) yield* writeWords(lx, parent, args.parentTid, [child.pid]);
  if (flags & CLONE.CHILD_SETTID) yield* writeWords(lx, child, args.childTid, [child.pid]);
  if (flags & CLONE.CHILD_CLEARTID) child.clearTid = args.childTid;
  yield* work(lx.ctx.machine.chaosDelay()); // chaos point: fork
  // No task for the child: undo (fork fails with EAGAIN).
  if (!(yield* traced(lx.kf, 'copy_thread', lx.platform.startProcess(child, 'fork')))) return yield* undo(EAGAIN);
  if (flags & CLONE.VFORK) yield* waitForVfork(child);
  return child.pid;
}

/** copy_page_range: the child's page tables (one per 4 MiB region in use, and the directory), then copy-on-write. */
function* copyPageRange(lx: Linux, parent: Process, child: Process, protect: Parameters<Linux['platform']['writeProtect']>[1]): LxGen<boolean> {
  yield* work(parent.mm.pages.size * lx.costs.linuxForkPerPage);
  if (!(yield* allocKernelPages(lx, child, pageTables(child.mm)))) return false;
  yield* lx.platform.writeProtect(parent, protect);
  return true;
}

function* allocKernelPages(lx: Linux, proc: Process, n: number): LxGen<boolean> {
  for (let i = 0; i < n; i++) {
    const at = yield* lx.platform.allocPage();
    if (at < 0) return false;
    proc.kernelPages.push(at);
  }
  return true;
}

function* undoFork(lx: Linux, child: Process, mm: ProcessMemory, err: number): LxGen<number> {
  child.state = 'zombie';
  lx.reap(child);
  yield* lx.freeBackings(mm.release());
  for (const at of child.kernelPages.splice(0)) yield* lx.platform.freePage(at);
  for (const f of child.files.fds) f?.release();
  return -err;
}

/** CLONE.VFORK: the parent sleeps (uninterruptibly, as Linux's wait_for_completion) until the child execs or exits. */
function* waitForVfork(child: Process): LxGen {
  const done = new WaitQueue('vfork');
  child.vforkDone = done;
  while (child.vforkDone === done) yield* sleepOn(done, false);
}

function* sysClone(lx: Linux, proc: Process, a: number[], regs: number[]): LxGen<number | null> {
  // i386 order: flags, child stack, parent tid pointer, tls, child tid pointer.
  return yield* clone(lx, proc, regs, { flags: a[0]!, stack: a[1]!, parentTid: a[2]!, tls: a[3]!, childTid: a[4]! });
}

// ---------------------------------------------------------------------------------------------------
// wait

const WUNTRACED = 2;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
const WCLONE_ALL = 0xc0000000; // __WALL | __WCLONE: every child is a process here
const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;

/** The children `pid` selects (waitpid's convention). */
function selector(proc: Process, pid: number): (k: Process) => boolean {
  return (k) => (pid > 0 ? k.pid === pid : pid === -1 ? true : pid === 0 ? k.group.pgrp === proc.group.pgrp : k.group.pgrp === -pid);
}

/** Waits for a child that `matches` to become a zombie; the zombie (reaped unless `keep`), 0 (WNOHANG) or an errno. */
function* waitChild(lx: Linux, proc: Process, matches: (k: Process) => boolean, options: number, keep: boolean): LxGen<Process | number> {
  for (;;) {
    const kids = [...proc.group.leader.children].filter(matches);
    if (kids.length === 0) return -ECHILD;
    const zombie = kids.find((k) => k.state === 'zombie');
    if (zombie) {
      if (!keep) lx.reap(zombie);
      return zombie;
    }
    if (options & WNOHANG) return 0;
    const why = yield* sleepOn(proc.group.leader.childWait, true);
    if (why === 'signal') return -ERESTARTSYS;
  }
}

function* wait4(lx: Linux, proc: Process, pid: number, statusAt: number, options: number, rusageAt: number): LxGen<number | null> {
  if (options & ~(WNOHANG | WUNTRACED | WCLONE_ALL)) return -EINVAL;
  const r = yield* waitChild(lx, proc, selector(proc, pid), options, true);
  if (typeof r === 'number') return r;
  if (statusAt !== 0 && !(yield* writeWords(lx, proc, statusAt, [r.exitStatus]))) return -EFAULT;
  if (rusageAt !== 0 && !(yield* copyToUser(lx, proc, rusageAt, new Uint8Array(72)))) return -EFAULT;
  lx.reap(r);
  return r.pid;
}

/** waitid: siginfo with CLD_EXITED / CLD_KILLED, the pid and the status. */
function* waitid(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const [idtype, id, infoAt, options] = [a[0]!, i32(a[1]!), a[2]!, a[3]!];
  if (!(options & WEXITED) || options & ~(WNOHANG | WEXITED | WNOWAIT | WUNTRACED | 8 | WCLONE_ALL)) return -EINVAL;
  const matches = idtype === P_ALL ? () => true : idtype === P_PID ? (k: Process) => k.pid === id : idtype === P_PGID ? (k: Process) => k.group.pgrp === id : null;
  if (!matches) return -EINVAL;
  const r = yield* waitChild(lx, proc, matches, options, true);
  if (typeof r === 'number' && r < 0) return r;
  const info = new Array<number>(32).fill(0);
  if (typeof r !== 'number') {
    const sig = r.exitStatus & 0x7f;
    info[0] = SIG.CHLD;
    info[2] = sig ? 2 : 1; // CLD_KILLED : CLD_EXITED
    info[3] = r.pid;
    info[5] = sig ? sig : (r.exitStatus >> 8) & 0xff;
  }
  if (infoAt !== 0 && !(yield* writeWords(lx, proc, infoAt, info))) return -EFAULT;
  if (typeof r !== 'number' && !(options & WNOWAIT)) lx.reap(r);
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// execve

function* sysExecve(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const path = yield* userPath(lx, proc, a[0]!);
  if (typeof path === 'number') return path;
  return yield* traced(lx.kf, 'do_execve', doExecve(lx, proc, path, a));
}

function* doExecve(lx: Linux, proc: Process, path: string, a: number[]): LxGen<number | null> {
  const argv = yield* readStringArray(lx, proc, a[1]!, 8192);
  const envp = yield* readStringArray(lx, proc, a[2]!, 8192);
  if (argv === null || envp === null) return -EFAULT;
  const loaded = loadProgram(lx, proc.fs.cwd, proc, path, argv);
  if (typeof loaded === 'number') return loaded;
  const { image } = loaded;
  if (proc.group.threads.length > 1 || !proc.isLeader) yield* lx.becomeSoleThread(proc);
  const stack = buildInitialStack(USER_STACK_TOP, loaded.argv, envp, image.elf, atRandom(lx));
  if (stack.bytes.length > ARG_MAX) return -E2BIG;
  lx.stats.execs++;
  yield* work(lx.costs.linuxExec + lx.ctx.machine.chaosDelay()); // chaos point: exec
  const old = proc.mm;
  proc.mm = new ProcessMemory(image);
  if (!(yield* copyToUser(lx, proc, stack.sp, stack.bytes))) {
    yield* lx.freeBackings(proc.mm.release());
    proc.mm = old;
    return -EFAULT;
  }
  proc.name = path.slice(path.lastIndexOf('/') + 1).slice(0, 15);
  proc.exe = loaded.exe;
  proc.cmdline = loaded.argv;
  // Caught signals revert to their default; ignored ones stay ignored.
  for (const act of proc.actions) if (act.handler !== SIG_IGN) Object.assign(act, { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0 });
  proc.resetForExec();
  for (let fd = 0; fd < proc.files.fds.length; fd++) if (proc.files.cloexec[fd]) lx.closeFd(proc, fd);
  proc.startRegs = entryRegs(image.elf.entry, stack.sp);
  execSegments(proc);
  proc.startFpu = null; // exec's program starts with a fresh FPU
  lx.vforkRelease(proc);
  if (!(yield* lx.platform.startProcess(proc, 'exec'))) {
    yield* lx.exit(proc, exitedStatus(127));
    return null;
  }
  yield* lx.dropMemory(proc, old);
  lx.futexes.drop(old);
  return null;
}

export const PROCESS_SYSCALLS: SyscallTable = [
  [NR.fork, (lx, p, _a, regs) => clone(lx, p, regs, FORK)],
  [NR.vfork, (lx, p, _a, regs) => clone(lx, p, regs, { ...FORK, flags: CLONE.VM | CLONE.VFORK | SIG.CHLD })],
  [NR.clone, sysClone],
  [NR.waitpid, (lx, p, a) => wait4(lx, p, i32(a[0]!), a[1]!, a[2]!, 0)],
  [NR.wait4, (lx, p, a) => wait4(lx, p, i32(a[0]!), a[1]!, a[2]!, a[3]!)],
  [NR.waitid, waitid],
  [NR.execve, sysExecve],
];
