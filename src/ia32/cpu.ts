/**
 * IA32 CPU state: registers, lazy flags, and memory access through a page table with a small software
 * TLB. Faults do not escape as host errors: an access that faults records what happened in `fault` and
 * throws the shared FAULT token, which the interpreter's run loop catches and returns to the kernel.
 *
 * Lazy flags (as in v86 / QEMU's cc_op): arithmetic records its operands and result; each flag is computed
 * only when something reads it. `lmask` says which flags are lazy; the others live in `flags`.
 */
import { PAGE_SIZE, PhysicalMemory, R, W, X, type PageTable } from './memory.js';
import { Fpu } from './x87/fpu.js';
import { Segments } from './segments.js';
import type { ShadowStack } from './shadow-stack.js';

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const DF = 0x400;
export const OF = 0x800;
/** Alignment check and the CPUID-detection bit: user code can set and clear them (POPF). */
export const AC = 0x40000;
export const ID = 0x200000;
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** The EFLAGS bits user code can change with POPF (TF is not modelled: single-stepping is not emulated). */
export const USER_FLAGS = ARITH | DF | AC | ID;

/** Operations whose flags are kept lazily. */
export const LOP_ADD = 1;
export const LOP_ADC = 2;
export const LOP_SUB = 3;
export const LOP_SBB = 4;
export const LOP_LOGIC = 5;

/** Register numbers (ModRM order). */
export const EAX = 0;
export const ECX = 1;
export const EDX = 2;
export const EBX = 3;
export const ESP = 4;
export const EBP = 5;
export const ESI = 6;
export const EDI = 7;

/**
 * Page fault, invalid opcode, divide error, general protection, BOUND range (#BR), x87 error (#MF),
 * segment not present (#NP), stack segment (#SS).
 */
export type FaultKind = 'pf' | 'ud' | 'de' | 'gp' | 'br' | 'mf' | 'np' | 'ss';

export interface FaultInfo {
  kind: FaultKind;
  addr: number;
  write: boolean;
  fetch: boolean;
  detail: string;
  /** The error code the CPU pushes (#GP of a software interrupt: vector * 8 + 2), else 0. */
  err: number;
}

/** Thrown (as this one object) when an instruction faults; the details are in `cpu.fault`. */
export const FAULT = { fault: true } as const;

const TLB_SIZE = 256;
const PARITY = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let b = i;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    t[i] = (b & 1) === 0 ? PF : 0;
  }
  return t;
})();

/** Watched pages of an address space, and where accesses to them are reported (Cpu.accessWatch). */
export interface AccessWatch {
  watches(pages: PageTable, vpn: number): boolean;
  access(pages: PageTable, addr: number, write: boolean): void;
}

export class Cpu {
  /** EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI. */
  readonly r = new Int32Array(8);
  eip = 0;
  /** Flags not covered by the lazy state (plus DF). */
  flags = 0;
  /** Which of the arithmetic flags are lazy. */
  lmask = 0;
  lop = 0;
  la = 0;
  lb = 0;
  lr = 0;
  /** Operand size of the lazy operation: 1, 2 or 4 bytes. */
  lsz = 4;
  lcin = 0;

  fault: FaultInfo = { kind: 'ud', addr: 0, write: false, fetch: false, detail: '', err: 0 };
  /**
   * Set when a member after the first of a fused sequence faults: its address, so execution resumes
   * there (the members before it completed, `resumeDone` of them). -1 otherwise.
   */
  resume = -1;
  resumeDone = 0;
  /** Set by INT n: the vector, or -1. */
  trap = -1;
  /**
   * Cycles left in the current run when the block being executed started (set by the run loop): a REP
   * string instruction stops when they are used up, with EIP on itself, and continues in the next run.
   */
  runLeft = 0x7fffffff;
  /**
   * Cycles the block took beyond its static cost (REP iterations after the first); on a fault, the
   * cycles of the faulting instruction's completed iterations. The run loop adds and clears it.
   */
  extra = 0;
  /** Cycle time at the start of the block being executed (RDTSC and hook timestamps add their offset). */
  blockTime = 0;
  /** The x87 FPU. The kernel replaces it with its thread's, as `seg` (the state outlives an engine). */
  fpu = new Fpu();
  /**
   * Segment registers, their descriptor cache and the descriptor tables (segments.ts). The kernel
   * replaces it with its thread's object, so the state outlives an engine (exec, L4's enterGuest).
   */
  seg = new Segments();
  /** -finstrument-functions hook: enter or exit of the function at `fn`, at cycle `time`. */
  funcHook: (enter: boolean, fn: number, time: number) => void = () => {};
  /** Call tracing's shadow stack (shadow-stack.ts): set when the interpreter decodes with call tracing on. */
  shadow: ShadowStack | null = null;

  readonly mem8: Uint8Array;
  readonly mem16: Uint16Array;
  readonly mem32: Int32Array;
  private readonly tlbRTag = new Int32Array(TLB_SIZE).fill(-1);
  private readonly tlbRBase = new Int32Array(TLB_SIZE);
  private readonly tlbWTag = new Int32Array(TLB_SIZE).fill(-1);
  private readonly tlbWBase = new Int32Array(TLB_SIZE);
  private tlbGeneration = -1;

  /**
   * A debugger's read and access watchpoints (replay/debug): accesses to the pages it watches never enter
   * the TLB, so each one passes the slow path, which reports it. Null (the rule) costs nothing.
   */
  accessWatch: AccessWatch | null = null;

  setAccessWatch(w: AccessWatch | null): void {
    if (w === this.accessWatch) return;
    this.accessWatch = w;
    this.flushTlb();
  }

  /** Called before a write to a frame that holds decoded code (invalidates it). */
  onCodeWrite: (frame: number) => void = () => {};

  constructor(
    readonly phys: PhysicalMemory,
    public pages: PageTable,
  ) {
    this.mem8 = phys.bytes;
    this.mem16 = new Uint16Array(phys.bytes.buffer, phys.bytes.byteOffset, phys.bytes.length >>> 1);
    this.mem32 = new Int32Array(phys.bytes.buffer, phys.bytes.byteOffset, phys.bytes.length >>> 2);
  }

  /** Forget cached translations if the page table changed (unmap, rights reduced) or frames became code. */
  syncTlb(): void {
    if (this.tlbGeneration !== this.pages.generation) this.flushTlb();
    else if (this.codeSeen !== this.phys.codeGeneration) this.dropCodeWrites();
  }

  flushTlb(): void {
    this.tlbRTag.fill(-1);
    this.tlbWTag.fill(-1);
    this.tlbGeneration = this.pages.generation;
    this.codeSeen = this.phys.codeGeneration;
  }

  /** The code generation of physical memory this CPU's write TLB is in step with. */
  private codeSeen = 0;

  /** Drop cached write translations to frames that hold decoded code (their writes must invalidate it). */
  dropCodeWrites(): void {
    this.codeSeen = this.phys.codeGeneration;
    const code = this.phys.codeFrames;
    for (let i = 0; i < TLB_SIZE; i++) if (this.tlbWTag[i] !== -1 && code[this.tlbWBase[i]! >>> 12]) this.tlbWTag[i] = -1;
  }

  /** Whether this CPU's write TLB may still hold a frame that has since become code. */
  get codeStale(): boolean {
    return this.codeSeen !== this.phys.codeGeneration;
  }


  // -------------------------------------------------------------------------------------------------
  // Faults

  raise(kind: FaultKind, detail: string, addr = 0, write = false, fetch = false, err = 0): never {
    const f = this.fault;
    f.kind = kind;
    f.addr = addr >>> 0;
    f.write = write;
    f.fetch = fetch;
    f.detail = detail;
    f.err = err;
    throw FAULT;
  }

  // -------------------------------------------------------------------------------------------------
  // Memory

  /** Physical byte address for a read of `a`, filling the TLB, or a page fault. */
  private slowRead(a: number): number {
    const vpn = a >>> 12;
    const e = this.pages.get(vpn);
    if ((e & R) === 0) this.raise('pf', 'read of an unmapped page', a, false);
    const base = (e >>> 3) * PAGE_SIZE;
    if (this.accessWatch !== null && this.accessWatch.watches(this.pages, vpn)) {
      this.accessWatch.access(this.pages, a, false);
      return base + (a & 0xfff);
    }
    const i = vpn & (TLB_SIZE - 1);
    this.tlbRTag[i] = vpn;
    this.tlbRBase[i] = base;
    return base + (a & 0xfff);
  }

  private slowWrite(a: number): number {
    const vpn = a >>> 12;
    const e = this.pages.get(vpn);
    if ((e & W) === 0) this.raise('pf', e === 0 ? 'write to an unmapped page' : 'write to a read-only page', a, true);
    const frame = e >>> 3;
    const base = frame * PAGE_SIZE;
    // Every frame a guest writes passes here at least once (the write TLB starts empty).
    this.phys.touched[frame] = 1;
    if (this.accessWatch !== null && this.accessWatch.watches(this.pages, vpn)) {
      this.accessWatch.access(this.pages, a, true);
      if (this.phys.codeFrames[frame]) this.onCodeWrite(frame);
      return base + (a & 0xfff);
    }
    if (this.phys.codeFrames[frame]) {
      this.onCodeWrite(frame);
      return base + (a & 0xfff);
    }
    const i = vpn & (TLB_SIZE - 1);
    this.tlbWTag[i] = vpn;
    this.tlbWBase[i] = base;
    return base + (a & 0xfff);
  }

  private pr(a: number): number {
    const vpn = a >>> 12;
    const i = vpn & (TLB_SIZE - 1);
    return this.tlbRTag[i] === vpn ? this.tlbRBase[i]! + (a & 0xfff) : this.slowRead(a);
  }

  private pw(a: number): number {
    const vpn = a >>> 12;
    const i = vpn & (TLB_SIZE - 1);
    return this.tlbWTag[i] === vpn ? this.tlbWBase[i]! + (a & 0xfff) : this.slowWrite(a);
  }

  read8(a: number): number {
    return this.mem8[this.pr(a >>> 0)]!;
  }

  read16(a: number): number {
    a >>>= 0;
    if ((a & 0xfff) === 0xfff) return this.read8(a) | (this.read8(a + 1) << 8);
    const p = this.pr(a);
    return (p & 1) === 0 ? this.mem16[p >>> 1]! : this.mem8[p]! | (this.mem8[p + 1]! << 8);
  }

  read32(a: number): number {
    a >>>= 0;
    if ((a & 0xfff) > 0xffc) return this.read16(a) | (this.read16(a + 2) << 16);
    const p = this.pr(a);
    return (p & 3) === 0 ? this.mem32[p >>> 2]! : this.mem8[p]! | (this.mem8[p + 1]! << 8) | (this.mem8[p + 2]! << 16) | (this.mem8[p + 3]! << 24);
  }

  write8(a: number, v: number): void {
    this.mem8[this.pw(a >>> 0)] = v;
  }

  write16(a: number, v: number): void {
    a >>>= 0;
    if ((a & 0xfff) === 0xfff) {
      // Check both pages before changing either, so a fault leaves memory untouched.
      this.pw(a + 1);
      this.write8(a, v);
      this.write8(a + 1, v >>> 8);
      return;
    }
    const p = this.pw(a);
    if ((p & 1) === 0) this.mem16[p >>> 1] = v;
    else {
      this.mem8[p] = v;
      this.mem8[p + 1] = v >>> 8;
    }
  }

  write32(a: number, v: number): void {
    a >>>= 0;
    if ((a & 0xfff) > 0xffc) {
      this.pw(a);
      this.pw(((a + 3) & ~0xfff) >>> 0); // a fault there reports the start of the second page
      for (let i = 0; i < 4; i++) this.write8(a + i, v >>> (8 * i));
      return;
    }
    const p = this.pw(a);
    if ((p & 3) === 0) this.mem32[p >>> 2] = v;
    else {
      this.mem8[p] = v;
      this.mem8[p + 1] = v >>> 8;
      this.mem8[p + 2] = v >>> 16;
      this.mem8[p + 3] = v >>> 24;
    }
  }

  // Read-modify-write access. An instruction that writes memory and also changes registers or flags
  // translates its destination for writing first (every page of the access checked), so a fault leaves
  // nothing changed; the read and the store then reuse that one translation.

  /**
   * Physical address of `sz` bytes at `a` for a read-modify-write, after checking write access to every
   * page the access touches (a page fault if one is not writable). -1 when the access crosses a page
   * boundary: both pages were checked, use ldv/stv (by virtual address) for it, which cannot fault now.
   */
  wpa(a: number, sz: number): number {
    a >>>= 0;
    if ((a & 0xfff) > 4096 - sz) {
      this.pw(a);
      this.pw(((a + sz - 1) & ~0xfff) >>> 0); // a fault there reports the start of the second page
      return -1;
    }
    return this.pw(a);
  }

  /** Load 32 bits through a translation from wpa (`a` is the virtual address, used when p is -1). */
  ld32(p: number, a: number): number {
    if ((p & 3) === 0) return this.mem32[p >>> 2]!;
    if (p < 0) return this.read32(a);
    return this.mem8[p]! | (this.mem8[p + 1]! << 8) | (this.mem8[p + 2]! << 16) | (this.mem8[p + 3]! << 24);
  }

  st32(p: number, a: number, v: number): void {
    if ((p & 3) === 0) this.mem32[p >>> 2] = v;
    else if (p < 0) this.write32(a, v);
    else {
      this.mem8[p] = v;
      this.mem8[p + 1] = v >>> 8;
      this.mem8[p + 2] = v >>> 16;
      this.mem8[p + 3] = v >>> 24;
    }
  }

  ld16(p: number, a: number): number {
    if ((p & 1) === 0) return this.mem16[p >>> 1]!;
    if (p < 0) return this.read16(a);
    return this.mem8[p]! | (this.mem8[p + 1]! << 8);
  }

  st16(p: number, a: number, v: number): void {
    if ((p & 1) === 0) this.mem16[p >>> 1] = v;
    else if (p < 0) this.write16(a, v);
    else {
      this.mem8[p] = v;
      this.mem8[p + 1] = v >>> 8;
    }
  }

  /** Load / store of any size through a translation from wpa (a byte access never crosses a page). */
  ldp(p: number, a: number, sz: number): number {
    return sz === 4 ? this.ld32(p, a) : sz === 2 ? this.ld16(p, a) : this.mem8[p]!;
  }

  stp(p: number, a: number, v: number, sz: number): void {
    if (sz === 4) this.st32(p, a, v);
    else if (sz === 2) this.st16(p, a, v);
    else this.mem8[p] = v;
  }

  /** Instruction fetch: physical address of an executable byte, or a fetch page fault. */
  fetchPhys(a: number): number {
    a >>>= 0;
    const e = this.pages.get(a >>> 12);
    if ((e & X) === 0 || (e & R) === 0) this.raise('pf', e === 0 ? 'instruction fetch from an unmapped page' : 'instruction fetch from a non-executable page', a, false, true);
    return (e >>> 3) * PAGE_SIZE + (a & 0xfff);
  }

  // -------------------------------------------------------------------------------------------------
  // Stack

  push32(v: number): void {
    const sp = (this.r[ESP]! - 4) | 0;
    this.write32(sp, v);
    this.r[ESP] = sp;
  }

  pop32(): number {
    const v = this.read32(this.r[ESP]!);
    this.r[ESP] = (this.r[ESP]! + 4) | 0;
    return v;
  }

  push16(v: number): void {
    const sp = (this.r[ESP]! - 2) | 0;
    this.write16(sp, v);
    this.r[ESP] = sp;
  }

  pop16(): number {
    const v = this.read16(this.r[ESP]!);
    this.r[ESP] = (this.r[ESP]! + 2) | 0;
    return v;
  }

  // -------------------------------------------------------------------------------------------------
  // 8- and 16-bit registers

  /** 8-bit register n: AL CL DL BL AH CH DH BH. */
  get8(n: number): number {
    return n < 4 ? this.r[n]! & 0xff : (this.r[n - 4]! >>> 8) & 0xff;
  }

  set8(n: number, v: number): void {
    if (n < 4) this.r[n] = (this.r[n]! & ~0xff) | (v & 0xff);
    else this.r[n - 4] = (this.r[n - 4]! & ~0xff00) | ((v & 0xff) << 8);
  }

  get16(n: number): number {
    return this.r[n]! & 0xffff;
  }

  set16(n: number, v: number): void {
    this.r[n] = (this.r[n]! & ~0xffff) | (v & 0xffff);
  }

  // -------------------------------------------------------------------------------------------------
  // Flags

  /** Record an arithmetic result for lazy flags (all six arithmetic flags become lazy). */
  setLazy(op: number, a: number, b: number, r: number, sz: number): void {
    this.lop = op;
    this.la = a;
    this.lb = b;
    this.lr = r;
    this.lsz = sz;
    this.lmask = ARITH;
  }

  /** INC/DEC: like ADD/SUB, but CF keeps its old value. */
  setLazyKeepCF(op: number, a: number, b: number, r: number, sz: number): void {
    const cf = this.cf();
    this.flags = (this.flags & ~CF) | cf;
    this.lop = op;
    this.la = a;
    this.lb = b;
    this.lr = r;
    this.lsz = sz;
    this.lmask = ARITH & ~CF;
  }

  /** Set some arithmetic flags directly (they stop being lazy). */
  setFlagBits(mask: number, values: number): void {
    if (this.lmask & mask) this.materialize();
    this.flags = (this.flags & ~mask) | (values & mask);
  }

  /** Compute every lazy flag into `flags`. */
  materialize(): void {
    if (this.lmask === 0) return;
    const m = this.lmask;
    let f = this.flags & ~m;
    if (m & CF) f |= this.cf();
    if (m & PF) f |= this.pf();
    if (m & AF) f |= this.af();
    if (m & ZF) f |= this.zf();
    if (m & SF) f |= this.sf();
    if (m & OF) f |= this.of();
    this.flags = f;
    this.lmask = 0;
  }

  private mask(): number {
    return this.lsz === 4 ? -1 : this.lsz === 2 ? 0xffff : 0xff;
  }

  private sign(): number {
    return this.lsz === 4 ? 0x80000000 : this.lsz === 2 ? 0x8000 : 0x80;
  }

  cf(): number {
    if ((this.lmask & CF) === 0) return this.flags & CF;
    const m = this.mask();
    const a = (this.la & m) >>> 0;
    const b = (this.lb & m) >>> 0;
    const r = (this.lr & m) >>> 0;
    switch (this.lop) {
      case LOP_ADD:
        return r < a ? 1 : 0;
      case LOP_ADC:
        return (this.lcin ? r <= a : r < a) ? 1 : 0;
      case LOP_SUB:
        return a < b ? 1 : 0;
      case LOP_SBB:
        return (this.lcin ? a <= b : a < b) ? 1 : 0;
      default:
        return 0;
    }
  }

  zf(): number {
    if ((this.lmask & ZF) === 0) return this.flags & ZF;
    return (this.lr & this.mask()) === 0 ? ZF : 0;
  }

  sf(): number {
    if ((this.lmask & SF) === 0) return this.flags & SF;
    return this.lr & this.sign() ? SF : 0;
  }

  pf(): number {
    if ((this.lmask & PF) === 0) return this.flags & PF;
    return PARITY[this.lr & 0xff]!;
  }

  af(): number {
    if ((this.lmask & AF) === 0) return this.flags & AF;
    // Logic operations leave AF undefined; our fixed policy clears it.
    if (this.lop === LOP_LOGIC) return 0;
    return (this.la ^ this.lb ^ this.lr) & AF;
  }

  of(): number {
    if ((this.lmask & OF) === 0) return this.flags & OF;
    const s = this.sign();
    switch (this.lop) {
      case LOP_ADD:
      case LOP_ADC:
        return (this.la ^ this.lr) & (this.lb ^ this.lr) & s ? OF : 0;
      case LOP_SUB:
      case LOP_SBB:
        return (this.la ^ this.lb) & (this.la ^ this.lr) & s ? OF : 0;
      default:
        return 0;
    }
  }

  /** EFLAGS as PUSHF sees it (IF and the reserved bit 1 set). */
  eflags(): number {
    this.materialize();
    return (this.flags & USER_FLAGS) | 0x202;
  }

  /** POPF / SAHF-style write of the user-writable flags. */
  setEflags(v: number, mask = USER_FLAGS): void {
    this.materialize();
    this.flags = (this.flags & ~mask) | (v & mask);
  }

  /** Evaluate condition code `cc` (0..15, the low nibble of Jcc/SETcc/CMOVcc). */
  cond(cc: number): boolean {
    let t: boolean;
    switch (cc >> 1) {
      case 0:
        t = this.of() !== 0;
        break;
      case 1:
        t = this.cf() !== 0;
        break;
      case 2:
        t = this.zf() !== 0;
        break;
      case 3:
        t = this.cf() !== 0 || this.zf() !== 0;
        break;
      case 4:
        t = this.sf() !== 0;
        break;
      case 5:
        t = this.pf() !== 0;
        break;
      case 6:
        t = (this.sf() !== 0) !== (this.of() !== 0);
        break;
      default:
        t = this.zf() !== 0 || (this.sf() !== 0) !== (this.of() !== 0);
        break;
    }
    return (cc & 1) === 0 ? t : !t;
  }
}

export { PARITY };
