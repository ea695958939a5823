/**
 * rt_sigtimedwait (+_time64): take a pending signal of a set without running its handler, waiting for
 * one up to a timeout (none: forever; zero: not at all, EAGAIN).
 *
 * As Linux: the awaited signals are unblocked for the wait (the old mask is kept as `realBlocked`, so
 * that an awaited signal whose action is to ignore it is still queued), any other deliverable signal
 * ends the wait with EINTR, and the timeout runs on the monotonic clock at tick resolution.
 */
import { EAGAIN, EFAULT, EINTR, EINVAL, NR, SIG } from '../abi.js';
import { CLOCK, SIGSET_BYTES } from '../abi-calls.js';
import { addTimespec, compareTimespec, readClock, subTimespec, type Timespec } from '../clock.js';
import { sleepOn, type LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { claimShared, clearPending, siginfoOf } from '../signals.js';
import { SIGINFO_SIZE, writeSiginfo } from '../sigframe.js';
import { and, andNot, blockedOf, has, lowest, pendingOf, setBlocked, withoutUnblockable, type SigSet } from '../sigset.js';
import { copyToUser, readWords } from '../uaccess.js';
import type { Syscall, SyscallTable } from './syscall.js';
import { readTimespec, validTimespec, type TimeLayout } from './user-time.js';

/** Signals the CPU raises, taken first (Linux's SYNCHRONOUS_MASK). */
const SYNCHRONOUS: number[] = [SIG.SEGV, SIG.BUS, SIG.ILL, SIG.TRAP, SIG.FPE, 31 /* SIGSYS */];

/** Take the first pending signal of `set` (synchronous ones first, then the lowest): it and its siginfo. */
function dequeue(proc: Process, set: SigSet): { sig: number; info: Uint8Array } | null {
  const ready = and(pendingOf(proc), set);
  const sig = SYNCHRONOUS.find((s) => has(ready, s)) ?? lowest(ready);
  if (sig === 0) return null;
  claimShared(proc, sig);
  const info = new Uint8Array(SIGINFO_SIZE);
  writeSiginfo(new DataView(info.buffer), 0, sig, siginfoOf(proc, sig));
  clearPending(proc, sig);
  proc.faultInfo[sig] = null;
  return { sig, info };
}

/** Wait, with `set` unblocked, until a signal is deliverable or the deadline (null: none) passes. */
function* waitFor(lx: Linux, proc: Process, set: SigSet, deadline: Timespec | null): LxGen<'signal' | 'timeout'> {
  const before = blockedOf(proc);
  proc.realBlocked = before;
  setBlocked(proc, andNot(before, set));
  let why: 'signal' | 'timeout' = 'timeout';
  for (;;) {
    const now = readClock(lx, CLOCK.MONOTONIC, proc)!;
    if (deadline && compareTimespec(now, deadline) >= 0) break;
    const left = deadline ? subTimespec(deadline, now) : null;
    const r = yield* sleepOn(null, true, left ? lx.jiffyAfterUs(left.sec * 1_000_000 + Math.ceil(left.nsec / 1000)) : 0);
    if (r !== 'timeout') {
      why = 'signal';
      break;
    }
  }
  setBlocked(proc, before);
  proc.realBlocked = null;
  return why;
}

function sigtimedwait(layout: TimeLayout): Syscall {
  return function* (lx, proc, a) {
    if (a[3] !== SIGSET_BYTES) return -EINVAL;
    const w = yield* readWords(lx, proc, a[0]!, 2);
    if (!w) return -EFAULT;
    let timeout: Timespec | null = null;
    if (a[2] !== 0) {
      timeout = yield* readTimespec(lx, proc, a[2]!, layout);
      if (!timeout) return -EFAULT;
      if (!validTimespec(timeout)) return -EINVAL;
    }
    const set = withoutUnblockable([w[0]!, w[1]!]);
    let got = dequeue(proc, set);
    let why: 'signal' | 'timeout' = 'timeout';
    if (!got && !(timeout && timeout.sec === 0 && timeout.nsec === 0)) {
      const deadline = timeout ? addTimespec(readClock(lx, CLOCK.MONOTONIC, proc)!, timeout) : null;
      why = yield* waitFor(lx, proc, set, deadline);
      got = dequeue(proc, set);
    }
    if (!got) return why === 'signal' ? -EINTR : -EAGAIN;
    if (a[1] !== 0 && !(yield* copyToUser(lx, proc, a[1]!, got.info))) return -EFAULT;
    return got.sig;
  };
}

export const SIGWAIT_SYSCALLS: SyscallTable = [
  [NR.rt_sigtimedwait, sigtimedwait('time32')],
  [NR.rt_sigtimedwait_time64, sigtimedwait('time64')],
];
