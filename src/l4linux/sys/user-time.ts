/**
 * Time structures in user memory, as the i386 ABI lays them out: struct timespec (old_timespec32: two
 * 32-bit words), struct __kernel_timespec (the *_time64 calls: 64-bit seconds, 64-bit nanoseconds of
 * which a 32-bit kernel reads the low word), struct timeval (two 32-bit words).
 */
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { readWords, writeWords } from '../uaccess.js';
import { NS_PER_SEC, type Timespec } from '../clock.js';

/** Which timespec layout a call uses. */
export type TimeLayout = 'time32' | 'time64';

const TWO32 = 0x100000000;

/** A signed 64-bit value from two words (exact below 2^53, which every time here is). */
const i64 = (lo: number, hi: number): number => (hi | 0) * TWO32 + (lo >>> 0);

/** Read a timespec, or null on a fault. Not validated (see validSleep). */
export function* readTimespec(lx: Linux, proc: Process, at: number, layout: TimeLayout): LxGen<Timespec | null> {
  if (layout === 'time32') {
    const w = yield* readWords(lx, proc, at, 2);
    return w ? { sec: w[0]! | 0, nsec: w[1]! | 0 } : null;
  }
  const w = yield* readWords(lx, proc, at, 4);
  return w ? { sec: i64(w[0]!, w[1]!), nsec: w[2]! | 0 } : null;
}

export function* writeTimespec(lx: Linux, proc: Process, at: number, t: Timespec, layout: TimeLayout): LxGen<boolean> {
  if (layout === 'time32') return yield* writeWords(lx, proc, at, [t.sec, t.nsec]);
  return yield* writeWords(lx, proc, at, [t.sec >>> 0, Math.floor(t.sec / TWO32), t.nsec, 0]);
}

/** timespec64_valid: seconds not negative, nanoseconds within a second. */
export const validTimespec = (t: Timespec): boolean => t.sec >= 0 && t.nsec >= 0 && t.nsec < NS_PER_SEC;

/** Read a timeval as a timespec (microseconds kept in `nsec` / 1000), or null on a fault. */
export function* readTimeval(lx: Linux, proc: Process, at: number): LxGen<{ sec: number; usec: number } | null> {
  const w = yield* readWords(lx, proc, at, 2);
  return w ? { sec: w[0]! | 0, usec: w[1]! | 0 } : null;
}

export function* writeTimeval(lx: Linux, proc: Process, at: number, t: Timespec): LxGen<boolean> {
  return yield* writeWords(lx, proc, at, [t.sec, Math.floor(t.nsec / 1000)]);
}
