/**
 * ioctl: the terminal's requests on the console (when the run's console is a terminal: an interactive
 * keyboard; a run fed its input up front has a console that is not one, as `prog < file | cat`), the
 * FIO* requests on any descriptor, and ENOTTY for the rest.
 */
import { EBADF, EFAULT, EINVAL, ENOTTY, NR, O_NONBLOCK } from '../abi.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { copyFromUser, copyToUser, readWords, writeWords } from '../uaccess.js';
import { i32, type SyscallTable } from './syscall.js';

const TCGETS = 0x5401;
const TCSETS = 0x5402;
const TCSETSW = 0x5403;
const TCSETSF = 0x5404;
const TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const FIONREAD = 0x541b;
const FIONBIO = 0x5421;
const FIONCLEX = 0x5450;
const FIOCLEX = 0x5451;
/** struct termios as the kernel passes it (4 flag words, c_line, 19 control characters). */
const TERMIOS_BYTES = 36;
const ICANON = 0o2;

function* ioctl(lx: Linux, proc: Process, fd: number, req: number, arg: number): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  switch (req) {
    case FIOCLEX:
    case FIONCLEX:
      proc.files.cloexec[fd] = req === FIOCLEX ? 1 : 0;
      return 0;
    case FIONBIO: {
      const w = yield* readWords(lx, proc, arg, 1);
      if (!w) return -EFAULT;
      f.flags = w[0] ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0;
    }
    case FIONREAD: {
      const n = f.kind === 'console' ? lx.console.input.length : f.pipe ? f.pipe.length : f.inode?.kind === 'file' ? Math.max(0, f.inode.size - f.offset) : -1;
      if (n < 0) return -ENOTTY;
      return (yield* writeWords(lx, proc, arg, [n])) ? 0 : -EFAULT;
    }
  }
  if (f.kind !== 'console' || !lx.tty) return -ENOTTY;
  return yield* ttyIoctl(lx, proc, req, arg);
}

function* ttyIoctl(lx: Linux, proc: Process, req: number, arg: number): LxGen<number> {
  const tty = lx.tty!;
  switch (req) {
    case TCGETS:
      return (yield* copyToUser(lx, proc, arg, tty.termios)) ? 0 : -EFAULT;
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
      const t = yield* copyFromUser(lx, proc, arg, TERMIOS_BYTES);
      if (!t) return -EFAULT;
      tty.termios.set(t);
      lx.console.canonical = (new DataView(t.buffer).getUint32(12, true) & ICANON) !== 0;
      if (req === TCSETSF) lx.console.input.length = 0;
      return 0;
    }
    case TIOCGWINSZ:
      return (yield* writeWords(lx, proc, arg, [tty.rows | (tty.cols << 16), 0])) ? 0 : -EFAULT;
    case TIOCSWINSZ: {
      const w = yield* readWords(lx, proc, arg, 1);
      if (!w) return -EFAULT;
      tty.rows = w[0]! & 0xffff;
      tty.cols = w[0]! >>> 16;
      return 0;
    }
    case TIOCGPGRP:
      return (yield* writeWords(lx, proc, arg, [tty.pgrp])) ? 0 : -EFAULT;
    case TIOCSPGRP: {
      const w = yield* readWords(lx, proc, arg, 1);
      if (!w) return -EFAULT;
      if (i32(w[0]!) <= 0) return -EINVAL;
      tty.pgrp = w[0]!;
      return 0;
    }
    default:
      return -EINVAL;
  }
}

/** The console's terminal state when it is a terminal. */
export class TtyState {
  termios = defaultTermios();
  rows = 24;
  cols = 80;
  constructor(public pgrp: number) {}
}

/** Linux's default termios for a console: ICRNL IXON / OPOST ONLCR / B38400 CS8 CREAD HUPCL / ISIG ICANON ECHO ECHOE ECHOK IEXTEN ECHOCTL ECHOKE. */
function defaultTermios(): Uint8Array {
  const b = new Uint8Array(TERMIOS_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0o2400, true);
  v.setUint32(4, 0o5, true);
  v.setUint32(8, 0o2277, true);
  v.setUint32(12, 0o105073, true);
  b.set([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0], 17);
  return b;
}

export const TTY_SYSCALLS: SyscallTable = [[NR.ioctl, (lx, p, a) => ioctl(lx, p, a[0]!, a[1]!, a[2]!)]];
