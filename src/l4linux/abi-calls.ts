/**
 * Linux i386 numbers of the time, identity, limits and signal calls, beside the shared ones in abi.ts:
 * errno values, flags, clock ids, structure sizes.
 */

/** These errno values are abi.ts's; they are named here too for the calls that import this file. */
export { EACCES, EOPNOTSUPP, EPERM } from './abi.js';
/** Internal: restart through restart_syscall (the restart block) if no handler runs; with one, EINTR. */
export const ERESTART_RESTARTBLOCK = 516;
/** restart_syscall's number: what EAX holds when such a call is restarted. */
export const NR_RESTART_SYSCALL = 0;

/** Signals 1..64 (_NSIG); SIGRTMIN is 32 in the kernel's numbering. */
export const NSIG64 = 64;
export const SIGRTMIN = 32;
/** The kernel's sigset_t: 64 bits (rt_sig* calls refuse any other sigsetsize). */
export const SIGSET_BYTES = 8;

export const SA_ONSTACK = 0x08000000;

/** sigaltstack: stack_t is { ss_sp, ss_flags, ss_size }. */
export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 0x80000000;
export const MINSIGSTKSZ = 2048;
export const STACK_T_BYTES = 12;

/** siginfo si_code values beside abi.ts's. */
export const SI_TKILL = -6;
export const SIGINFO_BYTES = 128;

/** Clock ids (CLOCK_*). */
export const CLOCK = {
  REALTIME: 0,
  MONOTONIC: 1,
  PROCESS_CPUTIME_ID: 2,
  THREAD_CPUTIME_ID: 3,
  MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6,
  BOOTTIME: 7,
  REALTIME_ALARM: 8,
  BOOTTIME_ALARM: 9,
  TAI: 11,
} as const;
export const TIMER_ABSTIME = 1;

export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;

/** Clock ticks per second of times() and clock_t (USER_HZ). */
export const USER_HZ = 100;

/** getrandom flags. */
export const GRND_NONBLOCK = 1;
export const GRND_RANDOM = 2;
export const GRND_INSECURE = 4;

/** Resource limits (RLIMIT_*), and RLIM_INFINITY as the 32-bit kernel keeps limits. */
export const RLIMIT = {
  CPU: 0,
  FSIZE: 1,
  DATA: 2,
  STACK: 3,
  CORE: 4,
  RSS: 5,
  NPROC: 6,
  NOFILE: 7,
  MEMLOCK: 8,
  AS: 9,
  LOCKS: 10,
  SIGPENDING: 11,
  MSGQUEUE: 12,
  NICE: 13,
  RTPRIO: 14,
  RTTIME: 15,
} as const;
export const RLIM_NLIMITS = 16;
export const RLIM_INFINITY = 0xffffffff;

export const PR_SET_NAME = 15;
export const PR_GET_NAME = 16;
/** TASK_COMM_LEN: a process name is at most 15 bytes and a NUL. */
export const COMM_BYTES = 16;

export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const PRIO_USER = 2;

export const SCHED_OTHER = 0;
export const SCHED_FIFO = 1;
export const SCHED_RR = 2;
export const SCHED_BATCH = 3;
export const SCHED_IDLE = 5;

export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
export const RUSAGE_THREAD = 1;
