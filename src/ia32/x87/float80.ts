/**
 * The x87 80-bit arithmetic in integer math: FADD/FSUB/FMUL/FDIV/FSQRT with precision and rounding
 * control, the comparisons, FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1 and the constant loads. Results are
 * bit-exact with a real x87 (checked against the host CPU by test/ia32/float80.test.ts). Every function
 * writes into `out` (which may alias an operand) and ORs the exceptions it detects into env.exc (the
 * caller clears env.exc and env.c1 first). With IE or ZE unmasked and raised the caller discards `out`;
 * with DE unmasked and a denormal operand the function stops right after setting DE, as the x87 does
 * (no other flag, `out` untouched).
 */
import { EXP_BIAS, EXP_MAX, F80, FpEnv, IE, PE, RC_DOWN, RC_UP, ZE } from './f80.js';
import {
  K_DENORMAL, K_INF, K_NORMAL, K_SNAN, K_UNSUPPORTED, K_ZERO, NE, NS, W, invalid, isNaNKind, kind, loadW,
  noteDenormal, normalizeW, precisionBits, propagateNaN, roundPack, roundW, shiftRightJam, unpack,
} from './float80-core.js';
import { addSig, compareMag, divideSig, mul64, remainderSig, sqrtSig, twiceMinus } from './float80-mant.js';

export * from './float80-convert.js';
export { K_DENORMAL, K_INF, K_NORMAL, K_QNAN, K_SNAN, K_UNSUPPORTED, K_ZERO, kind } from './float80-core.js';

/**
 * Common operand screening of the two-operand arithmetic: unsupported encodings are invalid, NaNs
 * propagate (no DE then), denormals report DE. Returns true when the operation is finished: `out`
 * holds the result, or DE is unmasked and nothing more happens.
 */
function screen2(out: F80, a: F80, ka: number, b: F80, kb: number, env: FpEnv): boolean {
  return screenNaN(out, a, ka, b, kb, env) || noteDenormal(ka, kb, env);
}

/** Unsupported encodings and NaNs only (no DE); true when `out` holds the result. */
function screenNaN(out: F80, a: F80, ka: number, b: F80, kb: number, env: FpEnv): boolean {
  if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) {
    invalid(out, env);
    return true;
  }
  if (isNaNKind(ka) || isNaNKind(kb)) {
    propagateNaN(out, a, ka, b, kb, env);
    return true;
  }
  return false;
}

export function add(out: F80, a: F80, b: F80, env: FpEnv): void {
  addSigned(out, a, b, b.sign, env);
}

export function sub(out: F80, a: F80, b: F80, env: FpEnv): void {
  addSigned(out, a, b, b.sign ^ 1, env);
}

/** a + (b with sign bs). */
function addSigned(out: F80, a: F80, b: F80, bs: number, env: FpEnv): void {
  const ka = kind(a);
  const kb = kind(b);
  if (screen2(out, a, ka, b, kb, env)) return;
  const as = a.sign;
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_INF && kb === K_INF && as !== bs) invalid(out, env);
    else out.set(ka === K_INF ? as : bs, EXP_MAX, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO && kb === K_ZERO) {
    // Like signs keep the sign; opposite signs give +0, or -0 when rounding down.
    out.set(as === bs ? as : env.rc === RC_DOWN ? 1 : 0, 0, 0, 0);
    return;
  }
  const prec = precisionBits(env.pc);
  if (kb === K_ZERO || ka === K_ZERO) {
    // x + 0 is x rounded to the precision (and denormalized again if tiny).
    const x = ka === K_ZERO ? b : a;
    unpack1(x);
    loadW(NS[0]!, NS[1]!);
    roundPack(out, ka === K_ZERO ? bs : as, NE[0]!, env, prec);
    return;
  }
  unpack2(a, b);
  const sign = addSig(as, bs);
  if (sign < 0) {
    out.set(env.rc === RC_DOWN ? 1 : 0, 0, 0, 0);
    return;
  }
  roundPack(out, sign, NE[0]!, env, prec);
}

function unpack1(x: F80): void {
  unpack(x, 0);
}

function unpack2(a: F80, b: F80): void {
  unpack(a, 0);
  unpack(b, 1);
}

export function mul(out: F80, a: F80, b: F80, env: FpEnv): void {
  const ka = kind(a);
  const kb = kind(b);
  if (screen2(out, a, ka, b, kb, env)) return;
  const sign = a.sign ^ b.sign;
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_ZERO || kb === K_ZERO) invalid(out, env);
    else out.set(sign, EXP_MAX, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO || kb === K_ZERO) {
    out.set(sign, 0, 0, 0);
    return;
  }
  unpack2(a, b);
  mul64(NS[0]!, NS[1]!, NS[2]!, NS[3]!);
  // The product of two [1,2) significands is in [1,4): bit 127 set means the upper half.
  let e = NE[0]! + NE[1]! - EXP_BIAS + 1;
  e -= normalizeW();
  roundPack(out, sign, e, env, precisionBits(env.pc));
}

export function div(out: F80, a: F80, b: F80, env: FpEnv): void {
  const ka = kind(a);
  const kb = kind(b);
  if (screenNaN(out, a, ka, b, kb, env)) return;
  const sign = a.sign ^ b.sign;
  // Division by zero is detected before the denormal check (a denormal dividend reports only ZE).
  if (kb === K_ZERO) {
    if (ka === K_ZERO) invalid(out, env);
    else {
      if (ka !== K_INF) env.exc |= ZE;
      out.set(sign, EXP_MAX, 0x80000000, 0);
    }
    return;
  }
  if (noteDenormal(ka, kb, env)) return;
  if (ka === K_INF) {
    if (kb === K_INF) invalid(out, env);
    else out.set(sign, EXP_MAX, 0x80000000, 0);
    return;
  }
  if (kb === K_INF) {
    out.set(sign, 0, 0, 0);
    return;
  }
  if (ka === K_ZERO) {
    out.set(sign, 0, 0, 0);
    return;
  }
  unpack2(a, b);
  const e = NE[0]! - NE[1]! + EXP_BIAS - divideSig(NS[0]!, NS[1]!, NS[2]!, NS[3]!);
  roundPack(out, sign, e, env, precisionBits(env.pc));
}

/** A one-operand operation's answer for an unsupported encoding (invalid) or a NaN (propagated). */
function nonNumeric(out: F80, a: F80, ka: number, env: FpEnv): boolean {
  if (ka === K_UNSUPPORTED) invalid(out, env);
  else if (isNaNKind(ka)) propagateNaN(out, a, ka, a, K_NORMAL, env);
  else return false;
  return true;
}

export function sqrt(out: F80, a: F80, env: FpEnv): void {
  const ka = kind(a);
  if (nonNumeric(out, a, ka, env)) return;
  if (ka === K_ZERO) {
    out.set(a.sign, 0, 0, 0);
    return;
  }
  // A negative operand is invalid before the denormal check.
  if (a.sign) {
    invalid(out, env);
    return;
  }
  if (noteDenormal(ka, K_NORMAL, env)) return;
  if (ka === K_INF) {
    out.set(0, EXP_MAX, 0x80000000, 0);
    return;
  }
  unpack1(a);
  const ue = NE[0]! - EXP_BIAS;
  sqrtSig(NS[0]!, NS[1]!, ue & 1);
  roundPack(out, 0, (ue >> 1) + EXP_BIAS, env, precisionBits(env.pc));
}

/** Compare results: a > b, a < b, equal, unordered (the caller maps them to C3 C2 C0). */
export const CMP_GREATER = 0;
export const CMP_LESS = 1;
export const CMP_EQUAL = 2;
export const CMP_UNORDERED = 3;

/**
 * FCOM (quiet = false) / FUCOM (quiet = true). Unsupported encodings are invalid for both; an SNaN
 * always, a QNaN only for FCOM.
 */
export function compare(a: F80, b: F80, env: FpEnv, quiet: boolean): number {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) {
    env.exc |= IE;
    return CMP_UNORDERED;
  }
  if (isNaNKind(ka) || isNaNKind(kb)) {
    if (!quiet || ka === K_SNAN || kb === K_SNAN) env.exc |= IE;
    return CMP_UNORDERED;
  }
  noteDenormal(ka, kb, env);
  if (ka === K_ZERO && kb === K_ZERO) return CMP_EQUAL;
  if (a.sign !== b.sign) return a.sign ? CMP_LESS : CMP_GREATER;
  const m = compareMagnitude(a, ka, b, kb);
  if (m === 0) return CMP_EQUAL;
  return (m > 0) !== (a.sign === 1) ? CMP_GREATER : CMP_LESS;
}

/** Sign of |a| - |b| for non-NaN supported operands. */
function compareMagnitude(a: F80, ka: number, b: F80, kb: number): number {
  if (ka === K_ZERO) return kb === K_ZERO ? 0 : -1;
  if (kb === K_ZERO) return 1;
  if (ka === K_INF || kb === K_INF) return ka === kb ? 0 : ka === K_INF ? 1 : -1;
  // Pseudo-denormals have exponent 0 but mean exponent 1: compare normalized values.
  unpack2(a, b);
  if (NE[0] !== NE[1]) return NE[0]! > NE[1]! ? 1 : -1;
  return compareMag(NS[0]!, NS[1]!, NS[2]!, NS[3]!);
}

/** FRNDINT: rounds to an integral value by env.rc at full precision. */
export function roundToInt(out: F80, a: F80, env: FpEnv): void {
  const ka = kind(a);
  if (nonNumeric(out, a, ka, env)) return;
  if (noteDenormal(ka, K_NORMAL, env)) return;
  if (ka === K_ZERO || ka === K_INF) {
    out.copy(a);
    return;
  }
  unpack1(a);
  const ue = NE[0]! - EXP_BIAS;
  if (ue >= 63) {
    out.set(a.sign, NE[0]!, NS[0]!, NS[1]!);
    return;
  }
  // The integer part ends up in W[0..1] with its units bit at bit 0 of W[1].
  loadW(NS[0]!, NS[1]!);
  shiftRightJam(63 - ue);
  const r = roundW(64, env.rc, a.sign);
  if (r) env.exc |= PE;
  if (r === 2) env.c1 = 1;
  if (W[0] === 0 && W[1] === 0) {
    out.set(a.sign, 0, 0, 0);
    return;
  }
  const s = normalizeW();
  out.set(a.sign, EXP_BIAS + 63 - s, W[0]!, W[1]!);
}


/** FSCALE: a * 2^trunc(b), exact except for overflow/underflow (full 64-bit precision). */
export function scale(out: F80, a: F80, b: F80, env: FpEnv): void {
  const ka = kind(a);
  const kb = kind(b);
  if (screen2(out, a, ka, b, kb, env)) return;
  if (kb === K_INF) {
    // 0 * 2^+inf and inf * 2^-inf are invalid; otherwise the infinite scale wins.
    if (b.sign === 0 ? ka === K_ZERO : ka === K_INF) invalid(out, env);
    else if (ka === K_ZERO || ka === K_INF) out.copy(a);
    else if (b.sign === 0) out.set(a.sign, EXP_MAX, 0x80000000, 0);
    else out.set(a.sign, 0, 0, 0);
    return;
  }
  if (ka === K_ZERO || ka === K_INF) {
    out.copy(a);
    return;
  }
  const n = truncScale(b, kb);
  unpack1(a);
  loadW(NS[0]!, NS[1]!);
  roundPack(out, a.sign, NE[0]! + n, env, 64);
}

/** trunc(b) for a finite b, clamped where any larger magnitude gives the same result. */
function truncScale(b: F80, kb: number): number {
  if (kb === K_ZERO || kb === K_DENORMAL) return 0;
  const ue = b.exp - EXP_BIAS;
  if (ue < 0) return 0;
  const mag = ue > 20 ? 1 << 21 : b.hi >>> (31 - ue);
  return b.sign ? -mag : mag;
}

/** FXTRACT: sigOut = the significand (exponent 0), expOut = the unbiased exponent as a value. */
export function xtract(sigOut: F80, expOut: F80, a: F80, env: FpEnv): void {
  const ka = kind(a);
  if (ka === K_UNSUPPORTED) {
    invalid(sigOut, env);
    expOut.copy(sigOut);
    return;
  }
  if (isNaNKind(ka)) {
    propagateNaN(sigOut, a, ka, a, K_NORMAL, env);
    expOut.copy(sigOut);
    return;
  }
  if (noteDenormal(ka, K_NORMAL, env)) return;
  // Either output may alias a: read everything first.
  const sign = a.sign;
  if (ka === K_ZERO) {
    env.exc |= ZE;
    expOut.set(1, EXP_MAX, 0x80000000, 0);
    sigOut.set(sign, 0, 0, 0);
    return;
  }
  if (ka === K_INF) {
    expOut.set(0, EXP_MAX, 0x80000000, 0);
    sigOut.set(sign, EXP_MAX, 0x80000000, 0);
    return;
  }
  unpack1(a);
  const hi = NS[0]!;
  const lo = NS[1]!;
  setSmallInt(expOut, NE[0]! - EXP_BIAS);
  sigOut.set(sign, EXP_BIAS, hi, lo);
}

/** An exact F80 from a small integer (|n| < 2^31). */
function setSmallInt(out: F80, n: number): void {
  if (n === 0) {
    out.set(0, 0, 0, 0);
    return;
  }
  const sign = n < 0 ? 1 : 0;
  const m = (sign ? -n : n) >>> 0;
  const z = Math.clz32(m);
  out.set(sign, EXP_BIAS + 31 - z, (m << z) >>> 0, 0);
}

/**
 * FPREM (ieee = false: truncated quotient) and FPREM1 (ieee = true: quotient rounded to nearest). The
 * remainder is exact. With an exponent difference of 64 or more only a partial reduction is done
 * (env.c2 = 1). env.quotient gets the low three quotient bits.
 */
export function prem(out: F80, a: F80, b: F80, env: FpEnv, ieee: boolean): void {
  env.c2 = 0;
  env.quotient = 0;
  const ka = kind(a);
  const kb = kind(b);
  if (screenNaN(out, a, ka, b, kb, env)) return;
  // Invalid operands are detected before the denormal check.
  if (ka === K_INF || kb === K_ZERO) {
    invalid(out, env);
    return;
  }
  if (noteDenormal(ka, kb, env)) return;
  if (ka === K_ZERO) {
    out.copy(a);
    return;
  }
  unpack2(a, b);
  if (kb === K_INF) {
    // The remainder is a itself (a pseudo-denormal comes out normalized).
    loadW(NS[0]!, NS[1]!);
    roundPack(out, a.sign, NE[0]!, env, 64);
    return;
  }
  let d = NE[0]! - NE[1]!;
  let eb = NE[1]!;
  let round = ieee;
  if (d >= 64) {
    // Partial reduction (truncating for both forms): the host reduces the difference to
    // 32 + (d mod 32), i.e. by a multiple of 32, and reports no quotient bits.
    env.c2 = 1;
    const n = 32 + (d & 31);
    eb += d - n;
    d = n;
    round = false;
  }
  let sign = a.sign;
  if (d < 0) {
    // |a| < |b|: the remainder is a itself, except that FPREM1 rounds a quotient of more than 1/2 up.
    if (!round || d < -1 || compareMag(NS[0]!, NS[1]!, NS[2]!, NS[3]!) <= 0) {
      loadW(NS[0]!, NS[1]!);
      roundPack(out, sign, NE[0]!, env, 64);
      return;
    }
    twiceMinus(NS[0]!, NS[1]!, NS[2]!, NS[3]!);
    env.quotient = 1;
    sign ^= 1;
    eb = NE[0]!;
  } else {
    const q = remainderSig(NS[0]!, NS[1]!, NS[2]!, NS[3]!, d, round);
    env.quotient = env.c2 ? 0 : q & 7;
    if (q & 8) sign ^= 1;
  }
  if (W[0] === 0 && W[1] === 0) {
    out.set(a.sign, 0, 0, 0);
    return;
  }
  // W[0..1] holds the remainder in units of 2^(eb - bias - 63), i.e. W * 2^(eb - bias - 127).
  roundPack(out, sign, eb - normalizeW(), env, 64);
}

/** Constant identifiers for loadConstant, in opcode order D9 E8..EE. */
export const CONST_ONE = 0;
export const CONST_L2T = 1;
export const CONST_L2E = 2;
export const CONST_PI = 3;
export const CONST_LG2 = 4;
export const CONST_LN2 = 5;
export const CONST_ZERO = 6;

/**
 * The constants with their next bits beyond 64 (a real x87 keeps them with extra precision and rounds
 * by RC when loading): exponent, hi, lo, and whether the discarded tail is above/below half.
 * tail: 0 = exact, 1 = below half, 3 = above half (none of them is a tie).
 */
const CONSTS: readonly (readonly [number, number, number, number])[] = [
  [EXP_BIAS, 0x80000000, 0x00000000, 0],
  [EXP_BIAS + 1, 0xd49a784b, 0xcd1b8afe, 1], // log2(10) = ...afe 492b...
  [EXP_BIAS, 0xb8aa3b29, 0x5c17f0bb, 3], // log2(e) = ...0bb be87...
  [EXP_BIAS + 1, 0xc90fdaa2, 0x2168c234, 3], // pi = ...234 c4c6...
  [EXP_BIAS - 2, 0x9a209a84, 0xfbcff798, 3], // log10(2) = ...798 8f89...
  [EXP_BIAS - 1, 0xb17217f7, 0xd1cf79ab, 3], // ln(2) = ...9ab c9e3...
];

/** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: the constant rounded by rc (no exception). */
export function loadConstant(out: F80, which: number, rc: number): void {
  const c = CONSTS[which];
  if (!c) {
    out.set(0, 0, 0, 0);
    return;
  }
  // Index access, not destructuring (which would create an iterator per call).
  const e = c[0];
  const hi = c[1];
  const lo = c[2];
  const tail = c[3];
  // All constants are positive: up rounds any tail up, nearest only a tail above half.
  const up = tail !== 0 && (rc === RC_UP ? true : rc === 0 ? tail === 3 : false);
  if (up) {
    const nlo = (lo + 1) >>> 0;
    out.set(0, e, nlo === 0 ? hi + 1 : hi, nlo);
  } else {
    out.set(0, e, hi, lo);
  }
}
