/**
 * A process's memory as Linux sees it: which virtual pages exist and which page of memory backs each.
 * Backing pages are counted; fork shares them copy-on-write (both sides lose write access until one of
 * them writes and gets its own copy). Where a backing page lives depends on the platform: a page of the
 * Linux server's pool on L4Linux, a physical frame on native Linux.
 */
import type { GuestImage } from '../l4/guest-image.js';

export const USER_STACK_TOP = 0xbfff0000;
export const USER_STACK_SIZE = 8 * 1024 * 1024;

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

export class ProcessMemory {
  readonly pages = new Map<number, PageEntry>();
  brkStart: number;
  brk: number;

  constructor(readonly image: GuestImage) {
    const end = Math.max(...image.elf.segments.map((s) => s.vaddr + s.memsz));
    this.brkStart = this.brk = Math.ceil(end / 4096) * 4096;
  }

  /** What lives at `addr`: a segment (with its rights), the heap, the stack, or nothing. */
  region(addr: number): { writable: boolean } | null {
    for (const s of this.image.elf.segments) if (addr >= s.vaddr && addr < s.vaddr + s.memsz) return { writable: (s.flags & 2) !== 0 };
    if (addr >= this.brkStart && addr < this.brk) return { writable: true };
    if (addr >= USER_STACK_TOP - USER_STACK_SIZE && addr < USER_STACK_TOP) return { writable: true };
    return null;
  }

  /** Whether `addr` lies in the stack region (the 8 MiB below USER_STACK_TOP, RLIMIT_STACK's default). */
  isStack(addr: number): boolean {
    return addr >= USER_STACK_TOP - USER_STACK_SIZE && addr < USER_STACK_TOP;
  }

  /** The ELF bytes of a page (zero elsewhere). */
  initialContent(vpn: number): Uint8Array {
    const content = new Uint8Array(4096);
    for (const s of this.image.elf.segments) {
      const lo = Math.max(s.vaddr, vpn * 4096);
      const hi = Math.min(s.vaddr + s.filesz, vpn * 4096 + 4096);
      if (lo < hi) content.set(this.image.elf.data.subarray(s.offset + (lo - s.vaddr), s.offset + (hi - s.vaddr)), lo - vpn * 4096);
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
}
