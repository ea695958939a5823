/**
 * The system calls (Linux i386 numbers, abi.ts). Each is a coroutine body: it returns the result for
 * EAX (a negative errno on failure) or null when the caller does not return (exit, a successful execve,
 * a fatal signal). Blocking calls sleep interruptibly and return -ERESTARTSYS (or -ERESTARTNOHAND) when
 * a signal ends the sleep; the return path (linux.ts returnToUser) settles restarts.
 */
import { Kind } from '../../tracer/catalogue.js';
import {
  EBADF,
  ECHILD,
  EFAULT,
  EINTR,
  EINVAL,
  EISDIR,
  EAGAIN,
  EMFILE,
  ENFILE,
  ENOSPC,
  ENOENT,
  ENOMEM,
  ENOEXEC,
  EPIPE,
  HZ,
  ERESTARTNOHAND,
  ERESTARTSYS,
  ESRCH,
  NR,
  O_ACCMODE,
  O_APPEND,
  O_CREAT,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  SIG,
  SIG_BLOCK,
  SIG_DFL,
  SIG_IGN,
  SIG_SETMASK,
  SIG_UNBLOCK,
  defaultAction,
  sigbit,
  UNBLOCKABLE,
  WNOHANG,
} from './abi.js';
import { sleepOn, work, type LxGen } from './coroutine.js';
import { MAX_FDS, Pipe } from './files.js';
import { entryRegs, type Linux } from './linux.js';
import { ProcessMemory, USER_STACK_SIZE, USER_STACK_TOP } from './memory.js';
import { exitedStatus, type Process } from './process.js';
import { sendSignal, sendToGroup, sigreturn } from './signals.js';
import { forkFpu } from './fpu-state.js';
import { execSegments, forkSegments, sysGetThreadArea, sysModifyLdt, sysSetThreadArea } from './tls.js';
import { copyFromUser, copyToUser, readString, readStringArray, readWords, writeWords } from './uaccess.js';
import { buildInitialStack } from '../ia32/process-stack.js';
import { atRandom } from './random.js';
import { EXC } from '../l4/ia32-engine.js';
import type { GuestImage } from '../l4/guest-image.js';
import type { Syscall } from './sys/syscall.js';
import { IDENTITY_SYSCALLS } from './sys/identity.js';
import { SIGNAL_SYSCALLS } from './sys/signal-calls.js';
import { TIME_SYSCALLS } from './sys/time.js';

export type { Syscall };

/** Kernel pages every process holds besides its page tables: task structure and kernel stack (2.4: 8 KiB). */
export const KERNEL_PAGES_PER_PROCESS = 2;
/** Largest read or write served in one call. */
const MAX_IO = 1 << 16;

const i32 = (v: number): number => v | 0;

// ---------------------------------------------------------------------------------------------------
// Processes

function* sysExit(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  yield* lx.exit(proc, exitedStatus(a[0]!));
  return null;
}

/** Page tables a process needs: one per 4 MiB region in use, plus the page directory. */
function pageTables(mm: ProcessMemory): number {
  const dirs = new Set<number>();
  for (const vpn of mm.pages.keys()) dirs.add(vpn >>> 10);
  return dirs.size + 1;
}

function* sysFork(lx: Linux, parent: Process, _a: number[], regs: number[]): LxGen<number | null> {
  lx.stats.forks++;
  // 2.4's max_threads: zombies count until reaped, so a parent that never waits cannot fill the host.
  if (lx.processes.size >= lx.config.limits.maxThreads) return -EAGAIN;
  const c = lx.costs;
  yield* work(c.linuxFork + parent.mm.pages.size * c.linuxForkPerPage);
  const { child: mm, protect } = parent.mm.fork();
  const child = lx.newProcess(parent, parent.name, mm, parent.files.clone());
  child.actions.forEach((act, i) => Object.assign(act, parent.actions[i]));
  child.blocked = parent.blocked;
  child.startRegs = regs.slice();
  child.startRegs[EXC.EAX] = 0; // fork returns 0 in the child
  forkSegments(lx, parent, child);
  forkFpu(lx, parent, child);
  const undo = function* (err: number): LxGen<number> {
    child.state = 'zombie';
    lx.reap(child);
    yield* lx.freeBackings(mm.release());
    for (const at of child.kernelPages.splice(0)) yield* lx.platform.freePage(at);
    for (const f of child.files.fds) f?.release();
    return -err;
  };
  for (let i = 0; i < KERNEL_PAGES_PER_PROCESS + pageTables(mm); i++) {
    const at = yield* lx.platform.allocPage();
    if (at < 0) return yield* undo(ENOMEM); // no memory for the task structure or page tables
    child.kernelPages.push(at);
  }
  yield* lx.platform.writeProtect(parent, protect);
  yield* work(lx.ctx.machine.chaosDelay()); // chaos point: fork
  // No task for the child: undo (fork fails with EAGAIN).
  if (!(yield* lx.platform.startProcess(child, 'fork'))) return yield* undo(EAGAIN);
  return child.pid;
}

function* sysWaitpid(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const pid = i32(a[0]!);
  const statusAt = a[1]!;
  const options = a[2]!;
  const matches = (k: Process): boolean => (pid > 0 ? k.pid === pid : pid === -1 ? true : pid === 0 ? k.pgrp === proc.pgrp : k.pgrp === -pid);
  for (;;) {
    const kids = [...proc.children].filter(matches);
    if (kids.length === 0) return -ECHILD;
    const zombie = kids.find((k) => k.state === 'zombie');
    if (zombie) {
      if (statusAt !== 0 && !(yield* writeWords(lx, proc, statusAt, [zombie.exitStatus]))) return -EFAULT;
      lx.reap(zombie);
      return zombie.pid;
    }
    if (options & WNOHANG) return 0;
    const why = yield* sleepOn(proc.childWait, true);
    if (why === 'signal') return -ERESTARTSYS;
  }
}

function* sysExecve(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const path = yield* readString(lx, proc, a[0]!);
  if (path === null) return -EFAULT;
  const argv = yield* readStringArray(lx, proc, a[1]!);
  const envp = yield* readStringArray(lx, proc, a[2]!);
  if (argv === null || envp === null) return -EFAULT;
  const inode = lx.fs.lookup(path);
  if (!inode) return -ENOENT;
  if (inode.kind !== 'program' || !inode.image) return -ENOEXEC;
  let image: GuestImage;
  try {
    image = lx.ctx.machine.image(inode.image);
  } catch {
    return -ENOEXEC;
  }
  lx.stats.execs++;
  yield* work(lx.costs.linuxExec + lx.ctx.machine.chaosDelay()); // chaos point: exec
  const old = proc.mm;
  proc.mm = new ProcessMemory(image);
  proc.name = inode.image;
  const stack = buildInitialStack(USER_STACK_TOP, argv, envp, image.elf, atRandom(lx));
  if (!(yield* copyToUser(lx, proc, stack.sp, stack.bytes))) {
    yield* lx.freeBackings(proc.mm.release());
    proc.mm = old;
    return -EFAULT;
  }
  // Caught signals revert to their default; ignored ones stay ignored.
  for (const act of proc.actions) if (act.handler !== SIG_IGN) Object.assign(act, { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0 });
  proc.resetForExec();
  proc.startRegs = entryRegs(image.elf.entry, stack.sp);
  execSegments(proc);
  proc.startFpu = null; // exec's program starts with a fresh FPU
  if (!(yield* lx.platform.startProcess(proc, 'exec'))) {
    yield* lx.exit(proc, exitedStatus(127));
    return null;
  }
  yield* lx.dropMemory(proc, old);
  return null;
}

function* sysKill(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const pid = i32(a[0]!);
  const sig = a[1]!;
  if (sig > 32) return -EINVAL;
  if (pid > 0) {
    const target = lx.byPid(pid);
    if (!target) return -ESRCH;
    if (sig !== 0) yield* sendSignal(lx, target, sig, proc.pid);
  } else if (pid === -1) {
    let n = 0;
    for (const p of [...lx.processes.values()]) {
      if (p.alive && p !== proc && p !== lx.init) {
        n++;
        if (sig !== 0) yield* sendSignal(lx, p, sig, proc.pid);
      }
    }
    if (n === 0) return -ESRCH;
  } else {
    const n = yield* sendToGroup(lx, pid === 0 ? proc.pgrp : -pid, sig, proc.pid);
    if (n === 0) return -ESRCH;
  }
  return proc.alive ? 0 : null;
}

// ---------------------------------------------------------------------------------------------------
// Files

function* sysRead(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const f = proc.files.get(a[0]!);
  const count = Math.min(a[2]!, MAX_IO);
  if (!f || (f.flags & O_ACCMODE) === O_WRONLY || f.kind === 'pipe-write') return -EBADF;
  if (count === 0) return 0;
  for (;;) {
    let data: Uint8Array | null = null;
    if (f.kind === 'console') {
      const got = lx.console.take(count);
      if (got) data = new Uint8Array(got);
      else if ((yield* sleepOn(lx.console.readWait, true)) === 'signal') return -ERESTARTSYS;
    } else if (f.kind === 'pipe-read') {
      const p = f.pipe!;
      if (p.length > 0) {
        data = p.take(count);
        lx.wakeAll(p.writeWait);
      } else if (p.writers === 0) data = new Uint8Array(0);
      else if ((yield* sleepOn(p.readWait, true)) === 'signal') return -ERESTARTSYS;
    } else {
      const inode = f.inode!;
      if (inode.kind === 'null' || inode.kind === 'program') data = new Uint8Array(0);
      else {
        data = inode.data.read(f.offset, count);
        f.offset += data.length;
      }
    }
    if (data) {
      if (data.length > 0 && !(yield* copyToUser(lx, proc, a[1]!, data))) return -EFAULT;
      return data.length;
    }
  }
}

function* sysWrite(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const f = proc.files.get(a[0]!);
  if (!f || (f.flags & O_ACCMODE) === O_RDONLY && f.kind === 'inode' || f.kind === 'pipe-read') return -EBADF;
  const data = yield* copyFromUser(lx, proc, a[1]!, Math.min(a[2]!, MAX_IO));
  if (!data) return -EFAULT;
  if (f.kind === 'console') {
    lx.writeConsole(a[0] === 2 ? 2 : 1, data);
    return data.length;
  }
  if (f.kind === 'pipe-write') {
    const p = f.pipe!;
    let done = 0;
    for (;;) {
      if (p.readers === 0) {
        yield* sendSignal(lx, proc, SIG.PIPE, 0);
        return done > 0 ? done : -EPIPE;
      }
      const n = p.put(data.subarray(done));
      if (n > 0) {
        done += n;
        lx.wakeAll(p.readWait);
      }
      if (done === data.length) return done;
      if ((yield* sleepOn(p.writeWait, true)) === 'signal') return done > 0 ? done : -ERESTARTSYS;
    }
  }
  const inode = f.inode!;
  if (inode.kind === 'null') return data.length;
  if (inode.kind !== 'file') return -EBADF;
  const at = f.flags & O_APPEND ? inode.data.size : f.offset;
  const n = lx.fs.write(inode, at, data);
  if (n === 0 && data.length > 0) return -ENOSPC; // the file system is full
  f.offset = at + n;
  return n;
}

function* sysOpen(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const path = yield* readString(lx, proc, a[0]!);
  if (path === null) return -EFAULT;
  const flags = a[1]!;
  let inode = lx.fs.lookup(path);
  if (!inode) {
    if (!(flags & O_CREAT)) return -ENOENT;
    const created = lx.fs.create(path);
    if (!created) return -ENOSPC; // no inode left
    inode = created;
  }
  if (inode.kind === 'program' && (flags & O_ACCMODE) !== O_RDONLY) return -EISDIR;
  if (inode.kind === 'file' && flags & O_TRUNC && (flags & O_ACCMODE) !== O_RDONLY) lx.fs.truncate(inode);
  const f = lx.fs.open(inode.kind === 'console' ? 'console' : 'inode', flags, inode, null);
  if (!f) return -ENFILE;
  const fd = proc.files.install(f);
  if (fd < 0) f.release();
  return fd >= 0 ? fd : -EMFILE;
}

function* sysClose(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  return lx.closeFd(proc, a[0]!) ? 0 : -EBADF;
}

function* sysPipe(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const p = new Pipe();
  const r = lx.fs.open('pipe-read', O_RDONLY, null, p);
  const w = r && lx.fs.open('pipe-write', O_WRONLY, null, p);
  if (!r || !w) {
    r?.release();
    return -ENFILE;
  }
  const fr = proc.files.install(r);
  const fw = fr >= 0 ? proc.files.install(w) : -1;
  if (fr < 0 || fw < 0) {
    // What was not installed is let go too, or it would count against ENFILE for good.
    if (fr >= 0) lx.closeFd(proc, fr);
    else r.release();
    w.release();
    return -EMFILE;
  }
  if (!(yield* writeWords(lx, proc, a[0]!, [fr, fw]))) {
    lx.closeFd(proc, fr);
    lx.closeFd(proc, fw);
    return -EFAULT;
  }
  return 0;
}

function* sysDup2(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const f = proc.files.get(a[0]!);
  const to = a[1]!;
  if (!f || to >= MAX_FDS) return -EBADF;
  if (a[0] === to) return to;
  lx.closeFd(proc, to);
  f.refs++;
  proc.files.fds[to] = f;
  return to;
}

// ---------------------------------------------------------------------------------------------------
// Memory

function* sysBrk(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const mm = proc.mm;
  const want = a[0]!;
  if (want < mm.brkStart || want >= USER_STACK_TOP - USER_STACK_SIZE) return mm.brk;
  // vm_enough_memory: growing needs that many pages free now (else the old break: ENOMEM in the library).
  const grow = Math.ceil(want / 4096) - Math.ceil(mm.brk / 4096);
  if (grow > 0 && !(yield* lx.platform.reserve(grow))) return mm.brk;
  const keep = Math.ceil(want / 4096);
  const gone: { vpn: number; at: number }[] = [];
  const freed = [];
  for (const [vpn, e] of [...mm.pages]) {
    if (vpn >= keep && vpn < Math.ceil(mm.brk / 4096) && vpn * 4096 >= mm.brkStart) {
      gone.push({ vpn, at: e.b.at });
      mm.pages.delete(vpn);
      if (--e.b.refs === 0) freed.push(e.b);
    }
  }
  mm.brk = want;
  if (gone.length > 0) yield* lx.platform.unmapPages(proc, gone);
  yield* lx.freeBackings(freed);
  return mm.brk;
}

// ---------------------------------------------------------------------------------------------------
// Signals

function setAction(proc: Process, sig: number, act: { handler: number; flags: number; restorer: number; mask: number } | null): number {
  if (sig < 1 || sig > 32) return -EINVAL;
  if (act && (sig === SIG.KILL || sig === SIG.STOP)) return -EINVAL;
  if (act) {
    Object.assign(proc.actions[sig]!, { ...act, mask: (act.mask & ~UNBLOCKABLE) >>> 0 });
    // Setting a signal to be ignored discards it if pending.
    if (act.handler === SIG_IGN || (act.handler === SIG_DFL && defaultAction(sig) === 'ignore')) proc.pending &= ~sigbit(sig);
  }
  return 0;
}

/**
 * sigaction and rt_sigaction differ only in the layout of struct sigaction: the kernel's
 * (handler, flags, restorer, mask[2]) and the old one (handler, mask, flags, restorer).
 */
const SIGACTION_LAYOUT = {
  rt: { order: ['handler', 'flags', 'restorer', 'mask'] as const, words: 5 },
  old: { order: ['handler', 'mask', 'flags', 'restorer'] as const, words: 4 },
};

function sigactionCall(layout: keyof typeof SIGACTION_LAYOUT): Syscall {
  const { order, words } = SIGACTION_LAYOUT[layout];
  return function* (lx, proc, a) {
    const sig = a[0]!;
    if (sig < 1 || sig > 32) return -EINVAL;
    const old = { ...proc.actions[sig]! };
    let act = null;
    if (a[1] !== 0) {
      const w = yield* readWords(lx, proc, a[1]!, 4);
      if (!w) return -EFAULT;
      act = { handler: 0, flags: 0, restorer: 0, mask: 0 };
      order.forEach((field, i) => (act![field] = w[i]!));
    }
    const r = setAction(proc, sig, act);
    if (r < 0) return r;
    const out = order.map((field) => old[field]);
    while (out.length < words) out.push(0);
    if (a[2] !== 0 && !(yield* writeWords(lx, proc, a[2]!, out))) return -EFAULT;
    return 0;
  };
}

function* sigprocmask(lx: Linux, proc: Process, how: number, setAt: number, oldAt: number, words: number): LxGen<number | null> {
  const old = proc.blocked;
  if (setAt !== 0) {
    const w = yield* readWords(lx, proc, setAt, 1);
    if (!w) return -EFAULT;
    const set = w[0]! >>> 0;
    if (how === SIG_BLOCK) proc.blocked |= set;
    else if (how === SIG_UNBLOCK) proc.blocked &= ~set;
    else if (how === SIG_SETMASK) proc.blocked = set;
    else return -EINVAL;
    proc.blocked = (proc.blocked & ~UNBLOCKABLE) >>> 0;
  }
  if (oldAt !== 0 && !(yield* writeWords(lx, proc, oldAt, words === 2 ? [old, 0] : [old]))) return -EFAULT;
  return 0;
}

function* sysRtSigprocmask(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  return yield* sigprocmask(lx, proc, a[0]!, a[1]!, a[2]!, 2);
}

function* sysSigprocmask(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  return yield* sigprocmask(lx, proc, a[0]!, a[1]!, a[2]!, 1);
}

function* sysSigreturn(lx: Linux, proc: Process, _a: number[], regs: number[]): LxGen<number | null> {
  return yield* sigreturn(lx, proc, regs, false);
}

function* sysRtSigreturn(lx: Linux, proc: Process, _a: number[], regs: number[]): LxGen<number | null> {
  return yield* sigreturn(lx, proc, regs, true);
}

function* sysPause(): LxGen<number | null> {
  yield* sleepOn(null, true);
  return -ERESTARTNOHAND;
}

// ---------------------------------------------------------------------------------------------------
// Time

function* sysNanosleep(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const ts = yield* readWords(lx, proc, a[0]!, 2);
  if (!ts) return -EFAULT;
  const [sec, nsec] = [ts[0]!, ts[1]!];
  if (nsec >= 1_000_000_000 || i32(sec) < 0) return -EINVAL;
  // 2.4: the sleep lasts the requested jiffies plus one (the current jiffy is partly gone).
  const until = lx.jiffyAfterUs(sec * 1_000_000 + Math.floor(nsec / 1000)) + 1;
  const why = yield* sleepOn(null, true, until);
  if (why === 'timeout') return 0;
  if (a[1] !== 0) {
    const left = Math.max(0, until - lx.jiffies);
    yield* writeWords(lx, proc, a[1]!, [Math.floor(left / HZ), (left % HZ) * (1_000_000_000 / HZ)]);
  }
  return -EINTR;
}

function* sysTime(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const t = lx.time();
  if (a[0] !== 0 && !(yield* writeWords(lx, proc, a[0]!, [t]))) return -EFAULT;
  return t;
}

function* sysAlarm(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const left = proc.alarmAt !== 0 ? Math.max(1, Math.ceil((proc.alarmAt - lx.jiffies) / HZ)) : 0;
  proc.alarmAt = a[0]! > 0 ? lx.jiffies + a[0]! * HZ : 0;
  return left;
}

// ---------------------------------------------------------------------------------------------------
// Identity and the rest

function* value(v: number): LxGen<number | null> {
  return v;
}

/**
 * Marker ids below this get a name of their own in the trace's string table; the others share
 * `marker` (the id is in the event either way), so a guest counting through ids cannot grow the table.
 */
export const NAMED_MARKERS = 1024;

function* sysMarker(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  lx.ev(Kind.MARKER, lx.ctx.intern(a[0]! < NAMED_MARKERS ? `marker ${a[0]!}` : 'marker'), a[0]!);
  lx.onMarker?.({ pid: proc.pid, id: a[0]! });
  return 0;
}

const CORE_SYSCALLS: [number, Syscall][] = [
  [NR.exit, sysExit],
  [NR.exit_group, sysExit],
  [NR.fork, sysFork],
  [NR.read, sysRead],
  [NR.write, sysWrite],
  [NR.open, sysOpen],
  [NR.close, sysClose],
  [NR.waitpid, sysWaitpid],
  [NR.execve, sysExecve],
  [NR.time, sysTime],
  [NR.getpid, (_lx, p) => value(p.pid)],
  [NR.getppid, (_lx, p) => value(p.ppid)],
  [NR.getpgrp, (_lx, p) => value(p.pgrp)],
  [NR.alarm, sysAlarm],
  [NR.pause, sysPause],
  [NR.kill, sysKill],
  [NR.pipe, sysPipe],
  [NR.brk, sysBrk],
  [NR.dup2, sysDup2],
  [NR.sigaction, sigactionCall('old')],
  [NR.sigreturn, sysSigreturn],
  [NR.sigprocmask, sysSigprocmask],
  [NR.sched_yield, () => value(0)],
  [NR.nanosleep, sysNanosleep],
  [NR.rt_sigreturn, sysRtSigreturn],
  [NR.rt_sigaction, sigactionCall('rt')],
  [NR.rt_sigprocmask, sysRtSigprocmask],
  [NR.l4trace_marker, sysMarker],
  [NR.set_thread_area, sysSetThreadArea],
  [NR.get_thread_area, sysGetThreadArea],
  [NR.modify_ldt, sysModifyLdt],
];

/** Every system call, by number: later tables override earlier ones. */
export const SYSCALLS = new Map<number, Syscall>([...CORE_SYSCALLS, ...IDENTITY_SYSCALLS, ...TIME_SYSCALLS, ...SIGNAL_SYSCALLS]);
