/**
 * Significand arithmetic of the x87 core on 32-bit limbs: the 64x64 product, the aligned sum and
 * difference, the division (21-bit digits), the square root (a double estimate made exact on the
 * remainder) and the bit-serial remainder. Results land in the 128-bit W of float80-core.ts. Every
 * product and sum held in a number is an exact integer below 2^53; doubles only estimate digits that
 * an exact remainder then corrects.
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

const TWO32 = 4294967296;

/** ORs the c-bit value q into W with its top bit at bit index pos (0 = bit 31 of W[0]). */
function putBits(q: number, c: number, pos: number): void {
  const e = pos + c - 1;
  const limb = e >>> 5;
  const sh = 31 - (e & 31);
  W[limb] = (W[limb]! | (q << sh)) >>> 0;
  if (sh > 32 - c) W[limb - 1] = (W[limb - 1]! | (q >>> (32 - sh))) >>> 0;
}

/**
 * W = the normalized quotient (ah:al)/(bh:bl) to 66 bits plus a sticky bit. Returns 1 when A < B (the
 * quotient's exponent is one less), else 0. B is normalized (bit 31 of bh set). Long division in
 * digits of up to 21 bits: each digit is estimated from the top 53 bits of the shifted remainder over
 * bh (never below the true digit: floor of a rounded quotient of exact integers is monotone), then
 * R*2^c - q*B is formed exactly (every product below 2^53) and B added back while it is negative.
 */
export function divideSig(ah: number, al: number, bh: number, bl: number): number {
  const less = compareMag(ah, al, bh, bl) < 0 ? 1 : 0;
  let r1 = ah;
  let r0 = al;
  W[0] = 0;
  W[1] = 0;
  W[2] = 0;
  W[3] = 0;
  if (!less) {
    // The integer bit is 1: R = A - B.
    const lo = r0 - bl;
    r0 = lo >>> 0;
    r1 = (r1 - bh - (lo < 0 ? 1 : 0)) >>> 0;
    W[0] = 0x80000000;
  }
  // Fraction bits 1..65+less of A/B; fraction bit f goes to W bit index f - less.
  let pos = 1 - less;
  let left = 65 + less;
  while (left > 0) {
    const c = left > 21 ? 21 : left;
    // T = R * 2^c as t2:t1:t0 (t2 below 2^c).
    const t2 = r1 >>> (32 - c);
    const t1 = ((r1 << c) | (r0 >>> (32 - c))) >>> 0;
    const t0 = (r0 << c) >>> 0;
    let q = Math.floor((t2 * TWO32 + t1) / bh);
    const qmax = (1 << c) - 1;
    if (q > qmax) q = qmax;
    // R = T - q*B; q*bl and q*bh + carry stay below 2^53.
    const p0 = q * bl;
    const p0h = Math.floor(p0 / TWO32);
    const d0 = t0 - (p0 - p0h * TWO32);
    r0 = d0 >>> 0;
    const p1 = q * bh + p0h + (d0 < 0 ? 1 : 0);
    const p1h = Math.floor(p1 / TWO32);
    const d1 = t1 - (p1 - p1h * TWO32);
    r1 = d1 >>> 0;
    let top = t2 - p1h - (d1 < 0 ? 1 : 0);
    while (top < 0) {
      q--;
      const s0 = r0 + bl;
      r0 = s0 >>> 0;
      const s1 = r1 + bh + (s0 > 0xffffffff ? 1 : 0);
      r1 = s1 >>> 0;
      if (s1 > 0xffffffff) top++;
    }
    putBits(q, c, pos);
    pos += c;
    left -= c;
  }
  if (r1 || r0) W[3] = 1;
  return less;
}

/** The square root candidate r = c2:c1:c0 and its remainder F = T - r^2 mod 2^96 (f2:f1:f0). */
let c2 = 0;
let c1 = 0;
let c0 = 0;
let f2 = 0;
let f1 = 0;
let f0 = 0;

/** r = m * 2^13 + low (m an integer up to 2^53, 0 <= low < 2^13). */
function setRoot(m: number, low: number): void {
  const mh = Math.floor(m / TWO32);
  const ml = m - mh * TWO32;
  c0 = ((ml << 13) | low) >>> 0;
  c1 = ((mh << 13) | (ml >>> 19)) >>> 0;
  c2 = mh >>> 19;
}

/** F = T - r^2 mod 2^96, where T mod 2^96 = t2 * 2^64. */
function rootRemainder(t2: number): void {
  mul32(c0, c0);
  const s0 = ml;
  let s1 = mh;
  mul32(c0, c1);
  // 2 * c0 * c1 at limb 1, c1^2 + 2 * c0 * c2 at limb 2 (mod 2^96).
  const a = s1 + ((ml << 1) >>> 0);
  s1 = a >>> 0;
  const s2 = (((mh << 1) | (ml >>> 31)) + (a > 0xffffffff ? 1 : 0) + Math.imul(c1, c1) + (Math.imul(c0, c2) << 1)) >>> 0;
  f0 = -s0 >>> 0;
  const b0 = s0 !== 0 ? 1 : 0;
  f1 = (-s1 - b0) >>> 0;
  const b1 = s1 + b0 > 0 ? 1 : 0;
  f2 = (t2 - s2 - b1) >>> 0;
}

/**
 * W = sqrt of the significand (hi:lo as [1,2), or [2,4) when `odd`), 66 bits plus a sticky bit: the root
 * r = floor(sqrt(T)) of T = M * 2^(67 + odd) and the sticky bit T != r^2. A double square root gives r to
 * about 2^14; one Newton step on the exact remainder T - y^2 (small, so exact modulo 2^96) brings it
 * within one, and the exact remainder then steps r to the floor.
 */
export function sqrtSig(hi: number, lo: number, odd: number): void {
  const t2 = (lo << (3 + odd)) >>> 0;
  // sqrt(M * 2^(1 + odd)) in [2^32, 2^33); r is about that times 2^33.
  const s = Math.sqrt((hi * TWO32 + lo) * (odd ? 4 : 2));
  const m = Math.floor(s * 1048576);
  setRoot(m, 0);
  rootRemainder(t2);
  // r += F / 2r, with F = T - r^2 as a signed 96-bit value (|F| is far below 2^95).
  const fd = (f2 | 0) * 18446744073709551616 + f1 * TWO32 + f0;
  const d = Math.floor(fd / (m * 16384));
  setRoot(m + (d >> 13), d & 8191);
  for (;;) {
    rootRemainder(t2);
    if (f2 >>> 31) {
      // F < 0: r is too big.
      if (c0 === 0) {
        if (c1 === 0) c2--;
        c1 = (c1 - 1) >>> 0;
      }
      c0 = (c0 - 1) >>> 0;
      continue;
    }
    // F > 2r: r is too small.
    const r2 = (c2 << 1) | (c1 >>> 31);
    const r1 = ((c1 << 1) | (c0 >>> 31)) >>> 0;
    const r0 = (c0 << 1) >>> 0;
    if (f2 > r2 || (f2 === r2 && (f1 > r1 || (f1 === r1 && f0 > r0)))) {
      c0 = (c0 + 1) >>> 0;
      if (c0 === 0) {
        c1 = (c1 + 1) >>> 0;
        if (c1 === 0) c2++;
      }
      continue;
    }
    break;
  }
  W[0] = ((c2 << 30) | (c1 >>> 2)) >>> 0;
  W[1] = ((c1 << 30) | (c0 >>> 2)) >>> 0;
  W[2] = (c0 << 30) >>> 0;
  W[3] = f2 || f1 || f0 ? 1 : 0;
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

