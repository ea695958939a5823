/** Linux i386 numbers the Linux personality needs: system calls, errno values, flags, signals. */
export const NR = {
  exit: 1,
  fork: 2,
  read: 3,
  write: 4,
  open: 5,
  close: 6,
  waitpid: 7,
  execve: 11,
  time: 13,
  getpid: 20,
  alarm: 27,
  pause: 29,
  kill: 37,
  pipe: 42,
  brk: 45,
  signal: 48,
  dup2: 63,
  getppid: 64,
  getpgrp: 65,
  sigaction: 67,
  sigreturn: 119,
  modify_ldt: 123,
  sigprocmask: 126,
  sched_yield: 158,
  nanosleep: 162,
  rt_sigreturn: 173,
  rt_sigaction: 174,
  rt_sigprocmask: 175,
  set_thread_area: 243,
  get_thread_area: 244,
  exit_group: 252,
  /** Not Linux: l4trace benchmark markers (natively ENOSYS). */
  l4trace_marker: 499,
} as const;

export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const ENOEXEC = 8;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOSPC = 28;
export const EPIPE = 32;
export const ENOSYS = 38;
/** Internal: restart the system call after a signal if the handler has SA_RESTART (or no handler runs). */
export const ERESTARTSYS = 512;
/** Internal: always restart the system call after a signal. */
export const ERESTARTNOINTR = 513;
/** Internal: restart only if no handler runs (pause, nanosleep); with a handler the call fails with EINTR. */
export const ERESTARTNOHAND = 514;

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;

export const WNOHANG = 1;

export const SIG = { HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, WINCH: 28 } as const;
export const NSIG = 64;
export const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(SIG).map(([k, v]) => [v, `SIG${k}`]));

export const SIG_DFL = 0;
export const SIG_IGN = 1;
export const SA_SIGINFO = 4;
export const SA_RESTORER = 0x04000000;
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;
export const SA_RESETHAND = 0x80000000;

export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

/** What a signal does when its handler is SIG_DFL. */
export type DefaultAction = 'terminate' | 'core' | 'ignore' | 'stop' | 'continue';
export function defaultAction(sig: number): DefaultAction {
  switch (sig) {
    case SIG.CHLD:
    case SIG.URG:
    case SIG.WINCH:
      return 'ignore';
    case SIG.CONT:
      return 'continue';
    case SIG.STOP:
    case SIG.TSTP:
    case SIG.TTIN:
    case SIG.TTOU:
      return 'stop';
    case SIG.QUIT:
    case SIG.ILL:
    case SIG.TRAP:
    case SIG.ABRT:
    case SIG.BUS:
    case SIG.FPE:
    case SIG.SEGV:
      return 'core';
    default:
      return 'terminate';
  }
}

/** Bit of signal `sig` in a mask (signals 1..32 in a 32-bit mask). */
export const sigbit = (sig: number): number => (sig >= 1 && sig <= 32 ? (1 << (sig - 1)) >>> 0 : 0);
export const UNBLOCKABLE = sigbit(SIG.KILL) | sigbit(SIG.STOP);

/** Linux's clock rate (jiffies per second). */
export const HZ = 100;

/** siginfo si_code values (Linux i386). */
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const ILL_ILLOPN = 2;
export const FPE_INTDIV = 1;
export const FPE_FLTDIV = 3;
export const FPE_FLTOVF = 4;
export const FPE_FLTUND = 5;
export const FPE_FLTRES = 6;
export const FPE_FLTINV = 7;

/**
 * The si_code of an x87 error (#MF), as Linux's math_error picks it from the exceptions that are both
 * raised in the status word and unmasked in the control word: invalid first, then zero-divide,
 * overflow, underflow or denormal, precision. 0 when none is (a spurious #MF).
 */
export function fpeCode(cw: number, sw: number): number {
  const err = sw & ~cw & 0x3f;
  if (err & 0x01) return FPE_FLTINV;
  if (err & 0x04) return FPE_FLTDIV;
  if (err & 0x08) return FPE_FLTOVF;
  if (err & 0x12) return FPE_FLTUND;
  if (err & 0x20) return FPE_FLTRES;
  return 0;
}
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
/** CPU vectors as trap numbers in the sigcontext. */
export const TRAPNO = { DE: 0, BP: 3, OF: 4, BR: 5, UD: 6, NP: 11, SS: 12, GP: 13, PF: 14, MF: 16 } as const;
