/**
 * The signal calls over Linux's 64 signals (sigset.ts): sigaction, rt_sigaction and the old SysV
 * `signal`; sigprocmask, rt_sigprocmask, sgetmask, ssetmask; sigpending, rt_sigpending; sigsuspend,
 * rt_sigsuspend; sigaltstack; kill, tkill, tgkill. rt_sigtimedwait is in sigwait.ts.
 *
 * The rt_sig* calls take the size of the caller's sigset_t and refuse any but 8 bytes (EINVAL);
 * rt_sigpending accepts up to 8. The old calls see signals 1..32 only (old_sigset_t).
 */
import { EFAULT, EINVAL, ERESTARTNOHAND, ESRCH, NR, SIG, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_RESTORER, SA_SIGINFO, defaultAction } from '../abi.js';
import { EPERM, SA_ONSTACK, SI_TKILL, SIGSET_BYTES, STACK_T_BYTES } from '../abi-calls.js';
import { sleepOn, type LxGen } from '../coroutine.js';
import { maySignal } from '../cred.js';
import { EXC } from '../../l4/ia32-engine.js';
import type { Linux } from '../linux.js';
import type { Process, SigAction } from '../process.js';
import { clearPending, deliverableSignal, sendSignal } from '../signals.js';
import { and, andNot, blockedOf, or, pendingOf, setBlocked, sigsetBytes, validSignal, withoutUnblockable, type SigSet } from '../sigset.js';
import { copyToUser, readWords, writeWords } from '../uaccess.js';
import { SIGWAIT_SYSCALLS } from './sigwait.js';
import { i32, value, type Syscall, type SyscallTable } from './syscall.js';

/** SA_NOCLDSTOP, SA_NOCLDWAIT. */
const SA_NOCLDSTOP = 1;
const SA_NOCLDWAIT = 2;
/**
 * The sa_flags bits Linux keeps (UAPI_SA_FLAGS, 5.11 and later): unknown ones are cleared, so a program
 * can tell which flags the kernel knows (SA_UNSUPPORTED comes back cleared).
 */
const KNOWN_SA_FLAGS = (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND | SA_RESTORER | 0x800) >>> 0;

/**
 * do_sigaction: a signal 1..64 (EINVAL), SIGKILL and SIGSTOP keep their default (EINVAL); the new
 * action's mask never holds them. Setting a signal to be ignored discards it if pending. Returns the old
 * action, or an errno.
 */
export function doSigaction(proc: Process, sig: number, act: SigAction | null): SigAction | number {
  if (!validSignal(sig) || (act && (sig === SIG.KILL || sig === SIG.STOP))) return -EINVAL;
  const slot = proc.actions[sig]!;
  const old = { ...slot, maskHi: slot.maskHi ?? 0 };
  if (act) {
    const [mask, maskHi] = withoutUnblockable([act.mask, act.maskHi ?? 0]);
    Object.assign(slot, { ...act, flags: (act.flags & KNOWN_SA_FLAGS) >>> 0, mask, maskHi });
    if (act.handler === SIG_IGN || (act.handler === SIG_DFL && defaultAction(sig) === 'ignore')) clearPending(proc, sig);
  }
  return old;
}

/** rt_sigaction(sig, act, oact, sigsetsize): struct sigaction is { handler, flags, restorer, mask[2] }. */
function* sysRtSigaction(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[3] !== SIGSET_BYTES) return -EINVAL;
  let act: SigAction | null = null;
  if (a[1] !== 0) {
    const w = yield* readWords(lx, proc, a[1]!, 5);
    if (!w) return -EFAULT;
    act = { handler: w[0]!, flags: w[1]!, restorer: w[2]!, mask: w[3]!, maskHi: w[4]! };
  }
  const old = doSigaction(proc, i32(a[0]!), act);
  if (typeof old === 'number') return old;
  if (a[2] !== 0 && !(yield* writeWords(lx, proc, a[2]!, [old.handler, old.flags, old.restorer, old.mask, old.maskHi ?? 0]))) return -EFAULT;
  return 0;
}

/** sigaction(sig, act, oact): struct old_sigaction is { handler, mask (signals 1..32), flags, restorer }. */
function* sysSigaction(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  let act: SigAction | null = null;
  if (a[1] !== 0) {
    const w = yield* readWords(lx, proc, a[1]!, 4);
    if (!w) return -EFAULT;
    act = { handler: w[0]!, mask: w[1]!, flags: w[2]!, restorer: w[3]!, maskHi: 0 };
  }
  const old = doSigaction(proc, i32(a[0]!), act);
  if (typeof old === 'number') return old;
  if (a[2] !== 0 && !(yield* writeWords(lx, proc, a[2]!, [old.handler, old.mask, old.flags, old.restorer]))) return -EFAULT;
  return 0;
}

/**
 * signal(sig, handler): System V semantics (SA_ONESHOT | SA_NOMASK): the handler is reset to SIG_DFL
 * when the signal is delivered, and the signal is not blocked while it runs. Returns the old handler.
 */
function* sysSignal(_lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const old = doSigaction(proc, i32(a[0]!), { handler: a[1]!, flags: (SA_RESETHAND | SA_NODEFER) >>> 0, restorer: 0, mask: 0, maskHi: 0 });
  return typeof old === 'number' ? old : old.handler;
}

/** The new blocked mask for `how` (EINVAL for an unknown one, as a number). */
function applyHow(current: SigSet, how: number, set: SigSet): SigSet | number {
  if (how === SIG_BLOCK) return or(current, set);
  if (how === SIG_UNBLOCK) return andNot(current, set);
  if (how === SIG_SETMASK) return set;
  return -EINVAL;
}

/** rt_sigprocmask(how, set, oset, sigsetsize): the new set is read before the old one is written. */
function* sysRtSigprocmask(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[3] !== SIGSET_BYTES) return -EINVAL;
  const old = blockedOf(proc);
  if (a[1] !== 0) {
    const w = yield* readWords(lx, proc, a[1]!, 2);
    if (!w) return -EFAULT;
    const next = applyHow(old, a[0]!, [w[0]!, w[1]!]);
    if (typeof next === 'number') return next;
    setBlocked(proc, next);
  }
  if (a[2] !== 0 && !(yield* writeWords(lx, proc, a[2]!, old))) return -EFAULT;
  return 0;
}

/** sigprocmask with an old_sigset_t: signals 1..32; SIG_SETMASK leaves the real-time ones as they are. */
function* sysSigprocmask(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const old = blockedOf(proc);
  if (a[1] !== 0) {
    const w = yield* readWords(lx, proc, a[1]!, 1);
    if (!w) return -EFAULT;
    const next = applyHow(old, a[0]!, a[0] === SIG_SETMASK ? [w[0]!, old[1]] : [w[0]!, 0]);
    if (typeof next === 'number') return next;
    setBlocked(proc, next);
  }
  if (a[2] !== 0 && !(yield* writeWords(lx, proc, a[2]!, [old[0]]))) return -EFAULT;
  return 0;
}

/** sgetmask / ssetmask: the old interface to signals 1..32 (ssetmask clears the real-time ones). */
const sysSgetmask: Syscall = (_lx, proc) => value(proc.blocked);

function* sysSsetmask(_lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const old = proc.blocked;
  setBlocked(proc, [a[0]!, 0]);
  return old;
}

/** The pending signals that are blocked (do_sigpending: what waits for an unblock). */
const blockedPending = (proc: Process): SigSet => and(pendingOf(proc), blockedOf(proc));

function* sysSigpending(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  return (yield* writeWords(lx, proc, a[0]!, [blockedPending(proc)[0]])) ? 0 : -EFAULT;
}

/** rt_sigpending(set, sigsetsize): up to 8 bytes of the set (EINVAL above). */
function* sysRtSigpending(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[1]! > SIGSET_BYTES) return -EINVAL;
  return (yield* copyToUser(lx, proc, a[0]!, sigsetBytes(blockedPending(proc)).subarray(0, a[1]!))) ? 0 : -EFAULT;
}

/**
 * sigsuspend: wait with `mask` blocked until a signal is deliverable; -ERESTARTNOHAND, so a handler makes
 * it fail with EINTR and a signal without one restarts it. The old mask is kept aside (savedMask): the
 * handler's frame restores it at sigreturn, or the way back to user mode does when no handler runs.
 */
function* suspend(proc: Process, mask: SigSet): LxGen<number | null> {
  proc.savedMask = blockedOf(proc);
  setBlocked(proc, mask);
  while (deliverableSignal(proc) === 0 && proc.alive) yield* sleepOn(null, true);
  return -ERESTARTNOHAND;
}

function* sysRtSigsuspend(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[1] !== SIGSET_BYTES) return -EINVAL;
  const w = yield* readWords(lx, proc, a[0]!, 2);
  if (!w) return -EFAULT;
  return yield* suspend(proc, [w[0]!, w[1]!]);
}

/** sigsuspend(int, int, old_sigset_t mask) (i386's three-argument form): the real-time signals unblocked. */
function* sysSigsuspend(_lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  return yield* suspend(proc, [a[2]!, 0]);
}

/** sigaltstack(ss, oss) at the caller's stack pointer (altstack.ts has the rules). */
function* sysSigaltstack(lx: Linux, proc: Process, a: number[], regs: number[]): LxGen<number | null> {
  const esp = regs[EXC.ESP]! >>> 0;
  const alt = proc.altstack;
  const old = [alt.sp, alt.flags(esp), alt.size];
  if (a[0] !== 0) {
    const w = yield* readWords(lx, proc, a[0]!, STACK_T_BYTES / 4);
    if (!w) return -EFAULT;
    const err = alt.set(w[0]!, w[1]!, w[2]!, esp);
    if (err < 0) return err;
  }
  if (a[1] !== 0 && !(yield* writeWords(lx, proc, a[1]!, old))) return -EFAULT;
  return 0;
}

/**
 * check_kill_permission: a valid signal (EINVAL); the sender may signal the target (cred.ts maySignal),
 * or sends SIGCONT within its session (EPERM otherwise).
 */
function killCheck(sender: Process, target: Process, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  if (sender === target || maySignal(sender.cred, target.cred)) return 0;
  return sig === SIG.CONT && sender.group.sid === target.group.sid ? 0 : -EPERM;
}

/** Send after the permission check; signal 0 only checks. A zombie takes the signal without effect. */
function* sendChecked(lx: Linux, sender: Process, target: Process, sig: number, code?: number): LxGen<number> {
  const err = killCheck(sender, target, sig);
  if (err === 0 && sig !== 0) yield* sendSignal(lx, target, sig, sender.tgid, code, -1, code === SI_TKILL);
  return err;
}

/**
 * kill(pid, sig): one process (ESRCH if none), a process group (0: the caller's; success if any took
 * it, else the last error), or with -1 every process but init and the caller (EPERM refusals are not
 * reported, as Linux does).
 */
function* sysKill(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const pid = i32(a[0]!);
  const sig = i32(a[1]!);
  let result: number;
  if (pid > 0) {
    const target = lx.processes.get(pid);
    result = target ? yield* sendChecked(lx, proc, target, sig) : -ESRCH;
  } else if (pid === -0x80000000) {
    result = -ESRCH;
  } else if (pid === -1) {
    const targets = [...lx.processes.values()].filter((p) => p.isLeader && p.pid > 1 && p.group !== proc.group);
    result = targets.length === 0 ? -ESRCH : 0;
    for (const p of targets) {
      const err = yield* sendChecked(lx, proc, p, sig);
      if (err !== -EPERM) result = err;
    }
  } else {
    const pgrp = pid === 0 ? proc.group.pgrp : -pid;
    let success = false;
    result = -ESRCH;
    for (const p of [...lx.processes.values()].filter((q) => q.isLeader && q.group.pgrp === pgrp)) {
      result = yield* sendChecked(lx, proc, p, sig);
      success ||= result === 0;
    }
    if (success) result = 0;
  }
  return proc.alive ? result : null;
}

/** tkill / tgkill: a thread by id (of thread group `tgid` for tgkill), si_code SI_TKILL. */
function* sendToThread(lx: Linux, proc: Process, tgid: number, tid: number, sig: number): LxGen<number | null> {
  const target = lx.processes.get(tid);
  if (!target || !target.runsUser || (tgid > 0 && target.tgid !== tgid)) return -ESRCH;
  const err = yield* sendChecked(lx, proc, target, sig, SI_TKILL);
  return proc.alive ? err : null;
}

function* sysTkill(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (i32(a[0]!) <= 0) return -EINVAL;
  return yield* sendToThread(lx, proc, 0, i32(a[0]!), i32(a[1]!));
}

function* sysTgkill(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (i32(a[0]!) <= 0 || i32(a[1]!) <= 0) return -EINVAL;
  return yield* sendToThread(lx, proc, i32(a[0]!), i32(a[1]!), i32(a[2]!));
}

export const SIGNAL_SYSCALLS: SyscallTable = [
  [NR.rt_sigaction, sysRtSigaction],
  [NR.sigaction, sysSigaction],
  [NR.signal, sysSignal],
  [NR.rt_sigprocmask, sysRtSigprocmask],
  [NR.sigprocmask, sysSigprocmask],
  [NR.sgetmask, sysSgetmask],
  [NR.ssetmask, sysSsetmask],
  [NR.sigpending, sysSigpending],
  [NR.rt_sigpending, sysRtSigpending],
  [NR.sigsuspend, sysSigsuspend],
  [NR.rt_sigsuspend, sysRtSigsuspend],
  [NR.sigaltstack, sysSigaltstack],
  [NR.kill, sysKill],
  [NR.tkill, sysTkill],
  [NR.tgkill, sysTgkill],
  ...SIGWAIT_SYSCALLS,
];
