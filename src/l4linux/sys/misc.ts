/**
 * The rest a single-threaded C library may call: futex as far as one thread can use it (WAIT returns
 * EAGAIN when the word differs, else sleeps until a signal or its timeout, since no other thread can
 * wake it; WAKE wakes nobody), statfs of the one file system, fadvise, sync. Threads and a real futex
 * come with the next step (docs/linux.md).
 */
import { EAGAIN, EBADF, EFAULT, EINVAL, ENOSYS, ERESTARTSYS, ETIMEDOUT, NR } from '../abi.js';
import { sleepOn, type LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { copyToUser, readWords } from '../uaccess.js';
import { lookupAt } from './at.js';
import { i32, value, type SyscallTable } from './syscall.js';

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_CMD_MASK = ~(128 | 256); // without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME

function* futex(lx: Linux, proc: Process, a: number[], wideTime: boolean): LxGen<number> {
  const cmd = a[1]! & FUTEX_CMD_MASK;
  if (cmd === FUTEX_WAKE || cmd === FUTEX_WAKE_BITSET) return 0;
  if (cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET) return -ENOSYS;
  const w = yield* readWords(lx, proc, a[0]!, 1);
  if (!w) return -EFAULT;
  if (w[0] !== a[2]) return -EAGAIN;
  let until = 0;
  if (a[3] !== 0) {
    const t = yield* readWords(lx, proc, a[3]!, wideTime ? 4 : 2);
    if (!t) return -EFAULT;
    const [sec, nsec] = wideTime ? [t[0]! + t[1]! * 2 ** 32, t[2]!] : [t[0]!, t[1]!];
    if (nsec >= 1e9) return -EINVAL;
    // WAIT's timeout is relative; WAIT_BITSET's absolute on the monotonic clock: both end on the tick.
    const us = cmd === FUTEX_WAIT ? sec * 1e6 + Math.floor(nsec / 1000) : Math.max(0, sec * 1e6 + Math.floor(nsec / 1000) - Math.floor(lx.now() / lx.costs.cyclesPerUs));
    until = lx.jiffyAfterUs(us);
  }
  const why = yield* sleepOn(null, true, until);
  return why === 'timeout' ? -ETIMEDOUT : -ERESTARTSYS;
}

/** struct statfs64 (84 bytes) of the in-memory file system: tmpfs's magic, its pages and inodes. */
function* statfs64(lx: Linux, proc: Process, size: number, out: number): LxGen<number> {
  if (size !== 84) return -EINVAL;
  const fs = lx.fs;
  const b = new Uint8Array(84);
  const v = new DataView(b.buffer);
  const freePages = Math.max(0, fs.limits.pages - fs.usedPages);
  v.setUint32(0, 0x01021994, true); // TMPFS_MAGIC
  v.setUint32(4, 4096, true); // f_bsize
  v.setUint32(8, fs.limits.pages, true); // f_blocks
  v.setUint32(16, freePages, true); // f_bfree
  v.setUint32(24, freePages, true); // f_bavail
  v.setUint32(32, fs.limits.inodes, true); // f_files
  v.setUint32(40, Math.max(0, fs.limits.inodes - fs.files), true); // f_ffree
  v.setUint32(56, 255, true); // f_namelen
  v.setUint32(60, 4096, true); // f_frsize
  return (yield* copyToUser(lx, proc, out, b)) ? 0 : -EFAULT;
}

/**
 * Calls Linux 2.4 never had, which C libraries probe and do without: answered ENOSYS as that kernel
 * answers them, on purpose, so they are neither reported as missing nor stop a --strict run (glibc
 * registers an rseq area at every start, and its posix_spawn tries clone3 first).
 */
const absent = (): ReturnType<typeof value> => value(-ENOSYS);

export const MISC_SYSCALLS: SyscallTable = [
  [NR.futex, (lx, p, a) => futex(lx, p, a, false)],
  [NR.futex_time64, (lx, p, a) => futex(lx, p, a, true)],
  [NR.statfs64, function* (lx, p, a) {
    const inode = yield* lookupAt(lx, p, -100 >>> 0, a[0]!, true);
    return typeof inode === 'number' ? inode : yield* statfs64(lx, p, a[1]!, a[2]!);
  }],
  [NR.fstatfs64, function* (lx, p, a) {
    if (!p.files.get(i32(a[0]!))) return -EBADF;
    return yield* statfs64(lx, p, a[1]!, a[2]!);
  }],
  [NR.fadvise64_64, () => value(0)],
  [NR.sync, () => value(0)],
  [NR.rseq, () => absent()],
  [NR.clone3, () => absent()], // glibc's posix_spawn (popen, system) tries it before clone
];
