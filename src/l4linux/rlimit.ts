/**
 * Resource limits (struct rlimit per resource), as an i386 kernel keeps them: unsigned 32-bit values,
 * RLIM_INFINITY = 0xffffffff. A fork child inherits them; execve keeps them.
 *
 * Linux's defaults (init_task's, as fork_init and the stack setup adjust them): the stack 8 MiB soft,
 * core files 0 soft, processes and pending signals half the machine's max_threads, locked memory 8 MiB,
 * message queues 800 KiB, nice and rt priority 0, the rest unlimited. Open files are the descriptor
 * table's size (files.ts MAX_FDS), soft and hard, since a larger limit could not be used.
 *
 * Recorded, not enforced beyond what Linux did before they existed here: the descriptor table and the
 * stack region keep their fixed sizes (docs/linux-calls.md).
 */
import { MAX_FDS } from './files.js';
import { EINVAL } from './abi.js';
import { EPERM, RLIM_INFINITY, RLIM_NLIMITS, RLIMIT } from './abi-calls.js';

export interface Rlimit {
  cur: number;
  max: number;
}

const INF: Rlimit = { cur: RLIM_INFINITY, max: RLIM_INFINITY };
/** 2.4's and today's default stack: 8 MiB (the stack region of memory.ts has this size). */
export const STACK_LIMIT = 8 << 20;
/** MLOCK_LIMIT (Linux 5.16 and later). */
const MEMLOCK_LIMIT = 8 << 20;
/** MQ_BYTES_MAX. */
const MSGQUEUE_LIMIT = 819200;

/** The limits init starts with on a machine where fork allows `maxThreads` processes. */
export function defaultRlimits(maxThreads: number): Rlimit[] {
  const limits = Array.from({ length: RLIM_NLIMITS }, () => ({ ...INF }));
  const set = (r: number, cur: number, max: number): void => void (limits[r] = { cur, max });
  const half = Math.floor(maxThreads / 2);
  set(RLIMIT.STACK, STACK_LIMIT, RLIM_INFINITY);
  set(RLIMIT.CORE, 0, RLIM_INFINITY);
  set(RLIMIT.NPROC, half, half);
  set(RLIMIT.NOFILE, MAX_FDS, MAX_FDS);
  set(RLIMIT.MEMLOCK, MEMLOCK_LIMIT, MEMLOCK_LIMIT);
  set(RLIMIT.SIGPENDING, half, half);
  set(RLIMIT.MSGQUEUE, MSGQUEUE_LIMIT, MSGQUEUE_LIMIT);
  set(RLIMIT.NICE, 0, 0);
  set(RLIMIT.RTPRIO, 0, 0);
  return limits;
}

/** sysctl fs.nr_open: the largest RLIMIT_NOFILE anyone may set. */
const NR_OPEN = 1 << 20;

/**
 * do_prlimit's checks for a new limit: the soft limit above the hard one is EINVAL; raising the hard
 * limit needs privilege (EPERM), and no one may raise NOFILE past nr_open.
 */
export function checkRlimit(resource: number, old: Rlimit, next: Rlimit, privileged: boolean): number {
  if (next.cur > next.max) return -EINVAL;
  if (next.max > old.max && !privileged) return -EPERM;
  if (resource === RLIMIT.NOFILE && next.max > NR_OPEN) return -EPERM;
  return 0;
}
