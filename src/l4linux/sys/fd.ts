/**
 * System calls on descriptors: read and write in their forms (vectored, positioned), lseek, close,
 * dup, fcntl, pipe, getdents, sendfile, fsync. The terminal's ioctls are in tty-calls.ts, poll and
 * select in poll.ts.
 */
import {
  EBADF, EFAULT, EINVAL, EMFILE, ENFILE, ENOTDIR, ESPIPE, EOVERFLOW, NR, O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY,
} from '../abi.js';
import type { LxGen } from '../coroutine.js';
import { MAX_FDS, Pipe, type OpenFile } from '../files.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { copyFromUser, copyToUser, readWords, writeWords } from '../uaccess.js';
import { DT } from '../vfs/inode.js';
import { child } from '../vfs/namei.js';
import { MAX_IO, readFrom, writeTo } from './io.js';
import { i32, value, type SyscallTable } from './syscall.js';

const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_GETLK = 5;
const F_SETLK = 6;
const F_SETLKW = 7;
const F_GETLK64 = 12;
const F_SETLK64 = 13;
const F_SETLKW64 = 14;
const F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
/** Vectors of readv/writev (UIO_MAXIOV). */
const IOV_MAX = 1024;

function* read(lx: Linux, proc: Process, fd: number, buf: number, count: number, at: number | null): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  if (count === 0) return 0;
  if (at !== null && !seekable(f)) return -ESPIPE;
  const data = yield* readFrom(lx, f, count, at);
  if (typeof data === 'number') return data;
  if (data.length > 0 && !(yield* copyToUser(lx, proc, buf, data))) return -EFAULT;
  return data.length;
}

function* write(lx: Linux, proc: Process, fd: number, buf: number, count: number, at: number | null): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  if (at !== null && !seekable(f)) return -ESPIPE;
  const data = yield* copyFromUser(lx, proc, buf, Math.min(count, MAX_IO));
  if (!data) return -EFAULT;
  return yield* writeTo(lx, proc, f, fd, data, at);
}

const seekable = (f: OpenFile): boolean => f.kind === 'inode' && f.inode!.kind !== 'chr';

/** The (base, length) pairs of an iovec array. */
function* iovecs(lx: Linux, proc: Process, at: number, count: number): LxGen<number[][] | number> {
  if (count > IOV_MAX) return -EINVAL;
  const w = count === 0 ? [] : yield* readWords(lx, proc, at, count * 2);
  if (!w) return -EFAULT;
  return Array.from({ length: count }, (_, i) => [w[i * 2]!, w[i * 2 + 1]!]);
}

/** readv / writev: one vector after the other, stopping at a short transfer (as Linux's loop). */
function* vectored(lx: Linux, proc: Process, a: number[], writing: boolean): LxGen<number> {
  const vecs = yield* iovecs(lx, proc, a[1]!, a[2]!);
  if (typeof vecs === 'number') return vecs;
  if (!proc.files.get(a[0]!)) return -EBADF;
  let total = 0;
  for (const [base, len] of vecs) {
    if (len === 0) continue;
    const n = writing ? yield* write(lx, proc, a[0]!, base!, len!, null) : yield* read(lx, proc, a[0]!, base!, len!, null);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (n < len!) break;
  }
  return total;
}

const pos64 = (lo: number, hi: number): number => hi * 2 ** 32 + lo;

function* lseek(proc: Process, fd: number, offset: number, whence: number): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  if (!seekable(f)) return f.kind === 'inode' ? 0 : -ESPIPE;
  const size = f.snapshot ? f.snapshot.length : f.inode!.kind === 'dir' ? 0 : f.inode!.size;
  const base = whence === 0 ? 0 : whence === 1 ? f.offset : whence === 2 ? size : NaN;
  if (Number.isNaN(base)) return -EINVAL;
  const to = base + offset;
  if (to < 0) return -EINVAL;
  f.offset = to;
  return to;
}

function* llseek(lx: Linux, proc: Process, a: number[]): LxGen<number> {
  const r = yield* lseek(proc, a[0]!, pos64(a[2]!, i32(a[1]!)), a[4]!);
  if (r < 0) return r;
  return (yield* writeWords(lx, proc, a[3]!, [r % 2 ** 32, Math.floor(r / 2 ** 32)])) ? 0 : -EFAULT;
}

function* oldLseek(proc: Process, a: number[]): LxGen<number> {
  const r = yield* lseek(proc, a[0]!, i32(a[1]!), a[2]!);
  return r > 0x7fffffff ? -EOVERFLOW : r;
}

function* dupTo(lx: Linux, proc: Process, from: number, to: number, flags: number): LxGen<number> {
  const f = proc.files.get(from);
  if (!f || to >= MAX_FDS) return -EBADF;
  if (from === to) return flags === -1 ? to : -EINVAL; // dup2 allows it, dup3 does not
  if (flags !== -1 && flags & ~O_CLOEXEC) return -EINVAL;
  lx.closeFd(proc, to);
  f.refs++;
  proc.files.fds[to] = f;
  proc.files.cloexec[to] = flags !== -1 && flags & O_CLOEXEC ? 1 : 0;
  return to;
}

function* dupFrom(proc: Process, fd: number, min: number, cloexec: boolean): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  if (min < 0 || min >= MAX_FDS) return -EINVAL;
  const to = proc.files.install(f, min, cloexec);
  if (to < 0) return -EMFILE;
  f.refs++;
  return to;
}

/** Status flags F_SETFL may change. */
const SETFL_MASK = O_APPEND | O_NONBLOCK;

function* fcntl(proc: Process, fd: number, cmd: number, arg: number): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      return yield* dupFrom(proc, fd, i32(arg), cmd === F_DUPFD_CLOEXEC);
    case F_GETFD:
      return proc.files.cloexec[fd]! ? FD_CLOEXEC : 0;
    case F_SETFD:
      proc.files.cloexec[fd] = arg & FD_CLOEXEC ? 1 : 0;
      return 0;
    case F_GETFL:
      return f.flags;
    case F_SETFL:
      f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    // One host, one Linux: record locks never conflict (F_GETLK reports the range unlocked).
    case F_SETLK:
    case F_SETLKW:
    case F_SETLK64:
    case F_SETLKW64:
      return 0;
    case F_GETLK:
    case F_GETLK64:
      return 0;
    default:
      return -EINVAL;
  }
}

function* pipe(lx: Linux, proc: Process, at: number, flags: number): LxGen<number> {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -EINVAL;
  const p = new Pipe();
  const status = flags & O_NONBLOCK;
  const r = lx.fs.open('pipe-read', O_RDONLY | status, null, p);
  const w = r && lx.fs.open('pipe-write', O_WRONLY | status, null, p);
  if (!r || !w) {
    r?.release();
    return -ENFILE;
  }
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const fr = proc.files.install(r, 0, cloexec);
  const fw = fr >= 0 ? proc.files.install(w, 0, cloexec) : -1;
  if (fr < 0 || fw < 0) {
    // What was not installed is let go too, or it would count against ENFILE for good.
    if (fr >= 0) lx.closeFd(proc, fr);
    else r.release();
    w.release();
    return -EMFILE;
  }
  if (!(yield* writeWords(lx, proc, at, [fr, fw]))) {
    lx.closeFd(proc, fr);
    lx.closeFd(proc, fw);
    return -EFAULT;
  }
  return 0;
}

/**
 * getdents / getdents64: entries from the descriptor's position ('.', '..', then the names in
 * creation order) as many as fit; the position counts entries.
 */
function* getdents(lx: Linux, proc: Process, fd: number, buf: number, size: number, wide: boolean): LxGen<number> {
  const f = proc.files.get(fd);
  if (!f) return -EBADF;
  const dir = f.inode;
  if (!dir || dir.kind !== 'dir') return -ENOTDIR;
  const names = ['.', '..', ...(dir.dynamic ? dir.dynamic.list(proc) : [...dir.children!.keys()])];
  const out: Uint8Array[] = [];
  let used = 0;
  for (let i = f.offset; i < names.length; i++) {
    const name = names[i]!;
    const inode = name === '.' ? dir : name === '..' ? (dir.parent ?? dir) : child(dir, name, proc);
    if (!inode) continue;
    const rec = direntRecord(wide, inode.ino, i + 1, DT[inode.kind], name);
    if (used + rec.length > size) {
      if (out.length === 0) return -EINVAL; // the buffer cannot hold even one entry
      break;
    }
    out.push(rec);
    used += rec.length;
    f.offset = i + 1;
  }
  const all = new Uint8Array(used);
  let at = 0;
  for (const r of out) {
    all.set(r, at);
    at += r.length;
  }
  return (yield* copyToUser(lx, proc, buf, all)) ? used : -EFAULT;
}

/** linux_dirent64 (ino u64, off s64, reclen u16, type u8, name) or linux_dirent (ino, off, reclen, name, pad, type). */
function direntRecord(wide: boolean, ino: number, off: number, type: number, name: string): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const head = wide ? 19 : 10;
  const len = wide ? (head + nameBytes.length + 1 + 7) & ~7 : (head + nameBytes.length + 2 + 3) & ~3;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, ino, true);
  if (wide) {
    v.setUint32(8, off, true);
    v.setUint16(16, len, true);
    b[18] = type;
    b.set(nameBytes, 19);
  } else {
    v.setUint32(4, off, true);
    v.setUint16(8, len, true);
    b.set(nameBytes, 10);
    b[len - 1] = type;
  }
  return b;
}

/** sendfile: from a file at its offset (or *offset) to any descriptor, through the kernel. */
function* sendfile(lx: Linux, proc: Process, a: number[], wide: boolean): LxGen<number> {
  const out = proc.files.get(a[0]!);
  const inf = proc.files.get(a[1]!);
  if (!out || !inf) return -EBADF;
  if (!seekable(inf)) return -EINVAL;
  let at: number | null = null;
  if (a[2] !== 0) {
    const w = yield* readWords(lx, proc, a[2]!, wide ? 2 : 1);
    if (!w) return -EFAULT;
    at = wide ? pos64(w[0]!, w[1]!) : w[0]!;
  }
  const data = yield* readFrom(lx, inf, Math.min(a[3]!, MAX_IO), at);
  if (typeof data === 'number') return data;
  if (data.length === 0) return 0;
  const n = yield* writeTo(lx, proc, out, a[0]!, data, null);
  if (n < 0) return n;
  if (at !== null) {
    const next = at + n;
    if (!(yield* writeWords(lx, proc, a[2]!, wide ? [next % 2 ** 32, Math.floor(next / 2 ** 32)] : [next]))) return -EFAULT;
  } else inf.offset -= data.length - n; // give back what was read but not written
  return n;
}

/** fsync, fdatasync, flock: nothing to do on an in-memory file system but check the descriptor. */
const badfOr0 = (proc: Process, fd: number): ReturnType<typeof value> => value(proc.files.get(fd) ? 0 : -EBADF);

export const FD_SYSCALLS: SyscallTable = [
  [NR.read, (lx, p, a) => read(lx, p, a[0]!, a[1]!, a[2]!, null)],
  [NR.write, (lx, p, a) => write(lx, p, a[0]!, a[1]!, a[2]!, null)],
  [NR.readv, (lx, p, a) => vectored(lx, p, a, false)],
  [NR.writev, (lx, p, a) => vectored(lx, p, a, true)],
  [NR.pread64, (lx, p, a) => read(lx, p, a[0]!, a[1]!, a[2]!, pos64(a[3]!, a[4]!))],
  [NR.pwrite64, (lx, p, a) => write(lx, p, a[0]!, a[1]!, a[2]!, pos64(a[3]!, a[4]!))],
  [NR.lseek, (_lx, p, a) => oldLseek(p, a)],
  [NR._llseek, (lx, p, a) => llseek(lx, p, a)],
  [NR.close, function* (lx, p, a) { return lx.closeFd(p, a[0]!) ? 0 : -EBADF; }],
  [NR.dup, (_lx, p, a) => dupFrom(p, a[0]!, 0, false)],
  [NR.dup2, (lx, p, a) => dupTo(lx, p, a[0]!, a[1]!, -1)],
  [NR.dup3, (lx, p, a) => dupTo(lx, p, a[0]!, a[1]!, a[2]!)],
  [NR.fcntl, (_lx, p, a) => fcntl(p, a[0]!, a[1]!, a[2]!)],
  [NR.fcntl64, (_lx, p, a) => fcntl(p, a[0]!, a[1]!, a[2]!)],
  [NR.pipe, (lx, p, a) => pipe(lx, p, a[0]!, 0)],
  [NR.pipe2, (lx, p, a) => pipe(lx, p, a[0]!, a[1]!)],
  [NR.getdents, (lx, p, a) => getdents(lx, p, a[0]!, a[1]!, a[2]!, false)],
  [NR.getdents64, (lx, p, a) => getdents(lx, p, a[0]!, a[1]!, a[2]!, true)],
  [NR.sendfile, (lx, p, a) => sendfile(lx, p, a, false)],
  [NR.sendfile64, (lx, p, a) => sendfile(lx, p, a, true)],
  [NR.fsync, (_lx, p, a) => badfOr0(p, a[0]!)],
  [NR.fdatasync, (_lx, p, a) => badfOr0(p, a[0]!)],
  [NR.flock, (_lx, p, a) => badfOr0(p, a[0]!)],
];

