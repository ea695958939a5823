/**
 * Linux's clocks, read from the simulated clock (cycles of the CPU that runs the kernel path, turned
 * into nanoseconds with the cost profile's cyclesPerUs). All integer arithmetic, so every run and its
 * replay read the same times.
 *
 * - CLOCK_REALTIME: the recorded epoch (the scenario's `epoch`, default 2003-01-01) plus the time since
 *   boot, plus whatever settimeofday / clock_settime added (root only).
 * - CLOCK_MONOTONIC, _RAW, BOOTTIME: the time since boot (the machine never suspends or slews).
 * - The _COARSE clocks: the same, cut to the last timer tick (1/HZ).
 * - CPU-time clocks: the simulated time since the process was created (see cpuCycles).
 * - The _ALARM clocks need a real-time clock device the machine does not have: EINVAL, as Linux
 *   without an RTC answers.
 */
import { HZ } from './abi.js';
import { CLOCK } from './abi-calls.js';
import type { Process } from './process.js';

/** 2003-01-01T00:00:00Z, the year of the seed thesis: the realtime clock's default start. */
export const BOOT_EPOCH = 1_041_379_200;

export const NS_PER_SEC = 1_000_000_000;

export interface Timespec {
  sec: number;
  nsec: number;
}

/** The offset settimeofday gave CLOCK_REALTIME, and the timezone it recorded (sys_tz). */
export class RealtimeClock {
  offset: Timespec = { sec: 0, nsec: 0 };
  tz = { minuteswest: 0, dsttime: 0 };
  constructor(readonly epoch: number) {}
}

/** `cycles` of simulated time as seconds and nanoseconds, exactly (no product exceeds 2^53). */
export function cyclesToTimespec(cycles: number, cyclesPerUs: number): Timespec {
  const perSec = cyclesPerUs * 1_000_000;
  const sec = Math.floor(cycles / perSec);
  const rest = cycles - sec * perSec;
  const us = Math.floor(rest / cyclesPerUs);
  const frac = rest - us * cyclesPerUs;
  return { sec, nsec: us * 1000 + Math.floor((frac * 1000) / cyclesPerUs) };
}

export function addTimespec(a: Timespec, b: Timespec): Timespec {
  const nsec = a.nsec + b.nsec;
  return nsec >= NS_PER_SEC ? { sec: a.sec + b.sec + 1, nsec: nsec - NS_PER_SEC } : nsec < 0 ? { sec: a.sec + b.sec - 1, nsec: nsec + NS_PER_SEC } : { sec: a.sec + b.sec, nsec };
}

export function subTimespec(a: Timespec, b: Timespec): Timespec {
  return addTimespec(a, { sec: -b.sec, nsec: -b.nsec });
}

export function compareTimespec(a: Timespec, b: Timespec): number {
  return a.sec !== b.sec ? Math.sign(a.sec - b.sec) : Math.sign(a.nsec - b.nsec);
}

/** Cut a time to the last tick (the coarse clocks). */
function coarse(t: Timespec): Timespec {
  const tickNs = NS_PER_SEC / HZ;
  return { sec: t.sec, nsec: t.nsec - (t.nsec % tickNs) };
}

/** What a clock reading needs of the kernel (the Linux object). */
export interface ClockSource {
  now(): number;
  readonly costs: { cyclesPerUs: number };
  readonly realtime: RealtimeClock;
  /** Processes by pid, zombies included: the CPU clocks of other processes. */
  readonly processes: ReadonlyMap<number, Process>;
}

/**
 * The CPU time of a process in cycles: the simulated time since it was created (until it exited). The
 * Linux server does not learn how much of that its user thread ran, so this is an upper bound (exact for
 * a process that never waits); all of it counts as user time.
 */
export function cpuCycles(proc: Process, now: number): number {
  return Math.max(0, (proc.endedAt >= 0 ? proc.endedAt : now) - proc.startedAt);
}

/** Time since boot. */
export function uptime(src: ClockSource): Timespec {
  return cyclesToTimespec(src.now(), src.costs.cyclesPerUs);
}

export function realtime(src: ClockSource): Timespec {
  const rt = src.realtime;
  return addTimespec(addTimespec(uptime(src), { sec: rt.epoch, nsec: 0 }), rt.offset);
}

/**
 * Read clock `id` for `proc`, or null for a clock Linux does not have. Negative ids are the CPU clocks of
 * a process or thread by pid (clock_getcpuclockid); null if there is no such process.
 */
export function readClock(src: ClockSource, id: number, proc: Process): Timespec | null {
  switch (id) {
    case CLOCK.REALTIME:
    case CLOCK.TAI: // TAI - UTC is 0 until someone sets it (adjtimex)
      return realtime(src);
    case CLOCK.REALTIME_COARSE:
      return coarse(realtime(src));
    case CLOCK.MONOTONIC:
    case CLOCK.MONOTONIC_RAW:
    case CLOCK.BOOTTIME:
      return uptime(src);
    case CLOCK.MONOTONIC_COARSE:
      return coarse(uptime(src));
    case CLOCK.PROCESS_CPUTIME_ID:
    case CLOCK.THREAD_CPUTIME_ID:
      return cyclesToTimespec(cpuCycles(proc, src.now()), src.costs.cyclesPerUs);
  }
  const target = cpuClockProcess(src, id, proc);
  return target ? cyclesToTimespec(cpuCycles(target, src.now()), src.costs.cyclesPerUs) : null;
}

/**
 * The process a negative clock id names: ~pid << 3 | type, with type < 3 (PROF, VIRT, SCHED) and bit 2
 * for a thread's clock; pid 0 is the caller. Threads are processes here (tid = pid).
 */
function cpuClockProcess(src: ClockSource, id: number, self: Process): Process | null {
  if (id >= 0 || (id & 3) === 3) return null;
  const pid = ~id >> 3;
  if (pid === 0) return self;
  return src.processes.get(pid) ?? null;
}

/**
 * clock_getres: 1 ns for the high-resolution clocks (as Linux with hrtimers reports, and finer than the
 * simulated clock's cycle), one tick for the coarse ones; null for an unknown clock.
 */
export function clockResolution(src: ClockSource, id: number, proc: Process): Timespec | null {
  if (id === CLOCK.REALTIME_COARSE || id === CLOCK.MONOTONIC_COARSE) return { sec: 0, nsec: NS_PER_SEC / HZ };
  return readClock(src, id, proc) ? { sec: 0, nsec: 1 } : null;
}
