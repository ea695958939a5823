/**
 * The system calls (Linux i386 numbers, abi.ts). Each is a coroutine body: it returns the result for
 * EAX (a negative errno on failure) or null when the caller does not return (exit, a successful execve,
 * a fatal signal). Blocking calls sleep interruptibly and return -ERESTARTSYS (or -ERESTARTNOHAND) when
 * a signal ends the sleep; the return path (linux.ts returnToUser) settles restarts.
 */
import { Kind } from '../../tracer/catalogue.js';
import { EFAULT, ERESTARTNOHAND, NR } from './abi.js';
import { sleepOn, type LxGen } from './coroutine.js';
import type { Linux } from './linux.js';
import type { Process } from './process.js';
import { sigreturn } from './signals.js';
import { sysGetThreadArea, sysModifyLdt, sysSetThreadArea } from './tls.js';
import { writeWords } from './uaccess.js';
import { value, type Syscall } from './sys/syscall.js';
import { IDENTITY_SYSCALLS } from './sys/identity.js';
import { SIGNAL_SYSCALLS } from './sys/signal-calls.js';
import { TIME_SYSCALLS } from './sys/time.js';
import { FD_SYSCALLS } from './sys/fd.js';
import { MEMORY_SYSCALLS } from './sys/memory.js';
import { PATH_SYSCALLS } from './sys/paths.js';
import { POLL_SYSCALLS } from './sys/poll.js';
import { PROCESS_SYSCALLS } from './sys/process.js';
import { TTY_SYSCALLS } from './sys/tty-calls.js';
import { MISC_SYSCALLS } from './sys/misc.js';
import { FUTEX_SYSCALLS } from './sys/futex.js';
import { THREAD_SYSCALLS } from './sys/thread.js';

export type { Syscall };


// ---------------------------------------------------------------------------------------------------
// Processes

function* sysSigreturn(lx: Linux, proc: Process, _a: number[], regs: number[]): LxGen<number | null> {
  return yield* sigreturn(lx, proc, regs, false);
}

function* sysRtSigreturn(lx: Linux, proc: Process, _a: number[], regs: number[]): LxGen<number | null> {
  return yield* sigreturn(lx, proc, regs, true);
}

function* sysPause(): LxGen<number | null> {
  yield* sleepOn(null, true);
  return -ERESTARTNOHAND;
}

// ---------------------------------------------------------------------------------------------------
// Time

function* sysTime(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  const t = lx.time();
  if (a[0] !== 0 && !(yield* writeWords(lx, proc, a[0]!, [t]))) return -EFAULT;
  return t;
}


/**
 * Marker ids below this get a name of their own in the trace's string table; the others share
 * `marker` (the id is in the event either way), so a guest counting through ids cannot grow the table.
 */
export const NAMED_MARKERS = 1024;

function* sysMarker(lx: Linux, proc: Process, a: number[]): LxGen<number | null> {
  lx.ev(Kind.MARKER, lx.ctx.intern(a[0]! < NAMED_MARKERS ? `marker ${a[0]!}` : 'marker'), a[0]!);
  lx.onMarker?.({ pid: proc.pid, id: a[0]! });
  return 0;
}

const CORE_SYSCALLS: [number, Syscall][] = [
  [NR.time, sysTime],
  [NR.getpid, (_lx, p) => value(p.tgid)],
  [NR.getppid, (_lx, p) => value(p.ppid)],
  [NR.getpgrp, (_lx, p) => value(p.group.pgrp)],
  [NR.pause, sysPause],
  [NR.sigreturn, sysSigreturn],
  [NR.sched_yield, () => value(0)],
  [NR.rt_sigreturn, sysRtSigreturn],
  [NR.l4trace_marker, sysMarker],
  [NR.set_thread_area, sysSetThreadArea],
  [NR.get_thread_area, sysGetThreadArea],
  [NR.modify_ldt, sysModifyLdt],
];

/** Every system call, by number: later tables override earlier ones. */
export const SYSCALLS = new Map<number, Syscall>([
  ...CORE_SYSCALLS,
  ...PROCESS_SYSCALLS,
  ...FD_SYSCALLS,
  ...PATH_SYSCALLS,
  ...POLL_SYSCALLS,
  ...TTY_SYSCALLS,
  ...MEMORY_SYSCALLS,
  ...MISC_SYSCALLS,
  ...FUTEX_SYSCALLS,
  ...THREAD_SYSCALLS,
  ...IDENTITY_SYSCALLS,
  ...TIME_SYSCALLS,
  ...SIGNAL_SYSCALLS,
]);
