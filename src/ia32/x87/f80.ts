/**
 * The 80-bit extended-precision value of the x87 FPU and the environment an arithmetic operation runs
 * in. Values are held in integers (a JS number cannot hold a 64-bit significand): sign, the 15-bit
 * biased exponent, and the 64-bit significand as two unsigned 32-bit halves, with the explicit integer
 * bit at bit 31 of `hi`. Shared by the arithmetic (float80.ts), the transcendental instructions
 * (transcendental.ts) and the FPU (fpu.ts). Operations write into an `out` value that may alias an
 * input, so the hot path allocates nothing.
 */

export class F80 {
  /** 0 or 1. */
  sign = 0;
  /** Biased exponent, 0..0x7fff (bias 16383). */
  exp = 0;
  /** Significand bits 63..32 (bit 31 is the explicit integer bit), unsigned. */
  hi = 0;
  /** Significand bits 31..0, unsigned. */
  lo = 0;

  set(sign: number, exp: number, hi: number, lo: number): this {
    this.sign = sign;
    this.exp = exp;
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  copy(from: F80): this {
    this.sign = from.sign;
    this.exp = from.exp;
    this.hi = from.hi;
    this.lo = from.lo;
    return this;
  }
}

export const EXP_BIAS = 16383;
export const EXP_MAX = 0x7fff;

/** Exception flags, in status-word (and control-word mask) bit positions. */
export const IE = 0x01;
export const DE = 0x02;
export const ZE = 0x04;
export const OE = 0x08;
export const UE = 0x10;
export const PE = 0x20;
/** Stack fault (status word only; comes with IE). */
export const SF = 0x40;

/** Rounding control (control word bits 10-11). */
export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_ZERO = 3;

/** Precision control (control word bits 8-9): 24, (reserved), 53, 64 bits. */
export const PC_SINGLE = 0;
export const PC_DOUBLE = 2;
export const PC_EXTENDED = 3;

/**
 * What an operation needs from the control word, and what it reports back. The FPU fills `rc`, `pc`
 * and `masks` before an operation and clears `exc` and `c1`; the operation ORs the exceptions it
 * detected into `exc` and sets `c1` when it rounded up (the x87's C1 "round up" indication).
 * Operations that produce more than one value use the extra fields.
 */
export class FpEnv {
  rc = RC_NEAREST;
  pc = PC_EXTENDED;
  /** Control-word exception masks (IE..PE); a set bit means masked. */
  masks = 0x3f;
  /** Exceptions detected by the last operation (IE..PE). */
  exc = 0;
  /** C1 as the operation leaves it (round-up indication; 0 when the result was not rounded up). */
  c1 = 0;
  /** FPREM/FPREM1: C2 (incomplete reduction) and the low three quotient bits (q2 q1 q0). */
  c2 = 0;
  quotient = 0;
  /** Integer results of conversions (two's complement, split in unsigned halves) and float images. */
  ihi = 0;
  ilo = 0;
}
