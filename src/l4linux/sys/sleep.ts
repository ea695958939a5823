/**
 * Sleeping on a clock: nanosleep, clock_nanosleep (+_time64) and restart_syscall.
 *
 * A sleep waits on the timer tick (jiffy resolution, as 2.4's timers) until the clock reads its
 * deadline, so it never ends early. A signal ends it: a relative sleep writes the time left and returns
 * -ERESTART_RESTARTBLOCK, so that with a handler the call fails with EINTR, and without one (a stop and
 * SIGCONT) restart_syscall sleeps on to the same deadline; an absolute sleep returns -ERESTARTNOHAND.
 */
import { EFAULT, EINTR, EINVAL, ERESTARTNOHAND, NR } from '../abi.js';
import { CLOCK, EOPNOTSUPP, ERESTART_RESTARTBLOCK, NR_RESTART_SYSCALL, TIMER_ABSTIME } from '../abi-calls.js';
import { addTimespec, readClock, subTimespec, type Timespec } from '../clock.js';
import { sleepOn, type LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { i32, type Syscall, type SyscallTable } from './syscall.js';
import { readTimespec, validTimespec, writeTimespec, type TimeLayout } from './user-time.js';

/** Sleep until clock `id` reads `deadline`: 'done', or 'interrupted' by a signal. */
function* sleepUntil(lx: Linux, proc: Process, id: number, deadline: Timespec): LxGen<'done' | 'interrupted'> {
  for (;;) {
    const left = subTimespec(deadline, readClock(lx, id, proc)!);
    if (left.sec < 0 || (left.sec === 0 && left.nsec === 0)) return 'done';
    const why = yield* sleepOn(null, true, lx.jiffyAfterUs(left.sec * 1_000_000 + Math.ceil(left.nsec / 1000)));
    if (why !== 'timeout') return 'interrupted';
  }
}

/** What a relative sleep does after a signal: report the time left, continue through restart_syscall. */
function* relativeSleep(lx: Linux, proc: Process, id: number, deadline: Timespec, remAt: number, layout: TimeLayout): LxGen<number | null> {
  if ((yield* sleepUntil(lx, proc, id, deadline)) === 'done') return 0;
  if (remAt !== 0) {
    const left = subTimespec(deadline, readClock(lx, id, proc)!);
    if (!(yield* writeTimespec(lx, proc, remAt, left.sec < 0 ? { sec: 0, nsec: 0 } : left, layout))) return -EFAULT;
  }
  proc.restartBlock = () => relativeSleep(lx, proc, id, deadline, remAt, layout);
  return -ERESTART_RESTARTBLOCK;
}

/**
 * Whether clock `id` can be slept on: EINVAL for an unknown clock or a thread's CPU clock by id,
 * EOPNOTSUPP for a clock without timers (the raw, coarse and calling thread's CPU clocks).
 */
function sleepableClock(lx: Linux, proc: Process, id: number): number {
  if (readClock(lx, id, proc) === null) return -EINVAL;
  if (id < 0 && (id & 4) !== 0) return -EINVAL;
  const timed = [CLOCK.REALTIME, CLOCK.MONOTONIC, CLOCK.BOOTTIME, CLOCK.TAI, CLOCK.PROCESS_CPUTIME_ID] as number[];
  return id < 0 || timed.includes(id) ? 0 : -EOPNOTSUPP;
}

function clockNanosleep(layout: TimeLayout): Syscall {
  return function* (lx, proc, a) {
    const id = i32(a[0]!);
    const bad = sleepableClock(lx, proc, id);
    if (bad < 0) return bad;
    const req = yield* readTimespec(lx, proc, a[2]!, layout);
    if (!req) return -EFAULT;
    if (!validTimespec(req)) return -EINVAL;
    if (a[1]! & TIMER_ABSTIME) return (yield* sleepUntil(lx, proc, id, req)) === 'done' ? 0 : -ERESTARTNOHAND;
    return yield* relativeSleep(lx, proc, id, addTimespec(readClock(lx, id, proc)!, req), a[3]!, layout);
  };
}

/** nanosleep: a relative sleep on CLOCK_MONOTONIC. */
function* sysNanosleep(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const req = yield* readTimespec(lx, proc, a[0]!, 'time32');
  if (!req) return -EFAULT;
  if (!validTimespec(req)) return -EINVAL;
  const deadline = addTimespec(readClock(lx, CLOCK.MONOTONIC, proc)!, req);
  return yield* relativeSleep(lx, proc, CLOCK.MONOTONIC, deadline, a[1]!, 'time32');
}

/** restart_syscall: continue what the restart block holds (once), else EINTR. */
function* sysRestartSyscall(_lx: Linux, proc: Process): LxGen<number | null> {
  const next = proc.restartBlock;
  proc.restartBlock = null;
  return next ? yield* next() : -EINTR;
}

export const SLEEP_SYSCALLS: SyscallTable = [
  [NR.nanosleep, sysNanosleep],
  [NR.clock_nanosleep, clockNanosleep('time32')],
  [NR.clock_nanosleep_time64, clockNanosleep('time64')],
  [NR_RESTART_SYSCALL, sysRestartSyscall],
];
