/**
 * Significand arithmetic of the x87 core on 32-bit limbs: the 64x64 product, the aligned sum and
 * difference, bit-serial division, square root and remainder. Results land in the 128-bit W of
 * float80-core.ts. Products of 16-bit halves keep every intermediate an exact integer below 2^53.
 */
import { NE, NS, W, normalizeW, shiftRightJam } from './float80-core.js';

/** Result of mul32: the high and low 32 bits of a 32x32 product. */
let mh = 0;
let ml = 0;

/** 32x32 -> 64 from 16-bit partial products (each below 2^32, every sum below 2^34). */
function mul32(a: number, b: number): void {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  ml = ((mid << 16) | (ll & 0xffff)) >>> 0;
  mh = (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Sum of add32 and its carry out of bit 31. */
let sum = 0;
let carry = 0;

function add32(x: number, y: number): void {
  const s = (x + y) >>> 0;
  carry = s < x ? 1 : 0;
  sum = s;
}

/** W = (ah:al) * (bh:bl), the full 128-bit product. */
export function mul64(ah: number, al: number, bh: number, bl: number): void {
  mul32(al, bl);
  W[3] = ml;
  let w2 = mh;
  mul32(ah, bl);
  add32(w2, ml);
  w2 = sum;
  let w1 = mh + carry; // mh <= 2^32 - 2, so no overflow
  mul32(al, bh);
  add32(w2, ml);
  W[2] = sum;
  add32(w1, carry);
  w1 = sum;
  let w0 = carry;
  add32(w1, mh);
  w1 = sum;
  w0 += carry;
  mul32(ah, bh);
  add32(w1, ml);
  W[1] = sum;
  W[0] = (mh + w0 + carry) >>> 0;
}

export function compareMag(ah: number, al: number, bh: number, bl: number): number {
  if (ah !== bh) return ah > bh ? 1 : -1;
  if (al !== bl) return al > bl ? 1 : -1;
  return 0;
}

/** The aligned smaller operand of an addition. */
const X = new Uint32Array(4);

/**
 * Adds the unpacked operands (slots 0 and 1 of NS/NE) with effective signs as, bs. Leaves the
 * normalized sum in W and its exponent in NE[0]; returns its sign, or -1 for an exact zero.
 */
export function addSig(as: number, bs: number): number {
  let big = 0;
  if (NE[1]! > NE[0]! || (NE[1] === NE[0] && compareMag(NS[2]!, NS[3]!, NS[0]!, NS[1]!) > 0)) big = 1;
  const small = 1 - big;
  const sign = big ? bs : as;
  let e = NE[big]!;
  const d = e - NE[small]!;
  // Shift the smaller operand in W (the shared shifter), then move it to X.
  W[0] = NS[2 * small]!;
  W[1] = NS[2 * small + 1]!;
  W[2] = 0;
  W[3] = 0;
  shiftRightJam(d);
  X.set(W);
  W[0] = NS[2 * big]!;
  W[1] = NS[2 * big + 1]!;
  W[2] = 0;
  W[3] = 0;
  if (as === bs) {
    let c = 0;
    for (let i = 3; i >= 0; i--) {
      const s = W[i]! + X[i]! + c;
      W[i] = s >>> 0;
      c = s > 0xffffffff ? 1 : 0;
    }
    if (c) {
      shiftRightJam(1);
      W[0] = (W[0]! | 0x80000000) >>> 0;
      e++;
    }
  } else {
    let borrow = 0;
    for (let i = 3; i >= 0; i--) {
      const s = W[i]! - X[i]! - borrow;
      W[i] = s >>> 0;
      borrow = s < 0 ? 1 : 0;
    }
    if (W[0] === 0 && W[1] === 0 && W[2] === 0 && W[3] === 0) return -1;
    e -= normalizeW();
  }
  NE[0] = e;
  return sign;
}

/**
 * W = the normalized quotient (ah:al)/(bh:bl) to 66 bits plus a sticky bit. Returns 1 when A < B (the
 * quotient's exponent is one less), else 0.
 */
export function divideSig(ah: number, al: number, bh: number, bl: number): number {
  let r2 = 0;
  let r1 = ah;
  let r0 = al;
  const less = compareMag(ah, al, bh, bl) < 0 ? 1 : 0;
  W.fill(0);
  for (let i = 0; i < 66 + less; i++) {
    if (r2 || r1 > bh || (r1 === bh && r0 >= bl)) {
      const lo = r0 - bl;
      r0 = lo >>> 0;
      r1 = (r1 - bh - (lo < 0 ? 1 : 0)) >>> 0;
      r2 = 0;
      // Bit i - less of the quotient (the first step of a smaller A yields the 0 integer bit).
      const k = i - less;
      if (k >= 0) W[k >>> 5] = (W[k >>> 5]! | (0x80000000 >>> (k & 31))) >>> 0;
    }
    r2 = r1 >>> 31;
    r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
    r0 = (r0 << 1) >>> 0;
  }
  if (r2 || r1 || r0) W[3] = 1;
  return less;
}

/** Three-limb scratch for the square root: the remainder and the trial value. */
const REM = new Uint32Array(3);
const TRY = new Uint32Array(3);
const ROOT = new Uint32Array(3);

function shl3(a: Uint32Array, n: number): void {
  a[0] = ((a[0]! << n) | (a[1]! >>> (32 - n))) >>> 0;
  a[1] = ((a[1]! << n) | (a[2]! >>> (32 - n))) >>> 0;
  a[2] = (a[2]! << n) >>> 0;
}

function ge3(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

function sub3(a: Uint32Array, b: Uint32Array): void {
  let borrow = 0;
  for (let i = 2; i >= 0; i--) {
    const s = a[i]! - b[i]! - borrow;
    a[i] = s >>> 0;
    borrow = s < 0 ? 1 : 0;
  }
}

/** Bit k of T = M * 2^shift (M = hi:lo). */
function radicandBit(hi: number, lo: number, shift: number, k: number): number {
  const j = k - shift;
  if (j < 0 || j > 63) return 0;
  return j >= 32 ? (hi >>> (j - 32)) & 1 : (lo >>> j) & 1;
}

/**
 * W = sqrt of the significand (hi:lo as [1,2), or [2,4) when `odd`), 66 bits plus a sticky bit, by the
 * digit-by-digit method on T = M * 2^(67 + odd).
 */
export function sqrtSig(hi: number, lo: number, odd: number): void {
  const shift = 67 + odd;
  REM.fill(0);
  ROOT.fill(0);
  for (let i = 0; i < 66; i++) {
    const pair = (radicandBit(hi, lo, shift, 131 - 2 * i) << 1) | radicandBit(hi, lo, shift, 130 - 2 * i);
    shl3(REM, 2);
    REM[2] = (REM[2]! | pair) >>> 0;
    TRY.set(ROOT);
    shl3(TRY, 2);
    TRY[2] = (TRY[2]! | 1) >>> 0;
    shl3(ROOT, 1);
    if (ge3(REM, TRY)) {
      sub3(REM, TRY);
      ROOT[2] = (ROOT[2]! | 1) >>> 0;
    }
  }
  // The 66-bit root to the top of W.
  W[0] = ((ROOT[0]! << 30) | (ROOT[1]! >>> 2)) >>> 0;
  W[1] = ((ROOT[1]! << 30) | (ROOT[2]! >>> 2)) >>> 0;
  W[2] = (ROOT[2]! << 30) >>> 0;
  W[3] = REM[0] || REM[1] || REM[2] ? 1 : 0;
}

/**
 * The partial remainder of A * 2^d by B (d >= 0) for FPREM/FPREM1, exact: leaves the remainder in
 * W[0..1] (W[2..3] = 0) in units of B's lsb and returns the low three quotient bits, plus 8 when the
 * quotient was rounded up (FPREM1 only), which makes the remainder B - r with the opposite sign.
 */
export function remainderSig(ah: number, al: number, bh: number, bl: number, d: number, round: boolean): number {
  let r2 = 0;
  let r1 = ah;
  let r0 = al;
  let q = 0;
  for (let i = 0; i <= d; i++) {
    if (i > 0) {
      r2 = r1 >>> 31;
      r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
      r0 = (r0 << 1) >>> 0;
    }
    q = (q << 1) & 7;
    if (r2 || r1 > bh || (r1 === bh && r0 >= bl)) {
      const lo = r0 - bl;
      r0 = lo >>> 0;
      r1 = (r1 - bh - (lo < 0 ? 1 : 0)) >>> 0;
      q |= 1;
    }
  }
  let flip = 0;
  if (round) {
    // Compare 2r with B: above half, or exactly half with an odd quotient, rounds the quotient up.
    const t1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
    const t0 = (r0 << 1) >>> 0;
    const over = r1 >>> 31 ? 1 : compareMag(t1, t0, bh, bl);
    if (over > 0 || (over === 0 && q & 1)) {
      const lo = bl - r0;
      r0 = lo >>> 0;
      r1 = (bh - r1 - (lo < 0 ? 1 : 0)) >>> 0;
      q = (q + 1) & 7;
      flip = 8;
    }
  }
  W[0] = r1;
  W[1] = r0;
  W[2] = 0;
  W[3] = 0;
  return q | flip;
}

/** W[0..1] = 2B - A (for FPREM1 with an exponent difference of -1 and A > B). */
export function twiceMinus(ah: number, al: number, bh: number, bl: number): void {
  const b1 = ((bh << 1) | (bl >>> 31)) >>> 0;
  const b0 = (bl << 1) >>> 0;
  const lo = b0 - al;
  W[0] = (b1 - ah - (lo < 0 ? 1 : 0)) >>> 0;
  W[1] = lo >>> 0;
  W[2] = 0;
  W[3] = 0;
}

