/**
 * The rest a C library may call: statfs of the one file system, fadvise, sync, and the calls Linux 2.4
 * never had (answered ENOSYS on purpose). futex has its own file (futex.ts).
 */
import { EBADF, EFAULT, EINVAL, ENOSYS, NR } from '../abi.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { copyToUser } from '../uaccess.js';
import { lookupAt } from './at.js';
import { i32, value, type SyscallTable } from './syscall.js';

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
