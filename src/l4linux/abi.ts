/** Linux i386 numbers the Linux personality needs: system calls, errno values, flags, signals. */
export const NR = {
  exit: 1,
  fork: 2,
  read: 3,
  write: 4,
  open: 5,
  close: 6,
  waitpid: 7,
  creat: 8,
  link: 9,
  unlink: 10,
  execve: 11,
  chdir: 12,
  time: 13,
  mknod: 14,
  chmod: 15,
  lchown: 16,
  lseek: 19,
  getpid: 20,
  mount: 21,
  setuid: 23,
  getuid: 24,
  alarm: 27,
  pause: 29,
  utime: 30,
  access: 33,
  nice: 34,
  sync: 36,
  kill: 37,
  rename: 38,
  mkdir: 39,
  rmdir: 40,
  dup: 41,
  pipe: 42,
  times: 43,
  brk: 45,
  setgid: 46,
  getgid: 47,
  signal: 48,
  geteuid: 49,
  getegid: 50,
  ioctl: 54,
  fcntl: 55,
  setpgid: 57,
  umask: 60,
  chroot: 61,
  dup2: 63,
  getppid: 64,
  getpgrp: 65,
  setsid: 66,
  sigaction: 67,
  sgetmask: 68,
  ssetmask: 69,
  setreuid: 70,
  setregid: 71,
  sigsuspend: 72,
  sigpending: 73,
  sethostname: 74,
  setrlimit: 75,
  getrlimit: 76,
  getrusage: 77,
  gettimeofday: 78,
  settimeofday: 79,
  getgroups: 80,
  setgroups: 81,
  select: 82,
  symlink: 83,
  readlink: 85,
  mmap: 90,
  munmap: 91,
  truncate: 92,
  ftruncate: 93,
  fchmod: 94,
  fchown: 95,
  getpriority: 96,
  setpriority: 97,
  statfs: 99,
  fstatfs: 100,
  socketcall: 102,
  setitimer: 104,
  getitimer: 105,
  stat: 106,
  lstat: 107,
  fstat: 108,
  uname: 122,
  wait4: 114,
  sysinfo: 116,
  ipc: 117,
  fsync: 118,
  sigreturn: 119,
  clone: 120,
  setdomainname: 121,
  modify_ldt: 123,
  mprotect: 125,
  sigprocmask: 126,
  getpgid: 132,
  fchdir: 133,
  _llseek: 140,
  getdents: 141,
  _newselect: 142,
  flock: 143,
  msync: 144,
  readv: 145,
  writev: 146,
  getsid: 147,
  fdatasync: 148,
  sched_yield: 158,
  sched_getparam: 155,
  sched_setscheduler: 156,
  sched_getscheduler: 157,
  sched_get_priority_max: 159,
  sched_get_priority_min: 160,
  nanosleep: 162,
  mremap: 163,
  setresuid: 164,
  getresuid: 165,
  poll: 168,
  setresgid: 170,
  getresgid: 171,
  prctl: 172,
  rt_sigreturn: 173,
  rt_sigaction: 174,
  rt_sigprocmask: 175,
  rt_sigpending: 176,
  rt_sigtimedwait: 177,
  rt_sigqueueinfo: 178,
  rt_sigsuspend: 179,
  pread64: 180,
  pwrite64: 181,
  chown: 182,
  getcwd: 183,
  sigaltstack: 186,
  vfork: 190,
  ugetrlimit: 191,
  mmap2: 192,
  truncate64: 193,
  ftruncate64: 194,
  stat64: 195,
  lstat64: 196,
  fstat64: 197,
  lchown32: 198,
  getuid32: 199,
  getgid32: 200,
  geteuid32: 201,
  getegid32: 202,
  setreuid32: 203,
  setregid32: 204,
  getgroups32: 205,
  setgroups32: 206,
  fchown32: 207,
  setresuid32: 208,
  getresuid32: 209,
  setresgid32: 210,
  getresgid32: 211,
  chown32: 212,
  setuid32: 213,
  setgid32: 214,
  setfsuid32: 215,
  setfsgid32: 216,
  madvise: 219,
  getdents64: 220,
  fcntl64: 221,
  gettid: 224,
  tkill: 238,
  futex: 240,
  sched_setaffinity: 241,
  sched_getaffinity: 242,
  set_thread_area: 243,
  get_thread_area: 244,
  exit_group: 252,
  set_tid_address: 258,
  clock_settime: 264,
  clock_gettime: 265,
  clock_getres: 266,
  clock_nanosleep: 267,
  statfs64: 268,
  fstatfs64: 269,
  tgkill: 270,
  utimes: 271,
  waitid: 284,
  openat: 295,
  mkdirat: 296,
  fchownat: 298,
  futimesat: 299,
  fstatat64: 300,
  unlinkat: 301,
  renameat: 302,
  linkat: 303,
  symlinkat: 304,
  readlinkat: 305,
  fchmodat: 306,
  faccessat: 307,
  pselect6: 308,
  ppoll: 309,
  set_robust_list: 311,
  get_robust_list: 312,
  utimensat: 320,
  pipe2: 331,
  dup3: 330,
  prlimit64: 340,
  getrandom: 355,
  statx: 383,
  clock_gettime64: 403,
  clock_settime64: 404,
  clock_getres_time64: 406,
  clock_nanosleep_time64: 407,
  utimensat_time64: 412,
  pselect6_time64: 413,
  ppoll_time64: 414,
  rt_sigtimedwait_time64: 421,
  futex_time64: 422,
  rseq: 386,
  clone3: 435,
  faccessat2: 439,
  renameat2: 353,
  sendfile: 187,
  sendfile64: 239,
  getcpu: 318,
  personality: 136,
  fadvise64_64: 272,
  /** Not Linux: l4trace benchmark markers (natively ENOSYS). */
  l4trace_marker: 499,
} as const;

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const ECHILD = 10;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENODEV = 19;
export const ENOTDIR = 20;
export const EISDIR = 21;
export const EINVAL = 22;
export const ENFILE = 23;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ETXTBSY = 26;
export const EFBIG = 27;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const EROFS = 30;
export const EMLINK = 31;
export const EPIPE = 32;
export const ERANGE = 34;
export const ENAMETOOLONG = 36;
export const ENOSYS = 38;
export const ENOTEMPTY = 39;
export const ELOOP = 40;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
export const ETIMEDOUT = 110;
/** Internal: restart the system call after a signal if the handler has SA_RESTART (or no handler runs). */
export const ERESTARTSYS = 512;
/** Internal: always restart the system call after a signal. */
export const ERESTARTNOINTR = 513;
/** Internal: restart only if no handler runs (pause, nanosleep); with a handler the call fails with EINTR. */
export const ERESTARTNOHAND = 514;

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_ACCMODE = 3;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
/** The *at calls' "relative to the working directory". */
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;

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
