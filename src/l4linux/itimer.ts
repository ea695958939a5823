/**
 * Interval timers (setitimer / getitimer / alarm), counted in jiffies as Linux 2.4 counts them.
 *
 * - ITIMER_REAL is alarm's timer: the process's `alarmAt` (the jiffy SIGALRM is due) plus a reload
 *   interval; alarm() sets it with a zero interval, as 2.4's alarm is a setitimer.
 * - ITIMER_VIRTUAL and ITIMER_PROF count down one per tick and send SIGVTALRM / SIGPROF. Linux counts
 *   only the ticks that find the process running (in user mode for VIRTUAL); the Linux server does not
 *   know which process the CPU runs, so both count every tick of the process's life, like its CPU clocks
 *   (clock.ts cpuCycles).
 *
 * A fork child starts without timers; execve keeps them.
 */
import { HZ, SIG } from './abi.js';
import type { LxGen } from './coroutine.js';
import type { Linux } from './linux.js';
import type { Process } from './process.js';
import { sendSignal } from './signals.js';

export const SIGVTALRM = 26;
export const SIGPROF = 27;

const US_PER_JIFFY = 1_000_000 / HZ;

/** A countdown in jiffies (0 = disarmed) and its reload value. */
export interface Countdown {
  value: number;
  interval: number;
}

/** Timeval as jiffies, rounding microseconds up (2.4's tvtojiffies). */
export function timevalToJiffies(sec: number, usec: number): number {
  return sec * HZ + Math.ceil(usec / US_PER_JIFFY);
}

export function jiffiesToTimeval(j: number): [number, number] {
  return [Math.floor(j / HZ), (j % HZ) * US_PER_JIFFY];
}

/** ITIMER_REAL's jiffies left: at least 1 while armed (it has not fired yet). */
export function realLeft(lx: Linux, proc: Process): number {
  return proc.group.alarmAt === 0 ? 0 : Math.max(1, proc.group.alarmAt - lx.jiffies);
}

/** Arm ITIMER_REAL `value` jiffies from now, reloading with `interval`; a value of 0 disarms it (and drops the interval). */
export function armReal(lx: Linux, proc: Process, value: number, interval: number): void {
  proc.group.alarmAt = value === 0 ? 0 : lx.jiffies + value;
  proc.group.realInterval = value === 0 ? 0 : interval;
}

/**
 * The timer tick's part for one process: ITIMER_REAL due (SIGALRM, then reload), the virtual and
 * profiling countdowns. Returns whether a signal was sent.
 */
export function* itimerTick(lx: Linux, proc: Process): LxGen<boolean> {
  let sent = false;
  if (proc.group.alarmAt !== 0 && proc.group.alarmAt <= lx.jiffies) {
    proc.group.alarmAt = proc.group.realInterval !== 0 ? lx.jiffies + proc.group.realInterval : 0;
    yield* sendSignal(lx, proc, SIG.ALRM, 0);
    sent = true;
  }
  if (countDown(proc.virtTimer) && proc.alive) {
    yield* sendSignal(lx, proc, SIGVTALRM, 0);
    sent = true;
  }
  if (countDown(proc.profTimer) && proc.alive) {
    yield* sendSignal(lx, proc, SIGPROF, 0);
    sent = true;
  }
  return sent;
}

/** One tick of an armed countdown: whether it ran out (then it reloads with its interval). */
function countDown(t: Countdown): boolean {
  if (t.value === 0 || --t.value > 0) return false;
  t.value = t.interval;
  return true;
}
