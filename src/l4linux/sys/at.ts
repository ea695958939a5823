/**
 * What the path system calls share: reading the path argument, the directory a relative path starts
 * from (the working directory or an *at call's dirfd), and walking it.
 */
import { traced } from '../kfunc.js';
import { AT_FDCWD, EBADF, EFAULT, ENOTDIR } from '../abi.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { readString } from '../uaccess.js';
import type { Inode } from '../vfs/inode.js';
import { walk, walkParent, pathOf, PATH_MAX } from '../vfs/namei.js';
import { i32 } from './syscall.js';

/** The path at `addr`, or a negative errno. */
export function* userPath(lx: Linux, proc: Process, addr: number): LxGen<string | number> {
  const s = yield* traced(lx.kf, 'getname', readString(lx, proc, addr, PATH_MAX));
  return s === null ? -EFAULT : s;
}

/** A path walk as the kernel function trace names it (2.4's path_walk). */
function pathWalk<T>(lx: Linux, walkIt: () => T): T {
  lx.kf.enter('path_walk');
  const r = walkIt();
  lx.kf.exit();
  return r;
}

/** Where a relative path starts: the working directory, or the directory open at `dirfd`. */
export function startDir(proc: Process, dirfd: number, path: string): Inode | number {
  if (path.startsWith('/') || i32(dirfd) === AT_FDCWD) return proc.fs.cwd;
  const f = proc.files.get(i32(dirfd));
  if (!f) return -EBADF;
  if (!f.inode || f.inode.kind !== 'dir') return -ENOTDIR;
  return f.inode;
}

/** Reads a path argument and walks it from `dirfd`: the inode or a negative errno. */
export function* lookupAt(lx: Linux, proc: Process, dirfd: number, addr: number, follow: boolean): LxGen<Inode | number> {
  const path = yield* userPath(lx, proc, addr);
  if (typeof path === 'number') return path;
  const start = startDir(proc, dirfd, path);
  if (typeof start === 'number') return start;
  return pathWalk(lx, () => walk(lx.fs, proc, start, path, follow));
}

/** Reads a path argument and finds its parent directory and last name. */
export function* parentAt(lx: Linux, proc: Process, dirfd: number, addr: number): LxGen<{ dir: Inode; name: string; path: string } | number> {
  const path = yield* userPath(lx, proc, addr);
  if (typeof path === 'number') return path;
  const start = startDir(proc, dirfd, path);
  if (typeof start === 'number') return start;
  const r = pathWalk(lx, () => walkParent(lx.fs, proc, start, path));
  return typeof r === 'number' ? r : { ...r, path };
}

/** The absolute form of `path` walked from `start` (for /proc/self/fd and exe), best effort. */
export function absolutePath(lx: Linux, start: Inode, path: string): string {
  if (path.startsWith('/')) return normalize(path);
  return normalize(`${pathOf(lx.fs, start) ?? ''}/${path}`);
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}
