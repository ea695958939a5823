/**
 * Reading and writing an open file, whatever it is: a regular file (at its offset or at a given one),
 * a device, a pipe, the console, a /proc snapshot. read, readv, pread64, sendfile and the rest share
 * these. Blocking ones sleep interruptibly (EAGAIN instead with O_NONBLOCK).
 */
import { EAGAIN, EBADF, EINVAL, EIO, EISDIR, ENOSPC, EPIPE, ERESTARTSYS, O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY, SI_KERNEL, SIG } from '../abi.js';
import { sleepOn, type LxGen } from '../coroutine.js';
import type { OpenFile } from '../files.js';
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import { sendSignal } from '../signals.js';
import { traced } from '../kfunc.js';
import type { Inode } from '../vfs/inode.js';
import { randomBytes } from '../random.js';

/** Largest read or write served in one call. */
export const MAX_IO = 1 << 16;

export const canRead = (f: OpenFile): boolean => (f.flags & O_ACCMODE) !== O_WRONLY && f.kind !== 'pipe-write';
export const canWrite = (f: OpenFile): boolean => (f.flags & O_ACCMODE) !== O_RDONLY && f.kind !== 'pipe-read';

/**
 * Up to `count` bytes from `f`: at `at` for a positioned read (pread), else at the file's offset (which
 * then advances). A negative errno on failure.
 */
export function* readFrom(lx: Linux, f: OpenFile, count: number, at: number | null = null): LxGen<Uint8Array | number> {
  if (!canRead(f)) return -EBADF;
  return yield* traced(lx.kf, readerName(f), readBody(lx, f, Math.min(count, MAX_IO), at));
}

/** The Linux 2.4 read method of what `f` is (the kernel function trace's name for the read). */
function readerName(f: OpenFile): string {
  if (f.kind === 'console') return 'tty_read';
  if (f.kind === 'pipe-read') return 'pipe_read';
  const inode = f.inode!;
  if (inode.kind === 'dir') return 'generic_read_dir';
  if (inode.kind === 'chr') return inode.device === 'zero' || inode.device === 'full' ? 'read_zero' : inode.device === 'urandom' || inode.device === 'random' ? 'urandom_read' : 'read_null';
  return f.snapshot ? 'proc_file_read' : 'generic_file_read';
}

/** The Linux 2.4 write method of what `f` is. */
function writerName(f: OpenFile): string {
  if (f.kind === 'console') return 'tty_write';
  if (f.kind === 'pipe-write') return 'pipe_write';
  const inode = f.inode!;
  if (inode.kind === 'chr') return inode.device === 'full' ? 'write_full' : inode.device === 'console' || inode.device === 'tty' ? 'tty_write' : 'write_null';
  return 'generic_file_write';
}

function* readBody(lx: Linux, f: OpenFile, count: number, at: number | null): LxGen<Uint8Array | number> {
  for (;;) {
    if (f.kind === 'console') {
      const got = lx.console.take(count);
      if (got) return new Uint8Array(got);
      if (f.flags & O_NONBLOCK) return -EAGAIN;
      if ((yield* sleepOn(lx.console.readWait, true)) === 'signal') return -ERESTARTSYS;
      continue;
    }
    if (f.kind === 'pipe-read') {
      const p = f.pipe!;
      if (p.length > 0) {
        const data = p.take(count);
        lx.wakeAll(p.writeWait);
        return data;
      }
      if (p.writers === 0) return new Uint8Array(0);
      if (f.flags & O_NONBLOCK) return -EAGAIN;
      if ((yield* sleepOn(p.readWait, true)) === 'signal') return -ERESTARTSYS;
      continue;
    }
    return readInode(lx, f, f.inode!, count, at);
  }
}

function readInode(lx: Linux, f: OpenFile, inode: Inode, count: number, at: number | null): Uint8Array | number {
  if (inode.kind === 'dir') return -EISDIR;
  if (inode.kind === 'chr') {
    if (inode.device === 'zero' || inode.device === 'full') return new Uint8Array(count);
    if (inode.device === 'urandom' || inode.device === 'random') return randomBytes(lx, Math.min(count, 512));
    return new Uint8Array(0);
  }
  const pos = at ?? f.offset;
  let data: Uint8Array;
  if (f.snapshot) data = f.snapshot.slice(Math.min(pos, f.snapshot.length), Math.min(pos + count, f.snapshot.length));
  else {
    const bytes = inode.bytesNow();
    if (!bytes) return -EIO;
    data = bytes.slice(Math.min(pos, bytes.length), Math.min(pos + count, bytes.length));
  }
  if (at === null) f.offset += data.length;
  return data;
}

/** Writes `data` to `f` (at `at` for pwrite); the count written or a negative errno. */
export function* writeTo(lx: Linux, proc: Process, f: OpenFile, fd: number, data: Uint8Array, at: number | null = null): LxGen<number> {
  if (!canWrite(f)) return -EBADF;
  return yield* traced(lx.kf, writerName(f), writeBody(lx, proc, f, fd, data, at));
}

function* writeBody(lx: Linux, proc: Process, f: OpenFile, fd: number, data: Uint8Array, at: number | null): LxGen<number> {
  if (f.kind === 'console') {
    lx.writeConsole(fd === 2 ? 2 : 1, data);
    return data.length;
  }
  if (f.kind === 'pipe-write') return yield* writePipe(lx, proc, f, data);
  const inode = f.inode!;
  if (inode.kind === 'chr') {
    if (inode.device === 'full') return -ENOSPC;
    if (inode.device === 'console' || inode.device === 'tty') lx.writeConsole(1, data);
    return data.length;
  }
  if (inode.kind !== 'file' || f.snapshot) return f.snapshot ? -EINVAL : -EBADF;
  const pos = at ?? (f.flags & O_APPEND ? inode.size : f.offset);
  const n = lx.fs.write(inode, pos, data);
  if (n < 0) return -EIO;
  if (n === 0 && data.length > 0) return -ENOSPC; // the file system is full
  if (at === null) f.offset = pos + n;
  return n;
}

function* writePipe(lx: Linux, proc: Process, f: OpenFile, data: Uint8Array): LxGen<number> {
  const p = f.pipe!;
  let done = 0;
  for (;;) {
    if (p.readers === 0) {
      yield* sendSignal(lx, proc, SIG.PIPE, 0, SI_KERNEL, -1, true); // to the writing thread
      return done > 0 ? done : -EPIPE;
    }
    const n = p.put(data.subarray(done));
    if (n > 0) {
      done += n;
      lx.wakeAll(p.readWait);
    }
    if (done === data.length) return done;
    if (f.flags & O_NONBLOCK) return done > 0 ? done : -EAGAIN;
    if ((yield* sleepOn(p.writeWait, true)) === 'signal') return done > 0 ? done : -ERESTARTSYS;
  }
}
