/**
 * The system calls (Linux i386 numbers, abi.ts). Each is a coroutine body: it returns the result for
 * EAX (a negative errno on failure) or null when the caller does not return (exit, a successful execve,
 * a fatal signal). Blocking calls sleep interruptibly and return -ERESTARTSYS (or -ERESTARTNOHAND) when
 * a signal ends the sleep; the return path (linux.ts returnToUser) settles restarts.
 */
import { Kind } from '../../tracer/catalogue.js';
import { EFAULT, EINTR, EINVAL, HZ, ERESTARTNOHAND, ESRCH, NR, SIG, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, defaultAction, sigbit, UNBLOCKABLE } from './abi.js';
import { sleepOn, type LxGen } from './coroutine.js';
import type { Linux } from './linux.js';
import type { Process } from './process.js';
import { sendSignal, sendToGroup, sigreturn } from './signals.js';
import { sysGetThreadArea, sysModifyLdt, sysSetThreadArea } from './tls.js';
import { readWords, writeWords } from './uaccess.js';
import type { Syscall } from './sys/syscall.js';
import { IDENTITY_SYSCALLS } from './sys/identity.js';
import { SIGNAL_SYSCALLS } from './sys/signal-calls.js';
import { TIME_SYSCALLS } from './sys/time.js';
import { FD_SYSCALLS } from './sys/fd.js';
import { MEMORY_SYSCALLS } from './sys/memory.js';
import { PATH_SYSCALLS } from './sys/paths.js';
import { POLL_SYSCALLS } from './sys/poll.js';
import { PROCESS_SYSCALLS } from './sys/process.js';
import { TTY_SYSCALLS } from './sys/tty-calls.js';

export type { Syscall };

export { KERNEL_PAGES_PER_PROCESS } from './sys/process.js';

const i32 = (v: number): number => v | 0;

// ---------------------------------------------------------------------------------------------------
// Processes

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
  [NR.time, sysTime],
  [NR.getpid, (_lx, p) => value(p.pid)],
  [NR.getppid, (_lx, p) => value(p.ppid)],
  [NR.getpgrp, (_lx, p) => value(p.pgrp)],
  [NR.alarm, sysAlarm],
  [NR.pause, sysPause],
  [NR.kill, sysKill],
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
export const SYSCALLS = new Map<number, Syscall>([
  ...CORE_SYSCALLS,
  ...PROCESS_SYSCALLS,
  ...FD_SYSCALLS,
  ...PATH_SYSCALLS,
  ...POLL_SYSCALLS,
  ...TTY_SYSCALLS,
  ...MEMORY_SYSCALLS,
  ...IDENTITY_SYSCALLS,
  ...TIME_SYSCALLS,
  ...SIGNAL_SYSCALLS,
]);
