/**
 * A process's memory as Linux sees it: its regions (vm_area_structs: the program's segments, the heap,
 * the stack, mmap'ed areas) and which page of memory backs each virtual page. Backing pages are
 * counted; fork shares them copy-on-write (both sides lose write access until one of them writes and
 * gets its own copy). Where a backing page lives depends on the platform: a page of the Linux server's
 * pool on L4Linux, a physical frame on native Linux.
 */
import type { GuestImage } from '../l4/guest-image.js';

export const USER_STACK_TOP = 0xbfff0000;
export const USER_STACK_SIZE = 8 * 1024 * 1024;
/** Where mmap starts looking for room (2.4's TASK_UNMAPPED_BASE, TASK_SIZE / 3), bottom-up. */
export const MMAP_BASE = 0x40000000;
export const PAGE = 4096;

/**
 * Regions a process may have (Linux's vm.max_map_count is 65530; 2.4 had no bound). Lower here because
 * region lookups are linear scans and a guest may come from a stranger: mmap, and an mprotect or munmap
 * that would split past it, fail with ENOMEM.
 */
export const MAX_REGIONS = 4096;

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

export interface Backing {
  /** Address of the page in the platform's view (server pool address or physical address). */
  at: number;
  refs: number;
}

export interface PageEntry {
  b: Backing;
  /** The region allows writing. */
  writable: boolean;
  /** Shared after fork: the next write needs a private copy. */
  cow: boolean;
}

/**
 * The bytes a file-backed region shows: the part of the file it maps, as it was when mapped
 * (MAP_PRIVATE); a root file system's unmodified content is shared, not copied.
 */
export interface MappedFile {
  bytes: Uint8Array;
  /** File offset of `bytes[0]`. */
  base: number;
  /** File offset of the region's first byte. */
  offset: number;
  /** Its path, for /proc/PID/maps. */
  name: string;
}

export type VmaKind = 'image' | 'heap' | 'stack' | 'anon' | 'file';

/** One region: page-aligned [start, end). */
export interface Vma {
  start: number;
  end: number;
  prot: number;
  kind: VmaKind;
  file: MappedFile | null;
}

const pageDown = (a: number): number => Math.floor(a / PAGE) * PAGE;
const pageUp = (a: number): number => Math.ceil(a / PAGE) * PAGE;
const STACK_BOTTOM = USER_STACK_TOP - USER_STACK_SIZE;

export class ProcessMemory {
  readonly pages = new Map<number, PageEntry>();
  /** Regions other than the heap, sorted by start, never overlapping. */
  vmas: Vma[] = [];
  brkStart: number;
  brk: number;

  constructor(readonly image: GuestImage) {
    const end = Math.max(...image.elf.segments.map((s) => s.vaddr + s.memsz));
    this.brkStart = this.brk = pageUp(end);
    for (const s of image.elf.segments) {
      if (s.memsz === 0) continue;
      const prot = PROT_READ | (s.flags & 2 ? PROT_WRITE : 0) | (s.flags & 1 ? PROT_EXEC : 0);
      this.addImageRegion(pageDown(s.vaddr), pageUp(s.vaddr + s.memsz), prot);
    }
    this.insert({ start: STACK_BOTTOM, end: USER_STACK_TOP, prot: PROT_READ | PROT_WRITE, kind: 'stack', file: null });
  }

  /** A segment's pages; a page two segments share gets both's rights (as their mappings overlap). */
  private addImageRegion(start: number, end: number, prot: number): void {
    for (const v of this.overlapping(start, end)) {
      v.prot |= prot;
      if (v.start <= start && v.end >= end) return;
    }
    for (let at = start; at < end; ) {
      const v = this.find(at);
      if (v) {
        at = v.end;
        continue;
      }
      const next = this.vmas.find((x) => x.start > at)?.start ?? end;
      const stop = Math.min(end, next);
      this.insert({ start: at, end: stop, prot, kind: 'image', file: null });
      at = stop;
    }
  }

  /** The region holding `addr` (the heap included), or null. */
  find(addr: number): Vma | null {
    if (addr >= this.brkStart && addr < pageUp(this.brk)) return { start: this.brkStart, end: pageUp(this.brk), prot: PROT_READ | PROT_WRITE, kind: 'heap', file: null };
    for (const v of this.vmas) if (addr >= v.start && addr < v.end) return v;
    return null;
  }

  /** What lives at `addr` and what it allows, or nothing. */
  region(addr: number): { readable: boolean; writable: boolean } | null {
    const v = this.find(addr);
    return v ? { readable: (v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0, writable: (v.prot & PROT_WRITE) !== 0 } : null;
  }

  /** Whether `addr` lies in the stack region (the 8 MiB below USER_STACK_TOP, RLIMIT_STACK's default). */
  isStack(addr: number): boolean {
    return addr >= STACK_BOTTOM && addr < USER_STACK_TOP;
  }

  insert(v: Vma): void {
    const i = this.vmas.findIndex((x) => x.start > v.start);
    this.vmas.splice(i < 0 ? this.vmas.length : i, 0, v);
  }

  overlapping(start: number, end: number): Vma[] {
    return this.vmas.filter((v) => v.start < end && v.end > start);
  }

  /** Whether [start, end) is free of regions, the heap and the stack's reservation. */
  isFree(start: number, end: number): boolean {
    if (start < PAGE || end > USER_STACK_TOP || end <= start) return false;
    if (start < pageUp(this.brk) && end > this.brkStart) return false;
    return this.overlapping(start, end).length === 0;
  }

  /** The lowest free range of `len` bytes at or above MMAP_BASE (2.4's arch_get_unmapped_area), or -1. */
  freeRange(len: number, hint = 0): number {
    if (hint !== 0 && this.isFree(pageDown(hint), pageDown(hint) + len)) return pageDown(hint);
    let at = MMAP_BASE;
    for (const v of this.vmas) {
      if (v.end <= at) continue;
      if (v.start >= at + len) break;
      at = v.end;
    }
    return this.isFree(at, at + len) ? at : -1;
  }

  /**
   * Cuts [start, end) out of the regions (splitting those that straddle it). Returns the virtual pages
   * that had a backing page, which the caller unmaps and frees.
   */
  carve(start: number, end: number): { vpn: number; e: PageEntry }[] {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      if (v.start < start) out.push({ ...v, end: start });
      if (v.end > end) out.push({ ...v, start: end, file: v.file && { ...v.file, offset: v.file.offset + (end - v.start) } });
    }
    this.vmas = out;
    const gone: { vpn: number; e: PageEntry }[] = [];
    for (let vpn = start / PAGE; vpn < end / PAGE; vpn++) {
      const e = this.pages.get(vpn);
      if (e) {
        gone.push({ vpn, e });
        this.pages.delete(vpn);
      }
    }
    return gone;
  }

  /** Gives [start, end) the rights `prot` (mprotect), splitting regions at its edges. */
  protect(start: number, end: number, prot: number): void {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) {
        out.push(v);
        continue;
      }
      const lo = Math.max(v.start, start);
      const hi = Math.min(v.end, end);
      const at = (a: number): MappedFile | null => v.file && { ...v.file, offset: v.file.offset + (a - v.start) };
      if (v.start < lo) out.push({ ...v, end: lo });
      out.push({ ...v, start: lo, end: hi, prot, file: at(lo) });
      if (v.end > hi) out.push({ ...v, start: hi, file: at(hi) });
    }
    this.vmas = out;
  }

  /** Whether every page of [start, end) is in some region (mprotect's ENOMEM check). */
  covered(start: number, end: number): boolean {
    for (let a = start; a < end; a += PAGE) if (!this.find(a)) return false;
    return true;
  }

  /** The initial bytes of a page: the program file's, a mapped file's, or zeros. */
  initialContent(vpn: number): Uint8Array {
    const content = new Uint8Array(PAGE);
    const base = vpn * PAGE;
    const v = this.find(base);
    if (v?.kind === 'file' && v.file) {
      const from = v.file.offset - v.file.base + (base - v.start);
      if (from < v.file.bytes.length) content.set(v.file.bytes.subarray(from, Math.min(from + PAGE, v.file.bytes.length)));
      return content;
    }
    if (v && v.kind !== 'image') return content;
    for (const s of this.image.elf.segments) {
      const lo = Math.max(s.vaddr, base);
      const hi = Math.min(s.vaddr + s.filesz, base + PAGE);
      if (lo < hi) content.set(this.image.elf.data.subarray(s.offset + (lo - s.vaddr), s.offset + (hi - s.vaddr)), lo - base);
    }
    return content;
  }

  /**
   * fork: a copy sharing every page. Writable pages become copy-on-write on both sides; the returned
   * list holds the parent's pages that lost write access (the platform must write-protect them).
   */
  fork(): { child: ProcessMemory; protect: { vpn: number; at: number }[] } {
    const child = new ProcessMemory(this.image);
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    child.vmas = this.vmas.map((v) => ({ ...v }));
    const protect: { vpn: number; at: number }[] = [];
    for (const [vpn, e] of [...this.pages].sort((a, b) => a[0] - b[0])) {
      e.b.refs++;
      if (e.writable && !e.cow) {
        e.cow = true;
        protect.push({ vpn, at: e.b.at });
      }
      child.pages.set(vpn, { b: e.b, writable: e.writable, cow: e.writable });
    }
    return { child, protect };
  }

  /** Drop every page; returns the backing pages no one uses any more. */
  release(): Backing[] {
    const freed: Backing[] = [];
    for (const e of this.pages.values()) if (--e.b.refs === 0) freed.push(e.b);
    this.pages.clear();
    return freed;
  }

  /** /proc/PID/maps. */
  maps(): string {
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    const heap = this.brk > this.brkStart ? [{ start: this.brkStart, end: pageUp(this.brk), prot: PROT_READ | PROT_WRITE, kind: 'heap' as const, file: null }] : [];
    const all = [...this.vmas, ...heap].sort((a, b) => a.start - b.start);
    return all
      .map((v) => {
        const perms = `${v.prot & PROT_READ ? 'r' : '-'}${v.prot & PROT_WRITE ? 'w' : '-'}${v.prot & PROT_EXEC ? 'x' : '-'}p`;
        const name = v.kind === 'image' ? this.image.name : v.kind === 'heap' ? '[heap]' : v.kind === 'stack' ? '[stack]' : (v.file?.name ?? '');
        const off = v.file ? v.file.offset : 0;
        return `${hex(v.start)}-${hex(v.end)} ${perms} ${hex(off)} 00:00 0${name ? ' '.repeat(10) + name : ''}\n`;
      })
      .join('');
  }
}
