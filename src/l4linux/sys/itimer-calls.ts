/**
 * alarm, setitimer and getitimer over the interval timers of itimer.ts (jiffy resolution, as 2.4).
 * struct itimerval is { it_interval, it_value }, two timevals.
 */
import { EFAULT, EINVAL, HZ, NR } from '../abi.js';
import { ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL } from '../abi-calls.js';
import type { LxGen } from '../coroutine.js';
import { armReal, jiffiesToTimeval, realLeft, timevalToJiffies, type Countdown } from '../itimer.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { readWords, writeWords } from '../uaccess.js';
import type { SyscallTable } from './syscall.js';

/** A timer's jiffies left and reload interval. */
function current(lx: Linux, proc: Process, which: number): { value: number; interval: number } {
  if (which === ITIMER_REAL) return { value: realLeft(lx, proc), interval: proc.group.realInterval };
  return which === ITIMER_VIRTUAL ? { ...proc.virtTimer } : { ...proc.profTimer };
}

const itimerval = (t: { value: number; interval: number }): number[] => [...jiffiesToTimeval(t.interval), ...jiffiesToTimeval(t.value)];

const validTimeval = (sec: number, usec: number): boolean => sec >= 0 && usec >= 0 && usec < 1_000_000;

/**
 * alarm: ITIMER_REAL in whole seconds without reload; returns the seconds left of the previous one,
 * rounded to the nearest second (half up) and never 0 while it was armed, as Linux does today (2.4
 * rounded up).
 */
function* sysAlarm(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const left = realLeft(lx, proc);
  armReal(lx, proc, a[0]! * HZ, 0);
  const sec = Math.floor(left / HZ);
  const rest = left % HZ;
  return (sec === 0 && rest > 0) || rest >= HZ / 2 ? sec + 1 : sec;
}

function* sysGetitimer(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const which = a[0]!;
  if (which !== ITIMER_REAL && which !== ITIMER_VIRTUAL && which !== ITIMER_PROF) return -EINVAL;
  return (yield* writeWords(lx, proc, a[1]!, itimerval(current(lx, proc, which)))) ? 0 : -EFAULT;
}

/**
 * setitimer: a NULL new value disarms (as Linux still accepts); bad timevals and timers are EINVAL. The
 * virtual and profiling timers get one jiffy more, for the tick already under way (2.4).
 */
function* sysSetitimer(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const which = a[0]!;
  const w = a[1] === 0 ? [0, 0, 0, 0] : yield* readWords(lx, proc, a[1]!, 4);
  if (!w) return -EFAULT;
  const [isec, iusec, vsec, vusec] = w.map((x) => x | 0) as [number, number, number, number];
  if (!validTimeval(isec, iusec) || !validTimeval(vsec, vusec)) return -EINVAL;
  if (which !== ITIMER_REAL && which !== ITIMER_VIRTUAL && which !== ITIMER_PROF) return -EINVAL;
  const old = current(lx, proc, which);
  const value = timevalToJiffies(vsec, vusec);
  const interval = timevalToJiffies(isec, iusec);
  if (which === ITIMER_REAL) armReal(lx, proc, value, interval);
  else Object.assign<Countdown, Countdown>(which === ITIMER_VIRTUAL ? proc.virtTimer : proc.profTimer, { value: value ? value + 1 : 0, interval });
  if (a[2] !== 0 && !(yield* writeWords(lx, proc, a[2]!, itimerval(old)))) return -EFAULT;
  return 0;
}

export const ITIMER_SYSCALLS: SyscallTable = [
  [NR.alarm, sysAlarm],
  [NR.setitimer, sysSetitimer],
  [NR.getitimer, sysGetitimer],
];
