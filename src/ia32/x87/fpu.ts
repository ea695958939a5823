/**
 * The x87 FPU state of one CPU: the eight physical registers, TOP, the control and status words, the
 * last-instruction pointers, and the 108-byte FSAVE image (32-bit protected-mode layout) that the vector
 * tests and Linux signal frames exchange with it.
 *
 * The tag word is not stored: like FXSAVE-era CPUs we keep one "empty" flag per register and compute
 * the two-bit tags from the register contents whenever the tag word is read. ES and B are derived too
 * (any exception flag whose mask bit is clear), which is what the host CPU does after FLDCW/FLDENV.
 *
 * The helpers here (push, pop, underflow, report) are the rules shared by every instruction; the
 * instructions themselves are in ops.ts / memory-forms.ts, their decoding in decode.ts.
 */
import { F80, FpEnv, IE, PC_EXTENDED, SF } from './f80.js';

/** Condition-code and summary bits of the status word. */
export const C0 = 0x100;
export const C1 = 0x200;
export const C2 = 0x400;
export const C3 = 0x4000;
export const ES = 0x80;
export const B = 0x8000;
const CC = C0 | C1 | C2 | C3;
/** The exception flags IE..PE. */
export const EXC = 0x3f;

export const TAG_VALID = 0;
export const TAG_ZERO = 1;
export const TAG_SPECIAL = 2;
export const TAG_EMPTY = 3;

/** Selectors stored as FCS and FDS: Linux's user code and data segments. */
export const USER_CS = 0x73;
export const USER_DS = 0x7b;

export const FSAVE_SIZE = 108;
export const FENV_SIZE = 28;

/** The real indefinite (default quiet NaN) of the 80-bit format. */
export function setIndefinite(v: F80): F80 {
  return v.set(1, 0x7fff, 0xc0000000, 0);
}

/** Two-bit tag of a (non-empty) register from its contents. */
export function tagOf(v: F80): number {
  if (v.exp === 0) return v.hi === 0 && v.lo === 0 ? TAG_ZERO : TAG_SPECIAL; // zero, or (pseudo-)denormal
  if (v.exp === 0x7fff) return TAG_SPECIAL; // infinity, NaN, pseudo-NaN
  return v.hi & 0x80000000 ? TAG_VALID : TAG_SPECIAL; // an unnormal (integer bit clear) is unsupported
}

export class Fpu {
  /** Physical registers R0..R7; ST(i) is R[(top + i) & 7]. */
  readonly regs: F80[] = Array.from({ length: 8 }, () => new F80());
  /** 1 when the physical register is empty (tag 11). */
  readonly empty = new Uint8Array(8).fill(1);
  top = 0;
  cw = 0x037f;
  /** Status word bits other than TOP, ES and B: exception flags, SF, C0..C3. */
  flags = 0;
  /** Last non-control instruction: its address and opcode (low 11 bits), and its memory operand. */
  fip = 0;
  fop = 0;
  fdp = 0;
  /** Selectors of the pointers (0 after FNINIT, else the Linux user segments). */
  fcs = 0;
  fds = 0;

  /** What the arithmetic reports back; scratch values so executing an instruction allocates nothing. */
  readonly env = new FpEnv();
  readonly t0 = new F80();
  readonly t1 = new F80();
  readonly t2 = new F80();
  /** Scratch bytes for FSAVE/FRSTOR images and BCD operands. */
  readonly buf = new Uint8Array(FSAVE_SIZE);
  readonly bcd = new Uint8Array(10);

  // -------------------------------------------------------------------------------------------------
  // Registers and the stack

  /** ST(i). */
  st(i: number): F80 {
    return this.regs[(this.top + i) & 7]!;
  }

  isEmpty(i: number): boolean {
    return this.empty[(this.top + i) & 7] === 1;
  }

  /** Mark ST(i) as holding a value (after writing it). */
  fill(i: number): void {
    this.empty[(this.top + i) & 7] = 0;
  }

  /** Decrement TOP and return the new ST(0), marked valid (the caller writes it). */
  push(): F80 {
    this.top = (this.top - 1) & 7;
    this.empty[this.top] = 0;
    return this.regs[this.top]!;
  }

  /** Mark ST(0) empty and increment TOP. */
  pop(): void {
    this.empty[this.top] = 1;
    this.top = (this.top + 1) & 7;
  }

  // -------------------------------------------------------------------------------------------------
  // Status word

  /** The status word as FNSTSW reads it. */
  get sw(): number {
    const es = this.flags & ~this.cw & EXC ? ES | B : 0;
    return (this.flags & ~(ES | B | 0x3800)) | (this.top << 11) | es;
  }

  set sw(v: number) {
    this.top = (v >>> 11) & 7;
    this.flags = v & (CC | SF | EXC);
  }

  /** An unmasked exception is pending: the next waiting FPU instruction raises #MF. */
  pendingUnmasked(): boolean {
    return (this.flags & ~this.cw & EXC) !== 0;
  }

  /** Load the control word: reserved bits 13-15 read as 0 and bit 6 as 1, as the host CPU has them. */
  setCw(v: number): void {
    this.cw = (v & 0x1f3f) | 0x40;
  }

  setC1(v: number): void {
    this.flags = v ? this.flags | C1 : this.flags & ~C1;
  }

  /** Set C3, C2, C0 from a three-bit code (C3 bit 2, C2 bit 1, C0 bit 0) and clear C1. */
  setCodes(code: number): void {
    this.flags = (this.flags & ~CC) | (code & 4 ? C3 : 0) | (code & 2 ? C2 : 0) | (code & 1 ? C0 : 0);
  }

  /** Fill `env` from the control word before an operation; precision control only where it applies. */
  prepare(precision: boolean): FpEnv {
    const e = this.env;
    e.rc = (this.cw >>> 10) & 3;
    e.pc = precision ? (this.cw >>> 8) & 3 : PC_EXTENDED;
    e.masks = this.cw & EXC;
    e.exc = 0;
    e.c1 = 0;
    e.c2 = 0;
    e.quotient = 0;
    return e;
  }

  /**
   * Record the exceptions an operation detected. Returns whether its result may be written: an unmasked
   * invalid-operation, denormal or zero-divide exception suppresses it (overflow, underflow and
   * precision deliver a result even when unmasked). A suppressed operation did not run to its end:
   * as on the host CPU, the exceptions it would have raised afterwards (OE UE PE) are not recorded and
   * C1 is cleared.
   */
  report(exc: number): boolean {
    if ((exc & ~this.cw & 0x07) === 0) {
      this.flags |= exc & EXC;
      return true;
    }
    this.flags = (this.flags | (exc & 0x07)) & ~C1;
    return false;
  }

  /**
   * Stack underflow (an empty operand) or overflow (a push onto a full register): IE and SF, C1 = 1 for
   * overflow. Returns whether IE is masked, i.e. whether the destination gets the indefinite.
   */
  stackFault(overflow: boolean): boolean {
    this.flags = (this.flags & ~C1) | IE | SF | (overflow ? C1 : 0);
    return (this.cw & IE) !== 0;
  }

  /** Update the last-instruction pointers (every non-control instruction, after its operands were read). */
  point(ip: number, op: number): void {
    this.fip = ip;
    this.fop = op;
    this.fcs = USER_CS;
  }

  pointData(ip: number, op: number, addr: number): void {
    this.fip = ip;
    this.fop = op;
    this.fcs = USER_CS;
    this.fdp = addr >>> 0;
    this.fds = USER_DS;
  }

  // -------------------------------------------------------------------------------------------------
  // Whole-state operations

  /** FNINIT: control word 037F, everything else clear, all registers empty (their contents stay). */
  init(): void {
    this.cw = 0x037f;
    this.flags = 0;
    this.top = 0;
    this.empty.fill(1);
    this.fip = this.fop = this.fdp = this.fcs = this.fds = 0;
  }

  /**
   * The state for the machine digest: '' while it is FNINIT's (every integer-only thread), else the
   * control and status words and the non-empty registers, so replay compares the FPU too.
   */
  digest(): string {
    if (this.cw === 0x037f && this.flags === 0 && this.top === 0 && this.empty.every((e) => e === 1)) return '';
    const regs = this.regs.map((r, p) => (this.empty[p] ? '-' : `${r.sign}:${r.exp}:${r.hi}:${r.lo}`)).join(',');
    return `|fpu:${this.cw}:${this.sw}:${regs}`;
  }

  /** The tag word computed from the registers' contents. */
  tagWord(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) t |= (this.empty[p] ? TAG_EMPTY : tagOf(this.regs[p]!)) << (2 * p);
    return t;
  }

  /** Restore the empty flags from a tag word: only 11 means empty, other tags are recomputed. */
  setTagWord(t: number): void {
    for (let p = 0; p < 8; p++) this.empty[p] = ((t >>> (2 * p)) & 3) === TAG_EMPTY ? 1 : 0;
  }

  /** FNSTENV image (28 bytes, 32-bit protected mode); reserved upper halves are ones, as the host writes them. */
  saveEnv(out: Uint8Array, off: number): void {
    put32(out, off, 0xffff0000 | this.cw);
    put32(out, off + 4, 0xffff0000 | this.sw);
    put32(out, off + 8, 0xffff0000 | this.tagWord());
    put32(out, off + 12, this.fip);
    put32(out, off + 16, ((this.fop & 0x7ff) << 16) | this.fcs);
    put32(out, off + 20, this.fdp);
    put32(out, off + 24, 0xffff0000 | this.fds);
  }

  restoreEnv(src: Uint8Array, off: number): void {
    this.setCw(get32(src, off));
    this.sw = get32(src, off + 4) & 0xffff;
    this.setTagWord(get32(src, off + 8) & 0xffff);
    this.fip = get32(src, off + 12) >>> 0;
    const csop = get32(src, off + 16);
    this.fcs = csop & 0xffff;
    this.fop = (csop >>> 16) & 0x7ff;
    this.fdp = get32(src, off + 20) >>> 0;
    this.fds = get32(src, off + 24) & 0xffff;
  }

  /** The 108-byte FSAVE image: the environment, then ST(0)..ST(7). Does not reinitialise (FNSAVE does). */
  save(out: Uint8Array, off: number): void {
    this.saveEnv(out, off);
    for (let i = 0; i < 8; i++) writeF80(out, off + FENV_SIZE + 10 * i, this.st(i));
  }

  restore(src: Uint8Array, off: number): void {
    this.restoreEnv(src, off); // sets TOP first: the registers are in stack order
    for (let i = 0; i < 8; i++) readF80(src, off + FENV_SIZE + 10 * i, this.st(i));
  }
}

function put32(out: Uint8Array, off: number, v: number): void {
  out[off] = v;
  out[off + 1] = v >>> 8;
  out[off + 2] = v >>> 16;
  out[off + 3] = v >>> 24;
}

function get32(src: Uint8Array, off: number): number {
  return src[off]! | (src[off + 1]! << 8) | (src[off + 2]! << 16) | (src[off + 3]! << 24);
}

/** Store an 80-bit value as 10 little-endian bytes. */
export function writeF80(out: Uint8Array, off: number, v: F80): void {
  put32(out, off, v.lo);
  put32(out, off + 4, v.hi);
  const se = (v.sign << 15) | v.exp;
  out[off + 8] = se;
  out[off + 9] = se >>> 8;
}

export function readF80(src: Uint8Array, off: number, v: F80): F80 {
  const se = src[off + 8]! | (src[off + 9]! << 8);
  return v.set(se >>> 15, se & 0x7fff, get32(src, off + 4), get32(src, off));
}
