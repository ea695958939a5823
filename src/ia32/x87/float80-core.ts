/**
 * Shared internals of the x87 arithmetic (float80.ts, float80-convert.ts): operand classes, the
 * normalized unpacking of operands, NaN propagation and the one rounding/packing routine every
 * operation ends in. Everything works on 32-bit integer limbs held in module-level scratch arrays, so
 * no call allocates; JS numbers only ever hold exact integers below 2^53.
 */
import { DE, EXP_MAX, F80, FpEnv, IE, OE, PE, RC_DOWN, RC_NEAREST, RC_UP, UE } from './f80.js';

/** Operand classes; unsupported = pseudo-NaN, pseudo-infinity and unnormal encodings (invalid on 387+). */
export const K_ZERO = 0;
export const K_DENORMAL = 1;
export const K_NORMAL = 2;
export const K_INF = 3;
export const K_QNAN = 4;
export const K_SNAN = 5;
export const K_UNSUPPORTED = 6;

/** Exponent bias adjustment for results delivered with OE or UE unmasked. */
export const BIAS_ADJUST = 24576;

export function kind(x: F80): number {
  const intBit = x.hi >>> 31;
  if (x.exp === EXP_MAX) {
    if (!intBit) return K_UNSUPPORTED;
    if ((x.hi & 0x7fffffff) === 0 && x.lo === 0) return K_INF;
    return x.hi & 0x40000000 ? K_QNAN : K_SNAN;
  }
  if (x.exp === 0) return x.hi === 0 && x.lo === 0 ? K_ZERO : K_DENORMAL;
  return intBit ? K_NORMAL : K_UNSUPPORTED;
}

export function isNaNKind(k: number): boolean {
  return k === K_QNAN || k === K_SNAN;
}

/** The real indefinite: the QNaN every masked invalid operation without a NaN operand delivers. */
export function setIndefinite(out: F80): F80 {
  return out.set(1, EXP_MAX, 0xc0000000, 0);
}

/** Sets IE and writes the indefinite: the masked response to an invalid operation. */
export function invalid(out: F80, env: FpEnv): void {
  env.exc |= IE;
  setIndefinite(out);
}

/**
 * Writes the NaN result of an operation with at least one NaN operand (kinds ka, kb; pass b = a and
 * kb = K_NORMAL for one-operand forms). SNaNs raise IE and come out quieted. With two NaNs the one
 * with the larger significand wins (ignoring the quiet bit, which SDM Table 4-7 makes irrelevant: two
 * SNaNs or two QNaNs have it equal, and for a mixed pair the QNaN wins); on a tie the positive one.
 */
export function propagateNaN(out: F80, a: F80, ka: number, b: F80, kb: number, env: FpEnv): void {
  if (ka === K_SNAN || kb === K_SNAN) env.exc |= IE;
  let from = a;
  if (isNaNKind(ka) && isNaNKind(kb)) {
    if (ka !== kb) from = ka === K_QNAN ? a : b;
    else from = pickLarger(a, b);
  } else if (!isNaNKind(ka)) {
    from = b;
  }
  out.set(from.sign, EXP_MAX, from.hi | 0x40000000, from.lo);
}

function pickLarger(a: F80, b: F80): F80 {
  if (a.hi !== b.hi) return a.hi > b.hi ? a : b;
  if (a.lo !== b.lo) return a.lo > b.lo ? a : b;
  return a.sign <= b.sign ? a : b;
}

/**
 * DE for a denormal (or pseudo-denormal) operand. Returns true when DE is unmasked: the x87 then stops
 * before computing anything (no further flags), and the caller leaves the destination alone.
 */
export function noteDenormal(ka: number, kb: number, env: FpEnv): boolean {
  if (ka !== K_DENORMAL && kb !== K_DENORMAL) return false;
  env.exc |= DE;
  return (env.masks & DE) === 0;
}

/**
 * Normalized operands: significand halves in NS[2*slot], NS[2*slot+1] with the integer bit set, and
 * the biased exponent in NE[slot] (below 1 for denormals). Only for finite non-zero values.
 */
export const NS = new Uint32Array(4);
export const NE = new Int32Array(2);

export function unpack(x: F80, slot: number): void {
  let hi = x.hi;
  let lo = x.lo;
  // Denormals (and pseudo-denormals) have the exponent of the smallest normal, 1.
  let e = x.exp === 0 ? 1 : x.exp;
  if (hi === 0) {
    hi = lo;
    lo = 0;
    e -= 32;
  }
  const n = Math.clz32(hi);
  if (n) {
    hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    lo = (lo << n) >>> 0;
    e -= n;
  }
  NS[2 * slot] = hi;
  NS[2 * slot + 1] = lo;
  NE[slot] = e;
}

/**
 * The 128-bit working significand every result goes through before rounding: W[0] is the top limb
 * (bit 31 = the integer bit when normalized). Operations that discard bits below W[3] OR a 1 into the
 * bottom bit (a "sticky" bit), which is enough for correct rounding as long as 2+ bits separate it from
 * the rounding position.
 */
export const W = new Uint32Array(4);

/** Shifts W right by n (any n >= 0), ORing everything shifted out into the bottom bit. */
export function shiftRightJam(n: number): void {
  if (n <= 0) return;
  let sticky = 0;
  while (n >= 32) {
    sticky |= W[3]!;
    W[3] = W[2]!;
    W[2] = W[1]!;
    W[1] = W[0]!;
    W[0] = 0;
    n -= 32;
    if (W[0] === 0 && W[1] === 0 && W[2] === 0 && W[3] === 0) break;
  }
  if (n > 0 && n < 32) {
    sticky |= W[3]! << (32 - n);
    W[3] = ((W[3]! >>> n) | (W[2]! << (32 - n))) >>> 0;
    W[2] = ((W[2]! >>> n) | (W[1]! << (32 - n))) >>> 0;
    W[1] = ((W[1]! >>> n) | (W[0]! << (32 - n))) >>> 0;
    W[0] = W[0]! >>> n;
  }
  if (sticky) W[3] = (W[3]! | 1) >>> 0;
}

/** Shifts W left until bit 127 is set; returns the shift count (W must be non-zero). */
export function normalizeW(): number {
  let s = 0;
  while (W[0] === 0) {
    W[0] = W[1]!;
    W[1] = W[2]!;
    W[2] = W[3]!;
    W[3] = 0;
    s += 32;
  }
  const n = Math.clz32(W[0]!);
  if (n) {
    W[0] = ((W[0]! << n) | (W[1]! >>> (32 - n))) >>> 0;
    W[1] = ((W[1]! << n) | (W[2]! >>> (32 - n))) >>> 0;
    W[2] = ((W[2]! << n) | (W[3]! >>> (32 - n))) >>> 0;
    W[3] = (W[3]! << n) >>> 0;
  }
  return s + n;
}

/** Whether the last roundW carried out of bit 127. */
export function roundCarried(): boolean {
  return carryOut !== 0;
}

/** Set by roundW when the increment carried out of bit 127 (W then holds 0 and the caller renormalizes). */
let carryOut = 0;

/**
 * Rounds W to its top `prec` bits (24, 53 or 64) by rc, clearing the bits below. Returns 0 when exact,
 * 1 when inexact and truncated, 2 when inexact and the magnitude was incremented.
 */
export function roundW(prec: number, rc: number, sign: number): number {
  carryOut = 0;
  // lsb mask within limb `li`; everything below it is the discarded part.
  const li = prec > 32 ? 1 : 0;
  const lsbBit = prec > 32 ? 64 - prec : 32 - prec;
  const lsb = (1 << lsbBit) >>> 0;
  const lowMask = lsb - 1;
  const half = lsbBit === 0 ? 0x80000000 : lsb >>> 1;
  const limb = W[li]!;
  // The discarded bits: (limb & lowMask) then all lower limbs.
  let roundBits = 0; // the bit right below the lsb
  let rest = 0; // anything below that
  if (lsbBit === 0) {
    const next = W[li + 1]!;
    roundBits = next & half;
    rest = (next & 0x7fffffff) | (li + 2 < 4 ? W[li + 2]! : 0) | (li + 3 < 4 ? W[li + 3]! : 0);
  } else {
    roundBits = limb & half;
    rest = limb & (half - 1);
    for (let i = li + 1; i < 4; i++) rest |= W[i]!;
  }
  for (let i = li + 1; i < 4; i++) W[i] = 0;
  W[li] = (limb & ~lowMask) >>> 0;
  if (!roundBits && !rest) return 0;
  let up = false;
  if (rc === RC_NEAREST) up = roundBits !== 0 && (rest !== 0 || (limb & lsb) !== 0);
  else if (rc === RC_UP) up = sign === 0;
  else if (rc === RC_DOWN) up = sign === 1;
  if (!up) return 1;
  let sum = W[li]! + lsb;
  W[li] = sum >>> 0;
  if (sum > 0xffffffff && li === 1) {
    sum = W[0]! + 1;
    W[0] = sum >>> 0;
  }
  if (sum > 0xffffffff) carryOut = 1;
  return 2;
}

export function precisionBits(pc: number): number {
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

/**
 * Rounds the normalized W (value W * 2^(exp - 16383 - 127)) to `prec` bits by env.rc and packs it into
 * out, with the x87's masked and unmasked overflow and underflow responses. The caller has set the sign
 * and handled zero results. Tininess is detected after rounding (as the host x87 does): a result that
 * rounds up to the smallest normal does not underflow.
 */
export function roundPack(out: F80, sign: number, exp: number, env: FpEnv, prec: number): void {
  let e = exp;
  if (e < 1) {
    if (env.masks & UE) {
      packDenormal(out, sign, e, env, prec);
      return;
    }
    if (e + BIAS_ADJUST < 1) {
      // Unmasked, but too tiny even for the bias adjustment (FSCALE): the host delivers a signed zero.
      env.exc |= UE | PE;
      out.set(sign, 0, 0, 0);
      return;
    }
    if (!tinyAfterRounding(e, env.rc, sign, prec)) {
      packNormal(out, sign, e, env, prec);
      return;
    }
    // Unmasked: deliver the normalized result scaled up, and report the underflow.
    env.exc |= UE;
    e += BIAS_ADJUST;
  }
  packNormal(out, sign, e, env, prec);
}

function packNormal(out: F80, sign: number, exp: number, env: FpEnv, prec: number): void {
  let e = exp;
  const r = roundW(prec, env.rc, sign);
  if (carryOut) {
    W[0] = 0x80000000;
    e++;
  }
  if (r) env.exc |= PE;
  if (r === 2) env.c1 = 1;
  if (e >= EXP_MAX) {
    overflow(out, sign, e, env, prec, r);
    return;
  }
  // A result rounded up from below the normal range to exactly the smallest normal lands here with e = 1.
  out.set(sign, e < 1 ? 0 : e, W[0]!, W[1]!);
}

function overflow(out: F80, sign: number, e: number, env: FpEnv, prec: number, r: number): void {
  env.exc |= OE;
  if (!(env.masks & OE)) {
    if (e - BIAS_ADJUST < EXP_MAX) {
      out.set(sign, e - BIAS_ADJUST, W[0]!, W[1]!);
      if (r) env.exc |= PE;
      return;
    }
    // Too large even for the bias adjustment (FSCALE): the host delivers a signed infinity.
    env.exc |= PE;
    env.c1 = 1;
    out.set(sign, EXP_MAX, 0x80000000, 0);
    return;
  }
  env.exc |= PE;
  const rc = env.rc;
  const toInf = rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign === 1);
  if (toInf) {
    env.c1 = 1;
    out.set(sign, EXP_MAX, 0x80000000, 0);
    return;
  }
  env.c1 = 0;
  setLargest(out, sign, prec);
}

/** The largest finite value with a `prec`-bit significand. */
export function setLargest(out: F80, sign: number, prec: number): void {
  if (prec === 64) out.set(sign, EXP_MAX - 1, 0xffffffff, 0xffffffff);
  else if (prec === 53) out.set(sign, EXP_MAX - 1, 0xffffffff, 0xfffff800);
  else out.set(sign, EXP_MAX - 1, 0xffffff00, 0);
}

const SAVE = new Uint32Array(4);

/** Would W at exponent e (< 1), rounded to prec bits with an unbounded exponent, stay below 2^-16382? */
export function tinyAfterRounding(e: number, rc: number, sign: number, prec: number): boolean {
  if (e < 0) return true;
  SAVE.set(W);
  roundW(prec, rc, sign);
  const tiny = carryOut === 0;
  W.set(SAVE);
  carryOut = 0;
  return tiny;
}

function packDenormal(out: F80, sign: number, e: number, env: FpEnv, prec: number): void {
  const tiny = tinyAfterRounding(e, env.rc, sign, prec);
  shiftRightJam(1 - e);
  const r = roundW(prec, env.rc, sign);
  if (r) env.exc |= PE;
  if (r === 2) env.c1 = 1;
  if (r && tiny) env.exc |= UE;
  // Rounding may carry into the integer bit: the smallest normal (exponent 1).
  out.set(sign, W[0]! >>> 31 ? 1 : 0, W[0]!, W[1]!);
}

/** Loads a 64-bit significand into W (the low half zero). */
export function loadW(hi: number, lo: number): void {
  W[0] = hi;
  W[1] = lo;
  W[2] = 0;
  W[3] = 0;
}

