/**
 * A process's memory as the Linux server sees it: which virtual pages exist, and which page of the
 * server's own memory backs each. Pages are filled on demand (from the ELF image, or zero) when the
 * process faults or when the server touches user memory (copy_from_user / copy_to_user).
 */
import type { GuestImage } from '../l4/guest-image.js';
import type { MemoryPool } from '../l4/memory-pool.js';

export const USER_STACK_TOP = 0xbfff0000;
export const USER_STACK_SIZE = 8 * 1024 * 1024;

export interface PageEntry {
  /** Address of the backing page in the server's space. */
  at: number;
  writable: boolean;
}

export type Resolution = { ok: true; page: PageEntry; fresh: boolean; content: Uint8Array | null } | { ok: false; reason: 'unmapped' | 'readonly' };

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

  /**
   * The page backing `addr`, allocating it (and computing its initial content) if it is new. A write to a
   * read-only page is refused.
   */
  resolve(pool: MemoryPool, addr: number, write: boolean): Resolution {
    const vpn = Math.floor(addr / 4096);
    const existing = this.pages.get(vpn);
    if (existing) return write && !existing.writable ? { ok: false, reason: 'readonly' } : { ok: true, page: existing, fresh: false, content: null };
    const region = this.region(addr);
    if (!region) return { ok: false, reason: 'unmapped' };
    if (write && !region.writable) return { ok: false, reason: 'readonly' };
    const page: PageEntry = { at: pool.alloc(), writable: region.writable };
    this.pages.set(vpn, page);
    return { ok: true, page, fresh: true, content: this.initialContent(vpn) };
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
}
