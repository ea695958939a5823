/**
 * System calls on names: open and creat, stat and its kin, access, mkdir and rmdir, unlink, rename,
 * link, symlink, readlink, chdir and getcwd, umask, chmod and chown, truncate, utimes. Every process
 * runs as root, so permission bits are recorded and shown but only exec's "some x bit" is enforced
 * (docs/linux.md).
 */
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, EACCES, EBADF, EBUSY, EEXIST, EFAULT, EINVAL, EISDIR,
  ELOOP, EMFILE, ENFILE, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, EPERM, ERANGE, NR, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL,
  O_NOFOLLOW, O_RDONLY, O_TRUNC, O_WRONLY,
} from '../abi.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { copyToUser, readWords } from '../uaccess.js';
import { consoleOpenError } from '../consoles.js';
import type { Inode } from '../vfs/inode.js';
import { child, linkTarget, pathOf, walk } from '../vfs/namei.js';
import { encodeOldStat, encodeStat64, encodeStatx, statOf, statOfOpen, type StatInfo } from '../vfs/stat.js';
import { absolutePath, lookupAt, parentAt, startDir, userPath } from './at.js';
import { i32, value, type SyscallTable } from './syscall.js';

const CWD = AT_FDCWD >>> 0;

// ---------------------------------------------------------------------------------------------------
// open

function* openAt(lx: Linux, proc: Process, dirfd: number, pathAt: number, flags: number, mode: number): LxGen<number> {
  const path = yield* userPath(lx, proc, pathAt);
  if (typeof path === 'number') return path;
  const start = startDir(proc, dirfd, path);
  if (typeof start === 'number') return start;
  let inode: Inode | number = walk(lx.fs, proc, start, path, !(flags & O_NOFOLLOW));
  if (flags & O_CREAT) {
    if (typeof inode !== 'number' && flags & O_EXCL) return -EEXIST;
    if (inode === -ENOENT) inode = createFile(lx, proc, start, path, mode);
  }
  if (typeof inode === 'number') return inode;
  if (inode.kind === 'symlink') return -ELOOP; // O_NOFOLLOW on a link
  if (flags & O_DIRECTORY && inode.kind !== 'dir') return -ENOTDIR;
  const access = flags & O_ACCMODE;
  if (inode.kind === 'dir' && access !== O_RDONLY) return -EISDIR;
  if (inode.kind === 'file' && flags & O_TRUNC && access !== O_RDONLY && !lx.fs.resize(inode, 0)) return -ENOSPC;
  const console = inode.device === 'console' || inode.device === 'tty';
  if (console && lx.consoles && !lx.consoles.dev) return consoleOpenError(lx, inode.device!);
  const f = lx.fs.open(console ? 'console' : 'inode', flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC), console ? null : inode, null);
  if (!f) return -ENFILE;
  f.path = absolutePath(lx, start, path);
  if (inode.generate) f.snapshot = inode.generate(proc);
  const fd = proc.files.install(f, 0, (flags & O_CLOEXEC) !== 0);
  if (fd < 0) f.release();
  return fd >= 0 ? fd : -EMFILE;
}

/** O_CREAT of a name that does not exist: a new empty file (mode less the umask). */
function createFile(lx: Linux, proc: Process, start: Inode, path: string, mode: number): Inode | number {
  if (path.endsWith('/')) return -EISDIR;
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? start : walk(lx.fs, proc, start, slash === 0 ? '/' : path.slice(0, slash), true);
  if (typeof dir === 'number') return dir;
  if (dir.kind !== 'dir') return -ENOTDIR;
  if (dir.dynamic) return -EACCES;
  const name = path.slice(slash + 1);
  const existing = child(dir, name, proc);
  if (existing) return existing.kind === 'symlink' ? -ENOENT : existing; // a dangling link: 2.4 refuses
  if (!lx.fs.canCreate()) return -ENOSPC;
  const inode = lx.fs.create('file', mode & 0o7777 & ~proc.fs.umask);
  lx.fs.attach(dir, name, inode);
  dir.mtime = dir.ctime = lx.fs.clock();
  return inode;
}

// ---------------------------------------------------------------------------------------------------
// stat

type Layout = (s: StatInfo) => Uint8Array;

function* statAt(lx: Linux, proc: Process, dirfd: number, pathAt: number, out: number, flags: number, layout: Layout): LxGen<number> {
  let info: StatInfo;
  if (flags & AT_EMPTY_PATH) {
    const path = yield* userPath(lx, proc, pathAt);
    if (path === '') {
      const f = i32(dirfd) === AT_FDCWD ? null : proc.files.get(i32(dirfd));
      if (i32(dirfd) === AT_FDCWD) info = statOf(proc.fs.cwd);
      else if (!f) return -EBADF;
      else info = statOfOpen(f);
      return (yield* copyToUser(lx, proc, out, layout(info))) ? 0 : -EFAULT;
    }
  }
  const inode = yield* lookupAt(lx, proc, dirfd, pathAt, !(flags & AT_SYMLINK_NOFOLLOW));
  if (typeof inode === 'number') return inode;
  info = statOf(inode);
  return (yield* copyToUser(lx, proc, out, layout(info))) ? 0 : -EFAULT;
}

function* fstatWith(lx: Linux, proc: Process, fd: number, out: number, layout: Layout): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  return (yield* copyToUser(lx, proc, out, layout(statOfOpen(f)))) ? 0 : -EFAULT;
}

// ---------------------------------------------------------------------------------------------------
// directories and names

function* mkdirAt(lx: Linux, proc: Process, dirfd: number, pathAt: number, mode: number): LxGen<number> {
  const p = yield* parentAt(lx, proc, dirfd, pathAt);
  if (typeof p === 'number') return p;
  if (p.name === '' || p.name === '.' || p.name === '..' || child(p.dir, p.name, proc)) return -EEXIST;
  if (p.dir.dynamic) return -EACCES;
  if (!lx.fs.canCreate()) return -ENOSPC;
  const dir = lx.fs.create('dir', mode & 0o7777 & ~proc.fs.umask);
  dir.nlink = 2;
  lx.fs.attach(p.dir, p.name, dir);
  p.dir.mtime = p.dir.ctime = lx.fs.clock();
  return 0;
}

/** Removes a name; `dirs`: rmdir (only empty directories), else unlink (no directories). */
function* removeAt(lx: Linux, proc: Process, dirfd: number, pathAt: number, dirs: boolean): LxGen<number> {
  const p = yield* parentAt(lx, proc, dirfd, pathAt);
  if (typeof p === 'number') return p;
  if (dirs && p.name === '.') return -EINVAL;
  if (dirs && (p.name === '' || p.name === '..')) return p.name === '' ? -EBUSY : -ENOTEMPTY;
  const victim = child(p.dir, p.name, proc);
  if (!victim) return -ENOENT;
  if (p.dir.dynamic) return -EACCES;
  if (dirs) {
    if (victim.kind !== 'dir') return -ENOTDIR;
    if (victim.children!.size > 0) return -ENOTEMPTY;
    if (victim === lx.fs.root) return -EBUSY;
  } else if (victim.kind === 'dir') return -EISDIR;
  detach(lx, p.dir, p.name, victim);
  return 0;
}

/** Takes `name` out of `dir`; the inode goes when its last name and last open file are gone. */
function detach(lx: Linux, dir: Inode, name: string, victim: Inode): void {
  dir.children!.delete(name);
  dir.mtime = dir.ctime = lx.fs.clock();
  if (victim.kind === 'dir') {
    dir.nlink--;
    victim.parent = null; // a removed directory: getcwd in it fails
    victim.nlink = 0;
  } else victim.nlink--;
  victim.ctime = lx.fs.clock();
  if (victim.nlink === 0 && victim.opens === 0) lx.fs.forget(victim);
}

function isAncestor(dir: Inode, of: Inode): boolean {
  for (let d: Inode | null = of; d; d = d.parent === d ? null : d.parent) if (d === dir) return true;
  return false;
}

function* renameAt(lx: Linux, proc: Process, oldfd: number, oldAt: number, newfd: number, newAt: number, flags: number): LxGen<number> {
  const RENAME_NOREPLACE = 1;
  if (flags & ~RENAME_NOREPLACE) return -EINVAL;
  const from = yield* parentAt(lx, proc, oldfd, oldAt);
  if (typeof from === 'number') return from;
  const to = yield* parentAt(lx, proc, newfd, newAt);
  if (typeof to === 'number') return to;
  if (['', '.', '..'].includes(from.name) || ['', '.', '..'].includes(to.name)) return -EBUSY;
  const moving = child(from.dir, from.name, proc);
  if (!moving) return -ENOENT;
  if (from.dir.dynamic || to.dir.dynamic) return -EACCES;
  const target = child(to.dir, to.name, proc);
  if (target === moving) return 0;
  if (target && flags & RENAME_NOREPLACE) return -EEXIST;
  if (moving.kind === 'dir' && isAncestor(moving, to.dir)) return -EINVAL;
  if (target) {
    if (moving.kind === 'dir' && target.kind !== 'dir') return -ENOTDIR;
    if (moving.kind !== 'dir' && target.kind === 'dir') return -EISDIR;
    if (target.kind === 'dir' && target.children!.size > 0) return -ENOTEMPTY;
    detach(lx, to.dir, to.name, target);
  }
  from.dir.children!.delete(from.name);
  if (moving.kind === 'dir') from.dir.nlink--;
  lx.fs.attach(to.dir, to.name, moving);
  from.dir.mtime = to.dir.mtime = moving.ctime = lx.fs.clock();
  return 0;
}

function* linkAt(lx: Linux, proc: Process, oldfd: number, oldAt: number, newfd: number, newAt: number, flags: number): LxGen<number> {
  const old = yield* lookupAt(lx, proc, oldfd, oldAt, (flags & AT_SYMLINK_FOLLOW) !== 0);
  if (typeof old === 'number') return old;
  if (old.kind === 'dir') return -EPERM;
  const to = yield* parentAt(lx, proc, newfd, newAt);
  if (typeof to === 'number') return to;
  if (to.name === '' || child(to.dir, to.name, proc)) return -EEXIST;
  if (to.dir.dynamic) return -EACCES;
  to.dir.children!.set(to.name, old);
  old.nlink++;
  old.ctime = to.dir.mtime = lx.fs.clock();
  return 0;
}

function* symlinkAt(lx: Linux, proc: Process, targetAt: number, newfd: number, newAt: number): LxGen<number> {
  const target = yield* userPath(lx, proc, targetAt);
  if (typeof target === 'number') return target;
  if (target === '') return -ENOENT;
  const to = yield* parentAt(lx, proc, newfd, newAt);
  if (typeof to === 'number') return to;
  if (to.name === '' || child(to.dir, to.name, proc)) return -EEXIST;
  if (to.dir.dynamic) return -EACCES;
  if (!lx.fs.canCreate()) return -ENOSPC;
  const link = lx.fs.create('symlink', 0o777);
  link.target = target;
  lx.fs.attach(to.dir, to.name, link);
  to.dir.mtime = lx.fs.clock();
  return 0;
}

function* readlinkAt(lx: Linux, proc: Process, dirfd: number, pathAt: number, buf: number, size: number): LxGen<number> {
  if (i32(size) <= 0) return -EINVAL;
  const link = yield* lookupAt(lx, proc, dirfd, pathAt, false);
  if (typeof link === 'number') return link;
  if (link.kind !== 'symlink') return -EINVAL;
  const bytes = new TextEncoder().encode(linkTarget(link, proc)).subarray(0, size);
  return (yield* copyToUser(lx, proc, buf, bytes)) ? bytes.length : -EFAULT;
}

// ---------------------------------------------------------------------------------------------------
// working directory, attributes

function* chdirTo(inode: Inode | number, proc: Process): LxGen<number> {
  if (typeof inode === 'number') return inode;
  if (inode.kind !== 'dir') return -ENOTDIR;
  proc.fs.cwd = inode;
  return 0;
}

function* getcwd(lx: Linux, proc: Process, buf: number, size: number): LxGen<number> {
  const path = pathOf(lx.fs, proc.fs.cwd);
  if (path === null) return -ENOENT;
  const bytes = new TextEncoder().encode(path + '\0');
  if (bytes.length > size) return -ERANGE;
  return (yield* copyToUser(lx, proc, buf, bytes)) ? bytes.length : -EFAULT;
}

function* accessAt(lx: Linux, proc: Process, dirfd: number, pathAt: number, mode: number, flags: number): LxGen<number> {
  if (mode & ~7) return -EINVAL;
  const inode = yield* lookupAt(lx, proc, dirfd, pathAt, !(flags & AT_SYMLINK_NOFOLLOW));
  if (typeof inode === 'number') return inode;
  // Root may read and write anything; it may execute what has an x bit (or any directory).
  if (mode & 1 && inode.kind !== 'dir' && (inode.mode & 0o111) === 0) return -EACCES;
  return 0;
}

/** chmod and chown on a resolved inode. `uid`/`gid` -1: unchanged. */
function setAttrs(lx: Linux, inode: Inode | number, attrs: { mode?: number; uid?: number; gid?: number }): number {
  if (typeof inode === 'number') return inode;
  if (attrs.mode !== undefined) inode.mode = attrs.mode & 0o7777;
  if (attrs.uid !== undefined && attrs.uid !== -1) inode.uid = attrs.uid >>> 0;
  if (attrs.gid !== undefined && attrs.gid !== -1) inode.gid = attrs.gid >>> 0;
  inode.ctime = lx.fs.clock();
  return 0;
}

/** A 16-bit id argument of the old chown calls: 0xffff means "unchanged". */
const id16 = (v: number): number => ((v & 0xffff) === 0xffff ? -1 : v & 0xffff);

function* fdInode(proc: Process, fd: number): LxGen<Inode | number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  return f.inode ?? -EINVAL;
}

function truncateTo(lx: Linux, inode: Inode | number, size: number): number {
  if (typeof inode === 'number') return inode;
  if (inode.kind === 'dir') return -EISDIR;
  if (inode.kind !== 'file' || size < 0) return -EINVAL;
  return lx.fs.resize(inode, size) ? 0 : -ENOSPC;
}

const len64 = (lo: number, hi: number): number => (i32(hi) < 0 ? -1 : hi * 2 ** 32 + lo);

function* utimensAt(lx: Linux, proc: Process, dirfd: number, pathAt: number, timesAt: number, flags: number): LxGen<number> {
  const UTIME_NOW = 0x3fffffff;
  const UTIME_OMIT = 0x3ffffffe;
  let inode: Inode | number;
  if (pathAt === 0) {
    const f = proc.files.get(i32(dirfd));
    inode = f?.inode ?? -EBADF;
  } else inode = yield* lookupAt(lx, proc, dirfd, pathAt, !(flags & AT_SYMLINK_NOFOLLOW));
  if (typeof inode === 'number') return inode;
  const now = lx.fs.clock();
  const t = timesAt === 0 ? null : yield* readWords(lx, proc, timesAt, 4);
  if (timesAt !== 0 && !t) return -EFAULT;
  const pick = (sec: number, nsec: number, old: number): number => (nsec === UTIME_OMIT ? old : nsec === UTIME_NOW ? now : sec);
  inode.atime = t ? pick(t[0]!, t[1]!, inode.atime) : now;
  inode.mtime = t ? pick(t[2]!, t[3]!, inode.mtime) : now;
  inode.ctime = now;
  return 0;
}

function* umask(proc: Process, mask: number): LxGen<number> {
  const old = proc.fs.umask;
  proc.fs.umask = mask & 0o777;
  return old;
}

export const PATH_SYSCALLS: SyscallTable = [
  [NR.open, (lx, p, a) => openAt(lx, p, CWD, a[0]!, a[1]!, a[2]!)],
  [NR.openat, (lx, p, a) => openAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!)],
  [NR.creat, (lx, p, a) => openAt(lx, p, CWD, a[0]!, O_CREAT | O_WRONLY | O_TRUNC, a[1]!)],
  [NR.stat, (lx, p, a) => statAt(lx, p, CWD, a[0]!, a[1]!, 0, encodeOldStat)],
  [NR.lstat, (lx, p, a) => statAt(lx, p, CWD, a[0]!, a[1]!, AT_SYMLINK_NOFOLLOW, encodeOldStat)],
  [NR.fstat, (lx, p, a) => fstatWith(lx, p, a[0]!, a[1]!, encodeOldStat)],
  [NR.stat64, (lx, p, a) => statAt(lx, p, CWD, a[0]!, a[1]!, 0, encodeStat64)],
  [NR.lstat64, (lx, p, a) => statAt(lx, p, CWD, a[0]!, a[1]!, AT_SYMLINK_NOFOLLOW, encodeStat64)],
  [NR.fstat64, (lx, p, a) => fstatWith(lx, p, a[0]!, a[1]!, encodeStat64)],
  [NR.fstatat64, (lx, p, a) => statAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!, encodeStat64)],
  [NR.statx, (lx, p, a) => statAt(lx, p, a[0]!, a[1]!, a[4]!, a[2]!, encodeStatx)],
  [NR.access, (lx, p, a) => accessAt(lx, p, CWD, a[0]!, a[1]!, 0)],
  [NR.faccessat, (lx, p, a) => accessAt(lx, p, a[0]!, a[1]!, a[2]!, 0)],
  [NR.faccessat2, (lx, p, a) => accessAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!)],
  [NR.mkdir, (lx, p, a) => mkdirAt(lx, p, CWD, a[0]!, a[1]!)],
  [NR.mkdirat, (lx, p, a) => mkdirAt(lx, p, a[0]!, a[1]!, a[2]!)],
  [NR.rmdir, (lx, p, a) => removeAt(lx, p, CWD, a[0]!, true)],
  [NR.unlink, (lx, p, a) => removeAt(lx, p, CWD, a[0]!, false)],
  [NR.unlinkat, (lx, p, a) => (a[2]! & ~AT_REMOVEDIR ? value(-EINVAL) : removeAt(lx, p, a[0]!, a[1]!, (a[2]! & AT_REMOVEDIR) !== 0))],
  [NR.rename, (lx, p, a) => renameAt(lx, p, CWD, a[0]!, CWD, a[1]!, 0)],
  [NR.renameat, (lx, p, a) => renameAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!, 0)],
  [NR.renameat2, (lx, p, a) => renameAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)],
  [NR.link, (lx, p, a) => linkAt(lx, p, CWD, a[0]!, CWD, a[1]!, 0)],
  [NR.linkat, (lx, p, a) => linkAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)],
  [NR.symlink, (lx, p, a) => symlinkAt(lx, p, a[0]!, CWD, a[1]!)],
  [NR.symlinkat, (lx, p, a) => symlinkAt(lx, p, a[0]!, a[1]!, a[2]!)],
  [NR.readlink, (lx, p, a) => readlinkAt(lx, p, CWD, a[0]!, a[1]!, a[2]!)],
  [NR.readlinkat, (lx, p, a) => readlinkAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!)],
  [NR.chdir, function* (lx, p, a) { return yield* chdirTo(yield* lookupAt(lx, p, CWD, a[0]!, true), p); }],
  [NR.fchdir, function* (_lx, p, a) { return yield* chdirTo(yield* fdInode(p, a[0]!), p); }],
  [NR.getcwd, (lx, p, a) => getcwd(lx, p, a[0]!, a[1]!)],
  [NR.umask, (_lx, p, a) => umask(p, a[0]!)],
  [NR.chmod, function* (lx, p, a) { return setAttrs(lx, yield* lookupAt(lx, p, CWD, a[0]!, true), { mode: a[1]! }); }],
  [NR.fchmod, function* (lx, p, a) { return setAttrs(lx, yield* fdInode(p, a[0]!), { mode: a[1]! }); }],
  [NR.fchmodat, function* (lx, p, a) { return setAttrs(lx, yield* lookupAt(lx, p, a[0]!, a[1]!, true), { mode: a[2]! }); }],
  [NR.chown, function* (lx, p, a) { return setAttrs(lx, yield* lookupAt(lx, p, CWD, a[0]!, true), { uid: id16(a[1]!), gid: id16(a[2]!) }); }],
  [NR.lchown, function* (lx, p, a) { return setAttrs(lx, yield* lookupAt(lx, p, CWD, a[0]!, false), { uid: id16(a[1]!), gid: id16(a[2]!) }); }],
  [NR.fchown, function* (lx, p, a) { return setAttrs(lx, yield* fdInode(p, a[0]!), { uid: id16(a[1]!), gid: id16(a[2]!) }); }],
  [NR.chown32, function* (lx, p, a) { return setAttrs(lx, yield* lookupAt(lx, p, CWD, a[0]!, true), { uid: i32(a[1]!), gid: i32(a[2]!) }); }],
  [NR.lchown32, function* (lx, p, a) { return setAttrs(lx, yield* lookupAt(lx, p, CWD, a[0]!, false), { uid: i32(a[1]!), gid: i32(a[2]!) }); }],
  [NR.fchown32, function* (lx, p, a) { return setAttrs(lx, yield* fdInode(p, a[0]!), { uid: i32(a[1]!), gid: i32(a[2]!) }); }],
  [NR.fchownat, function* (lx, p, a) { return setAttrs(lx, yield* lookupAt(lx, p, a[0]!, a[1]!, !(a[4]! & AT_SYMLINK_NOFOLLOW)), { uid: i32(a[2]!), gid: i32(a[3]!) }); }],
  [NR.truncate, function* (lx, p, a) { return truncateTo(lx, yield* lookupAt(lx, p, CWD, a[0]!, true), i32(a[1]!)); }],
  [NR.truncate64, function* (lx, p, a) { return truncateTo(lx, yield* lookupAt(lx, p, CWD, a[0]!, true), len64(a[1]!, a[2]!)); }],
  [NR.ftruncate, function* (lx, p, a) { return truncateTo(lx, yield* writableInode(p, a[0]!), i32(a[1]!)); }],
  [NR.ftruncate64, function* (lx, p, a) { return truncateTo(lx, yield* writableInode(p, a[0]!), len64(a[1]!, a[2]!)); }],
  [NR.utimensat, (lx, p, a) => utimensAt(lx, p, a[0]!, a[1]!, a[2]!, a[3]!)],
  [NR.utimensat_time64, (lx, p, a) => utimensAt(lx, p, a[0]!, a[1]!, 0, a[3]!)],
];

/** ftruncate needs a descriptor open for writing. */
function* writableInode(proc: Process, fd: number): LxGen<Inode | number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  if ((f.flags & O_ACCMODE) === O_RDONLY || !f.inode) return -EINVAL;
  return f.inode;
}
