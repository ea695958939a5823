/**
 * Resource limits (rlimit.ts: getrlimit, ugetrlimit, setrlimit, prlimit64), niceness (getpriority,
 * setpriority, nice) and the scheduler's answers (sched_getaffinity and friends) for a machine on
 * which the Linux server schedules every process alike: one CPU, SCHED_OTHER, priority 0.
 */
import { EFAULT, EINVAL, ESRCH, NR } from '../abi.js';
import { EACCES, EPERM, PRIO_PGRP, PRIO_PROCESS, PRIO_USER, RLIM_INFINITY, RLIM_NLIMITS, RLIMIT, SCHED_BATCH, SCHED_FIFO, SCHED_IDLE, SCHED_OTHER, SCHED_RR } from '../abi-calls.js';
import type { LxGen } from '../coroutine.js';
import { mayControl } from '../cred.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { checkRlimit, type Rlimit } from '../rlimit.js';
import { copyFromUser, readWords, writeWords } from '../uaccess.js';
import { i32, value, type Syscall, type SyscallTable } from './syscall.js';

/** getrlimit (the old call) reports limits above 2^31 - 1 as 2^31 - 1 (i386's old ABI). */
const OLD_RLIM_MAX = 0x7fffffff;

const find = (lx: Linux, proc: Process, pid: number): Process | undefined => (pid === 0 ? proc : lx.processes.get(pid));

function getrlimitCall(clamp: boolean): Syscall {
  return function* (lx, proc, a) {
    const r = proc.rlimits[a[0]!];
    if (!r) return -EINVAL;
    const words = clamp ? [Math.min(r.cur, OLD_RLIM_MAX), Math.min(r.max, OLD_RLIM_MAX)] : [r.cur, r.max];
    return (yield* writeWords(lx, proc, a[1]!, words)) ? 0 : -EFAULT;
  };
}

/** do_prlimit's change of `target`'s limit; the caller's privilege decides about raising the hard limit. */
function setLimit(caller: Process, target: Process, resource: number, next: Rlimit): number {
  const err = checkRlimit(resource, target.rlimits[resource]!, next, caller.cred.privileged);
  if (err === 0) target.rlimits[resource] = next;
  return err;
}

function* sysSetrlimit(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[0]! >= RLIM_NLIMITS) return -EINVAL;
  const w = yield* readWords(lx, proc, a[1]!, 2);
  if (!w) return -EFAULT;
  return setLimit(proc, proc, a[0]!, { cur: w[0]!, max: w[1]! });
}

/** A 64-bit limit as the 32-bit kernel keeps it: anything from RLIM_INFINITY up is infinite. */
const from64 = (lo: number, hi: number): number => (hi !== 0 ? RLIM_INFINITY : lo >>> 0);
const to64 = (v: number): number[] => (v === RLIM_INFINITY ? [0xffffffff, 0xffffffff] : [v, 0]);

/**
 * prlimit64's permission for another process: the caller's real uid and gid are all of the target's
 * (real, effective, saved), or the caller is root.
 */
function mayPrlimit(caller: Process, target: Process): boolean {
  if (caller === target || caller.cred.privileged) return true;
  const u = target.cred.user;
  const g = target.cred.group;
  const uid = caller.cred.user.r;
  const gid = caller.cred.group.r;
  return uid === u.r && uid === u.e && uid === u.s && gid === g.r && gid === g.e && gid === g.s;
}

/** prlimit64(pid, resource, new, old): 64-bit limits, of the caller (pid 0) or another process. */
function* sysPrlimit64(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const resource = a[1]!;
  let next: Rlimit | null = null;
  if (a[2] !== 0) {
    const w = yield* readWords(lx, proc, a[2]!, 4);
    if (!w) return -EFAULT;
    next = { cur: from64(w[0]!, w[1]!), max: from64(w[2]!, w[3]!) };
  }
  const target = find(lx, proc, i32(a[0]!));
  if (!target) return -ESRCH;
  if (!mayPrlimit(proc, target)) return -EPERM;
  const old = target.rlimits[resource];
  if (!old) return -EINVAL;
  if (next) {
    const err = setLimit(proc, target, resource, next);
    if (err < 0) return err;
  }
  if (a[3] !== 0 && !(yield* writeWords(lx, proc, a[3]!, [...to64(old.cur), ...to64(old.max)]))) return -EFAULT;
  return 0;
}

/** The processes getpriority / setpriority address: by pid, process group or real uid (0 = the caller's). */
function prioTargets(lx: Linux, proc: Process, which: number, who: number): Process[] {
  const all = [...lx.processes.values()];
  if (which === PRIO_PROCESS) {
    const p = find(lx, proc, who);
    return p ? [p] : [];
  }
  if (which === PRIO_PGRP) return all.filter((p) => p.group.pgrp === (who || proc.group.pgrp));
  return all.filter((p) => p.cred.user.r === (who || proc.cred.user.r));
}

/** getpriority: the highest priority among the targets as 20 - nice (1..40: never an error value). */
function* sysGetpriority(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const which = a[0]!;
  if (which !== PRIO_PROCESS && which !== PRIO_PGRP && which !== PRIO_USER) return -EINVAL;
  const targets = prioTargets(lx, proc, which, i32(a[1]!));
  if (targets.length === 0) return -ESRCH;
  return Math.max(...targets.map((p) => 20 - p.nice));
}

/** Whether `proc` may lower its nice value to `nice` (can_nice: RLIMIT_NICE, or root). */
const canNice = (proc: Process, nice: number): boolean => proc.cred.privileged || 20 - nice <= proc.rlimits[RLIMIT.NICE]!.cur;

/**
 * setpriority: nice clamped to -20..19 for each target the caller may change (EPERM) and may lower
 * (EACCES); ESRCH when none matched, else the last refusal or 0.
 */
function* sysSetpriority(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const which = a[0]!;
  if (which !== PRIO_PROCESS && which !== PRIO_PGRP && which !== PRIO_USER) return -EINVAL;
  const nice = Math.min(19, Math.max(-20, i32(a[2]!)));
  let result = -ESRCH;
  for (const p of prioTargets(lx, proc, which, i32(a[1]!))) {
    if (!mayControl(proc.cred, p.cred)) result = -EPERM;
    else if (nice < p.nice && !canNice(proc, nice)) result = -EACCES;
    else {
      if (result === -ESRCH) result = 0;
      p.nice = nice;
    }
  }
  return result;
}

/** nice(increment): only root may lower the value (EPERM). */
function* sysNice(_lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const inc = Math.min(40, Math.max(-40, i32(a[0]!)));
  const nice = Math.min(19, Math.max(-20, proc.nice + inc));
  if (inc < 0 && !canNice(proc, nice)) return -EPERM;
  proc.nice = nice;
  return 0;
}

/** The CPU mask: NR_CPUS = 32 (one word), CPU 0 the only one online. */
const CPUMASK_BYTES = 4;
const ONLINE_CPUS = 1;

/** sched_getaffinity(pid, len, mask): len a multiple of 4 (EINVAL); returns the bytes written. */
function* sysSchedGetaffinity(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const len = a[1]!;
  if (len === 0 || len % 4 !== 0) return -EINVAL;
  if (!find(lx, proc, i32(a[0]!))) return -ESRCH;
  return (yield* writeWords(lx, proc, a[2]!, [ONLINE_CPUS])) ? CPUMASK_BYTES : -EFAULT;
}

/** sched_setaffinity: a mask without an online CPU is EINVAL; otherwise nothing changes (one CPU). */
function* sysSchedSetaffinity(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const bytes = a[1]! === 0 ? new Uint8Array(0) : yield* copyFromUser(lx, proc, a[2]!, Math.min(a[1]!, CPUMASK_BYTES));
  if (!bytes) return -EFAULT;
  const target = find(lx, proc, i32(a[0]!));
  if (!target) return -ESRCH;
  if (!mayControl(proc.cred, target.cred)) return -EPERM;
  return ((bytes[0] ?? 0) & ONLINE_CPUS) !== 0 ? 0 : -EINVAL;
}

function* sysSchedGetparam(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (a[1] === 0 || i32(a[0]!) < 0) return -EINVAL;
  if (!find(lx, proc, i32(a[0]!))) return -ESRCH;
  return (yield* writeWords(lx, proc, a[1]!, [0])) ? 0 : -EFAULT;
}

function* sysSchedGetscheduler(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  if (i32(a[0]!) < 0) return -EINVAL;
  return find(lx, proc, i32(a[0]!)) ? SCHED_OTHER : -ESRCH;
}

/** Priority range of a policy: 1..99 for the real-time ones, 0 for the others, EINVAL for unknown ones. */
function priorityBound(bound: 'min' | 'max'): Syscall {
  return (_lx, _proc, a) => {
    const policy = a[0]!;
    if (policy === SCHED_FIFO || policy === SCHED_RR) return value(bound === 'min' ? 1 : 99);
    return value([SCHED_OTHER, SCHED_BATCH, SCHED_IDLE].includes(policy) ? 0 : -EINVAL);
  };
}

export const LIMITS_SYSCALLS: SyscallTable = [
  [NR.getrlimit, getrlimitCall(true)],
  [NR.ugetrlimit, getrlimitCall(false)],
  [NR.setrlimit, sysSetrlimit],
  [NR.prlimit64, sysPrlimit64],
  [NR.getpriority, sysGetpriority],
  [NR.setpriority, sysSetpriority],
  [NR.nice, sysNice],
  [NR.sched_getaffinity, sysSchedGetaffinity],
  [NR.sched_setaffinity, sysSchedSetaffinity],
  [NR.sched_getparam, sysSchedGetparam],
  [NR.sched_getscheduler, sysSchedGetscheduler],
  [NR.sched_get_priority_max, priorityBound('max')],
  [NR.sched_get_priority_min, priorityBound('min')],
];
