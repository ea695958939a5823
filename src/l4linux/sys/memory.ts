/**
 * Memory system calls: brk, mmap (the old one-argument form and mmap2), munmap, mprotect, mremap,
 * madvise, msync. Regions live in ProcessMemory (memory.ts); pages appear on first touch as before
 * (anonymous: zeros; private file mappings: the file's bytes when mapped). Shared mappings are served
 * as private ones: one process writes them, and fork copies (docs/linux.md says where that differs).
 */
import { EACCES, EBADF, EEXIST, EFAULT, EINVAL, EIO, ENODEV, ENOMEM, NR, O_ACCMODE, O_WRONLY } from '../abi.js';
import type { LxGen } from '../coroutine.js';
import type { Linux } from '../linux.js';
import { MAX_REGIONS, PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, USER_STACK_SIZE, USER_STACK_TOP, type Backing, type MappedFile } from '../memory.js';
import type { Process } from '../process.js';
import { readWords } from '../uaccess.js';
import { value, type SyscallTable } from './syscall.js';

const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const MADV_DONTNEED = 4;

const pageUp = (n: number): number => Math.ceil(n / PAGE) * PAGE;

/** Drops the pages of [start, end): out of the address space, backing pages freed when unused. */
function* dropRange(lx: Linux, proc: Process, start: number, end: number): LxGen {
  const gone = proc.mm.carve(start, end);
  yield* release(lx, proc, gone);
}

function* release(lx: Linux, proc: Process, gone: { vpn: number; e: { b: Backing } }[]): LxGen {
  if (gone.length === 0) return;
  yield* lx.platform.unmapPages(proc, gone.map(({ vpn, e }) => ({ vpn, at: e.b.at })));
  yield* lx.freeBackings(gone.flatMap(({ e }) => (--e.b.refs === 0 ? [e.b] : [])));
}

function* brk(lx: Linux, proc: Process, want: number): LxGen<number> {
  const mm = proc.mm;
  if (want < mm.brkStart || want >= USER_STACK_TOP - USER_STACK_SIZE) return mm.brk;
  const oldEnd = pageUp(mm.brk);
  const newEnd = pageUp(want);
  if (newEnd > oldEnd && mm.overlapping(oldEnd, newEnd).length > 0) return mm.brk; // would run into a mapping
  // vm_enough_memory: growing needs that many pages free now (else the old break: ENOMEM in the library).
  const grow = newEnd / PAGE - oldEnd / PAGE;
  if (grow > 0 && !(yield* lx.platform.reserve(grow))) return mm.brk;
  const gone: { vpn: number; e: { b: Backing } }[] = [];
  for (let vpn = newEnd / PAGE; vpn < oldEnd / PAGE; vpn++) {
    const e = mm.pages.get(vpn);
    if (e) {
      gone.push({ vpn, e });
      mm.pages.delete(vpn);
    }
  }
  mm.brk = want;
  yield* release(lx, proc, gone);
  return mm.brk;
}

function* mmap(lx: Linux, proc: Process, addr: number, len: number, prot: number, flags: number, fd: number, offset: number): LxGen<number> {
  const mm = proc.mm;
  if (len === 0 || offset % PAGE !== 0) return -EINVAL;
  if (!(flags & (MAP_SHARED | MAP_PRIVATE))) return -EINVAL;
  const size = pageUp(len);
  if (size > USER_STACK_TOP || mm.vmas.length >= MAX_REGIONS) return -ENOMEM;
  let file = null;
  if (!(flags & MAP_ANONYMOUS)) {
    const f = proc.files.get(fd);
    if (!f) return -EBADF;
    if (!f.inode || f.inode.kind !== 'file') return -ENODEV;
    if ((f.flags & O_ACCMODE) === O_WRONLY) return -EACCES;
    file = mappedPart(f.snapshot ?? f.inode.bytesNow(), !f.snapshot && !f.inode.data, offset, len, f.path);
    if (!file) return -EIO;
  }
  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE !== 0) return -EINVAL;
    if (addr + size > USER_STACK_TOP - USER_STACK_SIZE && addr < USER_STACK_TOP) return -ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && !mm.isFree(addr, addr + size)) return -EEXIST;
    start = addr;
    yield* dropRange(lx, proc, start, start + size);
  } else {
    start = mm.freeRange(size, addr);
    if (start < 0) return -ENOMEM;
  }
  mm.insert({ start, end: start + size, prot: prot & (PROT_READ | PROT_WRITE | PROT_EXEC), kind: file ? 'file' : 'anon', file });
  return start;
}

/**
 * What a private file mapping shows: the mapped part of the file as it is now. A root file system's
 * unmodified content is immutable and shared; a file with bytes of its own is copied, the mapped range
 * only (so mapping a large file many times costs what is mapped).
 */
function mappedPart(bytes: Uint8Array | null, immutable: boolean, offset: number, len: number, name: string): MappedFile | null {
  if (!bytes) return null;
  if (immutable) return { bytes, base: 0, offset, name };
  const from = Math.min(offset, bytes.length);
  return { bytes: bytes.slice(from, Math.min(bytes.length, offset + pageUp(len))), base: from, offset, name };
}

function* munmap(lx: Linux, proc: Process, addr: number, len: number): LxGen<number> {
  if (addr % PAGE !== 0 || len === 0) return -EINVAL;
  if (proc.mm.vmas.length + 1 >= MAX_REGIONS) return -ENOMEM; // a hole in a region splits it
  yield* dropRange(lx, proc, addr, addr + pageUp(len));
  return 0;
}

function* mprotect(lx: Linux, proc: Process, addr: number, len: number, prot: number): LxGen<number> {
  if (addr % PAGE !== 0) return -EINVAL;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x03000000)) return -EINVAL;
  const end = addr + pageUp(len);
  const mm = proc.mm;
  if (!mm.covered(addr, end) || mm.vmas.length + 2 >= MAX_REGIONS) return -ENOMEM;
  mm.protect(addr, end, prot & 7);
  const unmap: { vpn: number; at: number }[] = [];
  const readOnly: { vpn: number; at: number }[] = [];
  for (let vpn = addr / PAGE; vpn < end / PAGE; vpn++) {
    const e = mm.pages.get(vpn);
    if (!e) continue;
    const writable = (prot & PROT_WRITE) !== 0;
    // Without any access the translation goes (the next touch faults and is refused); without write
    // access the page is write-protected; more rights take effect at the next fault.
    if (!(prot & 7)) unmap.push({ vpn, at: e.b.at });
    else if (e.writable && !writable && !e.cow) readOnly.push({ vpn, at: e.b.at });
    e.writable = writable;
  }
  if (readOnly.length > 0) yield* lx.platform.writeProtect(proc, readOnly);
  if (unmap.length > 0) yield* lx.platform.unmapPages(proc, unmap);
  return 0;
}

function* mremap(lx: Linux, proc: Process, old: number, oldLen: number, newLen: number, flags: number, newAddr: number): LxGen<number> {
  const mm = proc.mm;
  if (old % PAGE !== 0 || newLen === 0 || flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) return -EINVAL;
  const oldSize = pageUp(oldLen);
  const newSize = pageUp(newLen);
  const v = mm.find(old);
  if (!v || v.kind === 'heap' || old + oldSize > v.end) return -EFAULT;
  if (newSize <= oldSize && !(flags & MREMAP_FIXED)) {
    yield* dropRange(lx, proc, old + newSize, old + oldSize);
    return old;
  }
  if (!(flags & MREMAP_FIXED) && old + oldSize === v.end && mm.isFree(v.end, old + newSize)) {
    v.end = old + newSize; // grows in place
    return old;
  }
  if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
  const to = flags & MREMAP_FIXED ? newAddr : mm.freeRange(newSize);
  if (to < 0 || to % PAGE !== 0) return to < 0 ? -ENOMEM : -EINVAL;
  if (flags & MREMAP_FIXED) yield* dropRange(lx, proc, to, to + newSize);
  // Move the pages: their backing pages stay, under new page numbers (mapped again when touched).
  const moved: { vpn: number; e: import('../memory.js').PageEntry }[] = [];
  for (let i = 0; i < oldSize / PAGE; i++) {
    const e = mm.pages.get(old / PAGE + i);
    if (e) moved.push({ vpn: to / PAGE + i, e });
  }
  const kind = v.kind;
  const file = v.file && { ...v.file, offset: v.file.offset + (old - v.start) };
  const gone = mm.carve(old, old + oldSize);
  yield* lx.platform.unmapPages(proc, gone.map(({ vpn, e }) => ({ vpn, at: e.b.at })));
  mm.insert({ start: to, end: to + newSize, prot: v.prot, kind: kind === 'stack' || kind === 'image' ? 'anon' : kind, file });
  for (const { vpn, e } of moved) mm.pages.set(vpn, e);
  return to;
}

function* madvise(lx: Linux, proc: Process, addr: number, len: number, advice: number): LxGen<number> {
  if (addr % PAGE !== 0) return -EINVAL;
  if (advice !== MADV_DONTNEED) return 0;
  // The pages are dropped: the next touch sees zeros (anonymous) or the file's bytes again.
  const gone: { vpn: number; e: { b: Backing } }[] = [];
  for (let vpn = addr / PAGE; vpn < (addr + pageUp(len)) / PAGE; vpn++) {
    const e = proc.mm.pages.get(vpn);
    if (e) {
      gone.push({ vpn, e });
      proc.mm.pages.delete(vpn);
    }
  }
  yield* release(lx, proc, gone);
  return 0;
}

/** The old mmap: one argument, the address of six words (addr, len, prot, flags, fd, byte offset). */
function* oldMmap(lx: Linux, proc: Process, at: number): LxGen<number> {
  const w = yield* readWords(lx, proc, at, 6);
  if (!w) return -EFAULT;
  return yield* mmap(lx, proc, w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!);
}


export const MEMORY_SYSCALLS: SyscallTable = [
  [NR.brk, (lx, p, a) => brk(lx, p, a[0]!)],
  [NR.mmap, (lx, p, a) => oldMmap(lx, p, a[0]!)],
  [NR.mmap2, (lx, p, a) => mmap(lx, p, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]! * PAGE)],
  [NR.munmap, (lx, p, a) => munmap(lx, p, a[0]!, a[1]!)],
  [NR.mprotect, (lx, p, a) => mprotect(lx, p, a[0]!, a[1]!, a[2]!)],
  [NR.mremap, (lx, p, a) => mremap(lx, p, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)],
  [NR.madvise, (lx, p, a) => madvise(lx, p, a[0]!, a[1]!, a[2]!)],
  [NR.msync, () => value(0)],
];
