/**
 * Reading and setting the clocks (clock.ts): gettimeofday, settimeofday, clock_gettime, clock_getres,
 * clock_settime (and their _time64 forms), times, getrusage. Sleeping (sleep.ts) and the interval timers
 * (itimer-calls.ts) join this table.
 *
 * Setting the time is root's (CAP_SYS_TIME) and moves CLOCK_REALTIME only, by an offset kept in the
 * Linux server: a guest-made change, so recording and replay agree on it.
 */
import { EFAULT, EINVAL, NR } from '../abi.js';
import { CLOCK, EPERM, RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD, USER_HZ } from '../abi-calls.js';
import { clockResolution, cpuCycles, cyclesToTimespec, readClock, realtime, subTimespec, type Timespec } from '../clock.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { writeWords } from '../uaccess.js';
import { ITIMER_SYSCALLS } from './itimer-calls.js';
import { SLEEP_SYSCALLS } from './sleep.js';
import { i32, type Syscall, type SyscallTable } from './syscall.js';
import { readTimespec, readTimeval, validTimespec, writeTimespec, writeTimeval, type TimeLayout } from './user-time.js';

function* sysGettimeofday(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[0] !== 0 && !(yield* writeTimeval(lx, proc, a[0]!, realtime(lx)))) return -EFAULT;
  const tz = lx.realtime.tz;
  if (a[1] !== 0 && !(yield* writeWords(lx, proc, a[1]!, [tz.minuteswest, tz.dsttime]))) return -EFAULT;
  return 0;
}

/**
 * do_sys_settimeofday64: the new time valid (EINVAL), the caller root (EPERM), the timezone within
 * +-15 hours (EINVAL); then CLOCK_REALTIME reads `tv` from now on.
 */
function settime(lx: Linux, proc: Process, tv: Timespec | null, tz: { minuteswest: number; dsttime: number } | null): number {
  if (tv && !validTimespec(tv)) return -EINVAL;
  if (!proc.cred.privileged) return -EPERM;
  if (tz) {
    if (Math.abs(tz.minuteswest) > 15 * 60) return -EINVAL;
    lx.realtime.tz = tz;
  }
  if (tv) lx.realtime.offset = subTimespec(tv, subTimespec(realtime(lx), lx.realtime.offset));
  return 0;
}

function* sysSettimeofday(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  let tv: Timespec | null = null;
  if (a[0] !== 0) {
    const t = yield* readTimeval(lx, proc, a[0]!);
    if (!t) return -EFAULT;
    if (t.usec < 0 || t.usec >= 1_000_000) return -EINVAL;
    tv = { sec: t.sec, nsec: t.usec * 1000 };
  }
  let tz = null;
  if (a[1] !== 0) {
    const w = yield* readTimeval(lx, proc, a[1]!);
    if (!w) return -EFAULT;
    tz = { minuteswest: w.sec, dsttime: w.usec };
  }
  return settime(lx, proc, tv, tz);
}

function clockGettime(layout: TimeLayout): Syscall {
  return function* (lx, proc, a) {
    const t = readClock(lx, i32(a[0]!), proc);
    if (!t) return -EINVAL;
    return (yield* writeTimespec(lx, proc, a[1]!, t, layout)) ? 0 : -EFAULT;
  };
}

function clockGetres(layout: TimeLayout): Syscall {
  return function* (lx, proc, a) {
    const t = clockResolution(lx, i32(a[0]!), proc);
    if (!t) return -EINVAL;
    if (a[1] !== 0 && !(yield* writeTimespec(lx, proc, a[1]!, t, layout))) return -EFAULT;
    return 0;
  };
}

/**
 * clock_settime: CLOCK_REALTIME as settimeofday; a CPU-time clock named by pid cannot be set (EPERM); the
 * others have no setter (EINVAL), checked before the argument is read.
 */
function clockSettime(layout: TimeLayout): Syscall {
  return function* (lx, proc, a) {
    const id = i32(a[0]!);
    const cpu = id < 0 && readClock(lx, id, proc) !== null;
    if (id !== CLOCK.REALTIME && !cpu) return -EINVAL;
    const t = yield* readTimespec(lx, proc, a[1]!, layout);
    if (!t) return -EFAULT;
    return cpu ? -EPERM : settime(lx, proc, t, null);
  };
}

/** Simulated cycles as clock ticks (USER_HZ). */
const ticks = (lx: Linux, cycles: number): number => Math.floor(cycles / (lx.costs.cyclesPerUs * (1_000_000 / USER_HZ)));

/** times: user time = the process's CPU clock, system time 0 (clock.ts cpuCycles); returns ticks since boot. */
function* sysTimes(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const tms = [ticks(lx, cpuCycles(proc, lx.now())), 0, ticks(lx, proc.group.childCycles), 0];
  if (a[0] !== 0 && !(yield* writeWords(lx, proc, a[0]!, tms))) return -EFAULT;
  return ticks(lx, lx.now());
}

/** struct rusage: two timevals and 14 longs. */
const RUSAGE_WORDS = 18;

/** getrusage: the user time as times reports it; system time and every count 0. */
function* sysGetrusage(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const who = i32(a[0]!);
  if (who !== RUSAGE_SELF && who !== RUSAGE_THREAD && who !== RUSAGE_CHILDREN) return -EINVAL;
  const cycles = who === RUSAGE_CHILDREN ? proc.group.childCycles : cpuCycles(proc, lx.now());
  const user = cyclesToTimespec(cycles, lx.costs.cyclesPerUs);
  const words = new Array<number>(RUSAGE_WORDS).fill(0);
  words[0] = user.sec;
  words[1] = Math.floor(user.nsec / 1000);
  return (yield* writeWords(lx, proc, a[1]!, words)) ? 0 : -EFAULT;
}

export const TIME_SYSCALLS: SyscallTable = [
  [NR.gettimeofday, sysGettimeofday],
  [NR.settimeofday, sysSettimeofday],
  [NR.clock_gettime, clockGettime('time32')],
  [NR.clock_gettime64, clockGettime('time64')],
  [NR.clock_getres, clockGetres('time32')],
  [NR.clock_getres_time64, clockGetres('time64')],
  [NR.clock_settime, clockSettime('time32')],
  [NR.clock_settime64, clockSettime('time64')],
  [NR.times, sysTimes],
  [NR.getrusage, sysGetrusage],
  ...SLEEP_SYSCALLS,
  ...ITIMER_SYSCALLS,
];
