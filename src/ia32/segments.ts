/**
 * Segmentation as a user program of an i386 Linux sees it (docs/segments.md). Code, data and stack
 * stay flat (base 0, limit 4 GiB); FS and GS may name a TLS entry of the GDT or an LDT entry, whose base
 * and limit the CPU caches when the register is loaded and adds / checks on every access through an
 * FS or GS override prefix.
 *
 * Descriptors are kept as Linux keeps them: two 32-bit words (low, high) in the IA32 layout
 *   low:  limit[15:0] | base[15:0] << 16
 *   high: base[23:16] | type << 8 | S << 12 | DPL << 13 | P << 15 | limit[19:16] << 16 | AVL << 20 |
 *         D/B << 22 | G << 23 | base[31:24] << 24
 */
import type { Cpu } from './cpu.js';

/** Segment register numbers (the sreg field of 8C / 8E). */
export const ES = 0;
export const CS = 1;
export const SS = 2;
export const DS = 3;
export const FS = 4;
export const GS = 5;
export const SREG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

/**
 * The GDT as user mode sees it: Linux 2.4's flat segments (kernel code and data in entries 2 and 3,
 * DPL 0; user code and data in 4 and 5, selectors 0x23 and 0x2b, the values the signal frames of this
 * machine have always shown and the ones an x86-64 host gives 32-bit programs) and the three TLS
 * entries 6..8 that set_thread_area manages since 2.5 (docs/segments.md: why not 2.6's 12..15).
 * Every other entry is modelled empty (user mode cannot load any of them on Linux either).
 */
export const GDT_ENTRIES = 32;
export const TLS_FIRST = 6;
export const TLS_COUNT = 3;
export const GDT_KERNEL_CS = 2;
export const GDT_KERNEL_DS = 3;
export const GDT_USER_CS = 4;
export const GDT_USER_DS = 5;
export const USER_CS = (GDT_USER_CS << 3) | 3; // 0x23
export const USER_DS = (GDT_USER_DS << 3) | 3; // 0x2b
/** Entries an LDT can have (Linux LDT_ENTRIES). */
export const LDT_ENTRIES = 8192;

/** Flat 4 GiB descriptors: code (execute/read) and data (read/write), DPL 0 and 3. */
const FLAT_LOW = 0x0000ffff;
const KERNEL_CS_HIGH = 0x00cf9a00;
const KERNEL_DS_HIGH = 0x00cf9200;
const USER_CS_HIGH = 0x00cffa00;
const USER_DS_HIGH = 0x00cff200;

const FRESH_SEL = [USER_DS, USER_CS, USER_DS, USER_DS, 0, 0];

/** What a loaded FS / GS allows (the descriptor cache). */
export const SEG_UNUSABLE = 0;
export const SEG_UP = 1;
export const SEG_DOWN = 2;

/** Fields of a descriptor. */
export const descBase = (lo: number, hi: number): number => ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
export const descType = (hi: number): number => (hi >>> 8) & 0xf;
export const descS = (hi: number): boolean => (hi & 0x1000) !== 0;
export const descDpl = (hi: number): number => (hi >>> 13) & 3;
export const descPresent = (hi: number): boolean => (hi & 0x8000) !== 0;
/** The limit in bytes (granularity applied). */
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & 0x800000 ? ((raw << 12) | 0xfff) >>> 0 : raw;
}

/**
 * A thread's segment state: the selectors, the descriptor cache of FS and GS, its three TLS entries of
 * the GDT, and the LDT of its address space (shared by reference with the other threads of the task).
 */
export class Segments {
  /** Selectors: ES CS SS DS FS GS. */
  readonly sel = new Uint16Array([USER_DS, USER_CS, USER_DS, USER_DS, 0, 0]);
  /** Cached base, limit (bytes) and kind of each register (only FS and GS can differ from flat). */
  readonly base = new Int32Array(6);
  readonly limit = new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0, 0]);
  /** SEG_UP, SEG_DOWN, or SEG_UNUSABLE (null selector); expand-down adds 4 when its upper bound is 4 GiB (B). */
  readonly kind = new Uint8Array([SEG_UP, SEG_UP, SEG_UP, SEG_UP, SEG_UNUSABLE, SEG_UNUSABLE]);
  /** GDT entries 6..8 (low, high words each). */
  readonly tls = new Uint32Array(TLS_COUNT * 2);
  /** The LDT: 2 words per entry; length 0 when the task has none. */
  ldt: { d: Uint32Array } = { d: new Uint32Array(0) };

  /** The state of a freshly exec'd process: flat selectors, FS = GS = 0, no TLS, no LDT. */
  reset(): void {
    this.sel.set([USER_DS, USER_CS, USER_DS, USER_DS, 0, 0]);
    this.base.fill(0);
    this.limit.set([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0, 0]);
    this.kind.set([SEG_UP, SEG_UP, SEG_UP, SEG_UP, SEG_UNUSABLE, SEG_UNUSABLE]);
    this.tls.fill(0);
    this.ldt = { d: new Uint32Array(0) };
  }

  /**
   * For the machine digest: selectors, TLS entries and LDT, or '' in a new program's state (so the
   * digests of runs that never touch segments stay what they were before segments were modelled).
   */
  digest(): string {
    const fresh = this.sel.every((v, i) => v === FRESH_SEL[i]) && this.tls.every((v) => v === 0) && this.ldt.d.length === 0;
    return fresh ? '' : `|seg:${this.sel.join('.')}:${this.tls.join('.')}:${this.ldt.d.join('.')}`;
  }

  /** Copy another thread's state (fork: the child gets the registers, TLS entries and a copy of the LDT). */
  copyFrom(o: Segments): void {
    this.sel.set(o.sel);
    this.base.set(o.base);
    this.limit.set(o.limit);
    this.kind.set(o.kind);
    this.tls.set(o.tls);
    this.ldt = { d: o.ldt.d.slice() };
  }

  /** The descriptor a selector names as [low, high], or null beyond its table's limit. */
  descriptor(sel: number): [number, number] | null {
    const i = sel >>> 3;
    if (sel & 4) {
      const d = this.ldt.d;
      return i * 2 + 1 < d.length ? [d[i * 2]!, d[i * 2 + 1]!] : null;
    }
    if (i >= GDT_ENTRIES) return null;
    if (i >= TLS_FIRST && i < TLS_FIRST + TLS_COUNT) return [this.tls[(i - TLS_FIRST) * 2]!, this.tls[(i - TLS_FIRST) * 2 + 1]!];
    switch (i) {
      case GDT_KERNEL_CS:
        return [FLAT_LOW, KERNEL_CS_HIGH];
      case GDT_KERNEL_DS:
        return [FLAT_LOW, KERNEL_DS_HIGH];
      case GDT_USER_CS:
        return [FLAT_LOW, USER_CS_HIGH];
      case GDT_USER_DS:
        return [FLAT_LOW, USER_DS_HIGH];
      default:
        return [0, 0]; // entries user mode cannot use (TSS, LDT, BIOS, per-CPU): modelled as empty
    }
  }

  /**
   * Descriptors changed (set_thread_area, modify_ldt, sigreturn): reload FS and GS from the tables, as
   * Linux does for the current thread. A selector that no longer loads becomes the null selector
   * (Linux's loadsegment fixup).
   */
  refresh(): void {
    for (const s of [FS, GS]) {
      const sel = this.sel[s]!;
      if (sel !== 0 && checkLoad(this, s, sel) !== null) this.setNull(s);
      else if (sel !== 0) this.cache(s, sel);
    }
  }

  setNull(s: number): void {
    this.sel[s] = 0;
    this.base[s] = 0;
    this.limit[s] = 0;
    this.kind[s] = SEG_UNUSABLE;
  }

  /** Store a selector that passed checkLoad and cache its descriptor. */
  cache(s: number, sel: number): void {
    this.sel[s] = sel;
    if ((sel & ~3) === 0) {
      this.base[s] = 0;
      this.limit[s] = 0;
      this.kind[s] = SEG_UNUSABLE;
      return;
    }
    const [lo, hi] = this.descriptor(sel)!;
    this.base[s] = descBase(lo, hi) | 0;
    this.limit[s] = descLimit(lo, hi);
    const down = (descType(hi) & 0xc) === 0x4; // data, expand-down
    this.kind[s] = down ? SEG_DOWN | (hi & 0x400000 ? 4 : 0) : SEG_UP;
  }
}

/** Why a segment register load fails: the exception and its error code. */
export interface LoadFault {
  kind: 'gp' | 'np' | 'ss';
  err: number;
  detail: string;
}

const fail = (kind: LoadFault['kind'], err: number, detail: string): LoadFault => ({ kind, err, detail });

/**
 * The checks of MOV / POP / LxS to segment register `s` at CPL 3 (SDM vol. 2, MOV "protected mode"),
 * or null when `sel` may be loaded. DS / ES / SS must name a flat descriptor: non-flat ones are refused
 * (the model keeps them flat).
 */
export function checkLoad(segs: Segments, s: number, sel: number): LoadFault | null {
  const err = sel & 0xfffc;
  const name = SREG_NAMES[s]!;
  if ((sel & 0xfffc) === 0) return s === SS ? fail('gp', 0, 'null selector loaded into ss') : null;
  const desc = segs.descriptor(sel);
  if (!desc) return fail('gp', err, `selector 0x${sel.toString(16)} beyond the ${sel & 4 ? 'LDT' : 'GDT'} limit`);
  const [lo, hi] = desc;
  const type = descType(hi);
  const code = (type & 8) !== 0;
  if (!descS(hi)) return fail('gp', err, `selector 0x${sel.toString(16)} names a system descriptor`);
  const dpl = descDpl(hi);
  if (s === SS) {
    if (code || (type & 2) === 0 || (sel & 3) !== 3 || dpl !== 3) return fail('gp', err, `selector 0x${sel.toString(16)} is not a writable stack segment of privilege 3`);
  } else {
    if (code && (type & 2) === 0) return fail('gp', err, `selector 0x${sel.toString(16)} names an execute-only code segment`);
    const conforming = code && (type & 4) !== 0;
    if (!conforming && dpl < 3) return fail('gp', err, `selector 0x${sel.toString(16)}: descriptor privilege ${dpl} below 3`);
  }
  if (!descPresent(hi)) return fail(s === SS ? 'ss' : 'np', err, `selector 0x${sel.toString(16)}: segment not present`);
  if (s !== FS && s !== GS && !isFlat(lo, hi)) return fail('gp', err, `${name} with a non-flat descriptor (0x${sel.toString(16)}) is not modelled`);
  return null;
}

function isFlat(lo: number, hi: number): boolean {
  return descBase(lo, hi) === 0 && descLimit(lo, hi) === 0xffffffff && (descType(hi) & 0xc) !== 0x4;
}

/** Load segment register `s` with `sel`, as the instruction does; raises the fault if it may not. */
export function loadSegment(c: Cpu, s: number, sel: number): void {
  sel &= 0xffff;
  const f = checkLoad(c.seg, s, sel);
  if (f) c.raise(f.kind, f.detail, 0, false, false, f.err);
  c.seg.cache(s, sel);
}

/**
 * The linear address of an access of `size` bytes at offset `off` through FS or GS, after the checks
 * of the descriptor cache: a null selector or an offset beyond the limit is #GP(0).
 */
export function segLinear(c: Cpu, s: number, off: number, size: number): number {
  const g = c.seg;
  const k = g.kind[s]!;
  off >>>= 0;
  if (k === SEG_UP) {
    if (off + size - 1 > g.limit[s]!) c.raise('gp', `${SREG_NAMES[s]}:0x${off.toString(16)} beyond the segment limit`);
  } else if (k === SEG_UNUSABLE) c.raise('gp', `memory access through the null selector in ${SREG_NAMES[s]}`);
  else {
    // Expand-down: valid offsets lie above the limit, up to 64 KiB or 4 GiB (B flag).
    const top = k & 4 ? 0xffffffff : 0xffff;
    if (off <= g.limit[s]! || off + size - 1 > top) c.raise('gp', `${SREG_NAMES[s]}:0x${off.toString(16)} outside the expand-down segment`);
  }
  return (g.base[s]! + off) | 0;
}

// ---------------------------------------------------------------------------------------------------
// Linux's struct user_desc <-> descriptors (set_thread_area, get_thread_area, modify_ldt)

/** struct user_desc: entry_number, base_addr, limit, then the flag bits. */
export interface UserDesc {
  entry: number;
  base: number;
  limit: number;
  seg32: number;
  contents: number;
  readExecOnly: number;
  limitInPages: number;
  notPresent: number;
  useable: number;
}

export function parseUserDesc(w: readonly number[]): UserDesc {
  const f = w[3]! >>> 0;
  return {
    entry: w[0]! >>> 0,
    base: w[1]! >>> 0,
    limit: w[2]! >>> 0,
    seg32: f & 1,
    contents: (f >>> 1) & 3,
    readExecOnly: (f >>> 3) & 1,
    limitInPages: (f >>> 4) & 1,
    notPresent: (f >>> 5) & 1,
    useable: (f >>> 6) & 1,
  };
}

export function userDescWords(u: UserDesc): number[] {
  const f = u.seg32 | (u.contents << 1) | (u.readExecOnly << 3) | (u.limitInPages << 4) | (u.notPresent << 5) | (u.useable << 6);
  return [u.entry >>> 0, u.base >>> 0, u.limit >>> 0, f];
}

/** Linux's LDT_empty: the pattern that clears an entry. */
export function isEmptyDesc(u: UserDesc): boolean {
  return u.base === 0 && u.limit === 0 && u.contents === 0 && u.readExecOnly === 1 && u.seg32 === 0 && u.limitInPages === 0 && u.notPresent === 1 && u.useable === 0;
}

/** All fields zero (Linux's LDT_zero, treated as empty by set_thread_area and old-mode modify_ldt). */
export function isZeroDesc(u: UserDesc): boolean {
  return u.base === 0 && u.limit === 0 && u.contents === 0 && u.readExecOnly === 0 && u.seg32 === 0 && u.limitInPages === 0 && u.notPresent === 0 && u.useable === 0;
}

/** The descriptor words of a user_desc (a code or data segment of DPL 3; accessed bit clear, as 2.4). */
export function descFromUser(u: UserDesc): [number, number] {
  const lo = ((u.base & 0xffff) << 16) | (u.limit & 0xffff);
  const type = ((u.readExecOnly ^ 1) << 1) | (u.contents << 2);
  const hi =
    ((u.base >>> 16) & 0xff) |
    (u.base & 0xff000000) |
    (u.limit & 0xf0000) |
    (type << 8) |
    0x1000 | // S: code or data
    (3 << 13) | // DPL 3
    ((u.notPresent ^ 1) << 15) |
    (u.useable << 20) |
    (u.seg32 << 22) |
    (u.limitInPages << 23);
  return [lo >>> 0, hi >>> 0];
}

/** The user_desc fields of a descriptor (Linux fill_user_desc). */
export function userFromDesc(entry: number, lo: number, hi: number): UserDesc {
  const type = descType(hi);
  return {
    entry,
    base: descBase(lo, hi),
    limit: (lo & 0xffff) | (hi & 0xf0000),
    seg32: (hi >>> 22) & 1,
    contents: (type >>> 2) & 3,
    readExecOnly: (type & 2) === 0 ? 1 : 0,
    limitInPages: (hi >>> 23) & 1,
    notPresent: descPresent(hi) ? 0 : 1,
    useable: (hi >>> 20) & 1,
  };
}
