/** Linux i386 numbers the server needs: system calls, errno values, signals. */
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
  sigaction: 67,
  sigreturn: 119,
  sigprocmask: 126,
  sched_yield: 158,
  nanosleep: 162,
  rt_sigreturn: 173,
  rt_sigaction: 174,
  rt_sigprocmask: 175,
  exit_group: 252,
} as const;

export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EINVAL = 22;
export const EMFILE = 24;
export const EPIPE = 32;
export const ENOSYS = 38;

export const SIG = { HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20 } as const;
