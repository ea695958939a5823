/**
 * futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET and WAKE_BITSET, private or shared
 * (the same here: futex.ts), with timeouts on the simulated clock; and the CLONE_CHILD_CLEARTID wake at
 * a thread's exit. Checking the word and going to sleep is atomic, as in Linux: one kernel path runs at
 * a time and user threads do not run while it does.
 */
import { EAGAIN, EFAULT, EINTR, EINVAL, ENOSYS, ERESTARTSYS, ETIMEDOUT, NR } from '../abi.js';
import { sleepOn, type LxGen } from '../coroutine.js';
import { realtime } from '../clock.js';
import { BITSET_ANY } from '../futex.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { readWords, writeWords } from '../uaccess.js';
import { i32, type SyscallTable } from './syscall.js';

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;

interface FutexArgs {
  addr: number;
  op: number;
  val: number;
  /** The timeout pointer, or val2 (REQUEUE's move count, WAKE_OP's second wake count). */
  timeout: number;
  addr2: number;
  val3: number;
}

function* futex(lx: Linux, proc: Process, a: number[], wideTime: boolean): LxGen<number> {
  const f: FutexArgs = { addr: a[0]!, op: a[1]!, val: a[2]!, timeout: a[3]!, addr2: a[4]!, val3: a[5]! };
  const cmd = f.op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (f.op & FUTEX_CLOCK_REALTIME && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT) return -ENOSYS;
  if (f.addr & 3) return -EINVAL;
  const table = lx.futexes;
  const mm = proc.mm;
  switch (cmd) {
    case FUTEX_WAIT:
      return yield* futexWait(lx, proc, f, BITSET_ANY, false, wideTime);
    case FUTEX_WAIT_BITSET:
      if (f.val3 === 0) return -EINVAL;
      return yield* futexWait(lx, proc, f, f.val3, true, wideTime);
    case FUTEX_WAKE:
      return table.wake(lx, mm, f.addr, i32(f.val));
    case FUTEX_WAKE_BITSET:
      if (f.val3 === 0) return -EINVAL;
      return table.wake(lx, mm, f.addr, i32(f.val), f.val3);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (i32(f.val) < 0 || i32(f.timeout) < 0) return -EINVAL;
      if (cmd === FUTEX_CMP_REQUEUE) {
        const w = yield* readWords(lx, proc, f.addr, 1);
        if (!w) return -EFAULT;
        if (w[0] !== f.val3 >>> 0) return -EAGAIN;
      }
      return table.requeue(lx, mm, f.addr, f.addr2, i32(f.val), i32(f.timeout));
    }
    case FUTEX_WAKE_OP:
      return yield* wakeOp(lx, proc, f);
    default:
      return -ENOSYS;
  }
}

/** WAIT / WAIT_BITSET: sleep while the word holds `val`, until a wake that meets `bits`, a signal or the timeout. */
function* futexWait(lx: Linux, proc: Process, f: FutexArgs, bits: number, absolute: boolean, wideTime: boolean): LxGen<number> {
  let until = 0;
  if (f.timeout !== 0) {
    const t = yield* readWords(lx, proc, f.timeout, wideTime ? 4 : 2);
    if (!t) return -EFAULT;
    const [sec, nsec] = wideTime ? [t[0]! + i32(t[1]!) * 2 ** 32, t[2]!] : [i32(t[0]!), t[1]!];
    if (sec < 0 || nsec >= 1e9) return -EINVAL;
    let us = sec * 1e6 + Math.floor(nsec / 1000);
    // WAIT's timeout is relative; WAIT_BITSET's absolute, on CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME.
    if (absolute) {
      const now = f.op & FUTEX_CLOCK_REALTIME ? timespecUs(realtime(lx)) : Math.floor(lx.now() / lx.costs.cyclesPerUs);
      us = Math.max(0, us - now);
      if (us === 0) return -ETIMEDOUT;
    }
    until = lx.jiffyAfterUs(us);
  }
  const w = yield* readWords(lx, proc, f.addr, 1);
  if (!w) return -EFAULT;
  if (w[0] !== f.val >>> 0) return -EAGAIN;
  const mm = proc.mm;
  const q = lx.futexes.queue(mm, f.addr);
  if (proc.coroutine) lx.futexes.setBitset(proc.coroutine, bits);
  const why = yield* sleepOn(q, true, until);
  lx.futexes.tidy(mm);
  if (why === 'woken') return 0;
  if (why === 'timeout') return -ETIMEDOUT;
  // A signal: without a timeout -ERESTARTSYS (restarted unless a handler without SA_RESTART runs); with
  // one EINTR (Linux re-arms the rest of the timeout through its restart block; C libraries retry).
  return until === 0 ? -ERESTARTSYS : -EINTR;
}

const timespecUs = (t: { sec: number; nsec: number }): number => t.sec * 1e6 + Math.floor(t.nsec / 1000);

/**
 * WAKE_OP: old = *addr2; *addr2 = old OP oparg; wake `val` waiters of addr, and if (old CMP cmparg)
 * also `val2` waiters of addr2 (glibc's condition variables of old, and some mutex implementations).
 */
function* wakeOp(lx: Linux, proc: Process, f: FutexArgs): LxGen<number> {
  const enc = f.val3 >>> 0;
  const op = (enc >>> 28) & 7;
  const shift = (enc >>> 28) & 8;
  const cmp = (enc >>> 24) & 15;
  let oparg = (enc << 8) >> 20; // sign-extended 12 bits
  let cmparg = (enc << 20) >> 20;
  if (shift) oparg = oparg < 0 || oparg > 31 ? 0 : 1 << oparg;
  const old = yield* readWords(lx, proc, f.addr2, 1);
  if (!old) return -EFAULT;
  const o = old[0]! | 0;
  const ops = [oparg, o + oparg, o | oparg, o & ~oparg, o ^ oparg];
  if (op >= ops.length) return -ENOSYS;
  if (!(yield* writeWords(lx, proc, f.addr2, [ops[op]!]))) return -EFAULT;
  cmparg |= 0;
  const cmps = [o === cmparg, o !== cmparg, o < cmparg, o <= cmparg, o > cmparg, o >= cmparg];
  if (cmp >= cmps.length) return -ENOSYS;
  let woken = lx.futexes.wake(lx, proc.mm, f.addr, i32(f.val));
  if (cmps[cmp]) woken += lx.futexes.wake(lx, proc.mm, f.addr2, i32(f.timeout));
  return woken;
}

/**
 * A thread with CLONE_CHILD_CLEARTID (or set_tid_address) ends while others use its memory: Linux
 * writes 0 to the word and wakes one waiter (pthread_join sleeps there).
 */
export function* clearChildTid(lx: Linux, proc: Process): LxGen {
  const at = proc.clearTid;
  proc.clearTid = 0;
  if (at === 0) return;
  if (yield* writeWords(lx, proc, at, [0])) lx.futexes.wake(lx, proc.mm, at, 1);
}

export const FUTEX_SYSCALLS: SyscallTable = [
  [NR.futex, (lx, p, a) => futex(lx, p, a, false)],
  [NR.futex_time64, (lx, p, a) => futex(lx, p, a, true)],
];
