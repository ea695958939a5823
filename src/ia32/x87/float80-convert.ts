/**
 * x87 conversions in integer math: FILD/FIST/FISTTP, FLD/FST of single and double precision, FBLD/FBSTP
 * and FXAM's classification. Narrowing stores round to the destination format by env.rc (precision
 * control does not apply) with the FST overflow/underflow/inexact rules; widening loads are exact.
 */
import { DE, EXP_BIAS, EXP_MAX, F80, FpEnv, IE, OE, PE, RC_DOWN, RC_NEAREST, RC_UP, RC_ZERO, UE } from './f80.js';
import {
  K_DENORMAL, K_INF, K_NORMAL, K_QNAN, K_SNAN, K_UNSUPPORTED, K_ZERO, NE, NS, W, isNaNKind, kind, loadW,
  normalizeW, roundCarried, roundW, shiftRightJam, tinyAfterRounding, unpack,
} from './float80-core.js';

/** FILD: the signed 64-bit integer hi:lo (two's complement halves), always exact. */
export function fromInt(out: F80, hi: number, lo: number): void {
  let h = hi >>> 0;
  let l = lo >>> 0;
  const sign = h >>> 31;
  if (sign) {
    // Two's complement negation of the 64-bit value.
    l = (~l + 1) >>> 0;
    h = (~h + (l === 0 ? 1 : 0)) >>> 0;
  }
  if (h === 0 && l === 0) {
    out.set(0, 0, 0, 0);
    return;
  }
  loadW(h, l);
  const s = normalizeW();
  out.set(sign, EXP_BIAS + 63 - s, W[0]!, W[1]!);
}

/**
 * Rounds a finite non-zero value to an integer magnitude in W[0..1]; returns 0 exact, 1 truncated,
 * 2 rounded up, or -1 when the magnitude is 2^64 or more.
 */
function integerMagnitude(a: F80, rc: number): number {
  unpack(a, 0);
  const ue = NE[0]! - EXP_BIAS;
  if (ue > 63) return -1;
  loadW(NS[0]!, NS[1]!);
  shiftRightJam(63 - ue);
  return roundW(64, rc, a.sign);
}

/**
 * FIST/FISTP (truncate = false: rounding by env.rc) and FISTTP (truncate = true) to a `bits`-bit
 * integer. The result goes to env.ihi:env.ilo as a sign-extended 64-bit two's complement value (the
 * caller stores the low `bits` bits); NaNs, infinities and out-of-range values are invalid and give
 * the integer indefinite (the most negative value of the width).
 */
export function toInt(a: F80, env: FpEnv, bits: number, truncate: boolean): void {
  const k = kind(a);
  env.ihi = 0;
  env.ilo = 0;
  if (k === K_UNSUPPORTED || k === K_INF || isNaNKind(k)) {
    integerIndefinite(env, bits);
    return;
  }
  if (k === K_ZERO) return;
  // The host reports no DE for integer stores of a denormal (it is merely inexact).
  const r = integerMagnitude(a, truncate ? RC_ZERO : env.rc);
  const hi = W[0]!;
  const lo = W[1]!;
  if (r < 0 || !fitsSigned(hi, lo, a.sign, bits)) {
    integerIndefinite(env, bits);
    return;
  }
  if (r) env.exc |= PE;
  if (r === 2) env.c1 = 1;
  if (a.sign) {
    const nl = (~lo + 1) >>> 0;
    env.ilo = nl;
    env.ihi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  } else {
    env.ilo = lo;
    env.ihi = hi;
  }
}

/** Does the magnitude hi:lo with the sign fit a signed `bits`-bit integer? */
function fitsSigned(hi: number, lo: number, sign: number, bits: number): boolean {
  if (bits === 64) return hi < 0x80000000 || (sign === 1 && hi === 0x80000000 && lo === 0);
  if (hi !== 0) return false;
  const lim = bits === 32 ? 0x80000000 : 0x8000;
  return lo < lim || (sign === 1 && lo === lim);
}

function integerIndefinite(env: FpEnv, bits: number): void {
  env.exc |= IE;
  env.ihi = bits === 64 ? 0x80000000 : 0xffffffff;
  env.ilo = bits === 64 ? 0 : bits === 32 ? 0x80000000 : 0xffff8000;
}

/** FLD m32: exact widening of the single-precision image `bits`. */
export function fromF32(out: F80, bits: number, env: FpEnv): void {
  const b = bits >>> 0;
  const sign = b >>> 31;
  const e = (b >>> 23) & 0xff;
  const f = b & 0x7fffff;
  if (e === 0xff) {
    fromNaNOrInf(out, sign, f !== 0, (f << 8) >>> 0, 0, env);
    return;
  }
  if (e === 0) {
    if (f === 0) {
      out.set(sign, 0, 0, 0);
      return;
    }
    env.exc |= DE;
    loadW(f << 8, 0);
    out.set(sign, EXP_BIAS - 126 - 1 - normalizeW() + 1, W[0]!, W[1]!);
    return;
  }
  out.set(sign, e - 127 + EXP_BIAS, (0x80000000 | (f << 8)) >>> 0, 0);
}

/** FLD m64: exact widening of the double-precision image hi:lo. */
export function fromF64(out: F80, hi: number, lo: number, env: FpEnv): void {
  const h = hi >>> 0;
  const l = lo >>> 0;
  const sign = h >>> 31;
  const e = (h >>> 20) & 0x7ff;
  const fh = ((h & 0xfffff) << 11) | (l >>> 21);
  const fl = (l << 11) >>> 0;
  if (e === 0x7ff) {
    fromNaNOrInf(out, sign, (h & 0xfffff) !== 0 || l !== 0, fh >>> 0, fl, env);
    return;
  }
  if (e === 0) {
    if (fh === 0 && fl === 0) {
      out.set(sign, 0, 0, 0);
      return;
    }
    env.exc |= DE;
    loadW(fh >>> 0, fl);
    // The fraction's bit 62 (just below the would-be integer bit) is 2^-1023.
    out.set(sign, EXP_BIAS - 1022 - normalizeW(), W[0]!, W[1]!);
    return;
  }
  out.set(sign, e - 1023 + EXP_BIAS, (0x80000000 | fh) >>> 0, fl);
}

/** Widened infinity or NaN; fh:fl is the fraction aligned below the integer bit. */
function fromNaNOrInf(out: F80, sign: number, nan: boolean, fh: number, fl: number, env: FpEnv): void {
  if (!nan) {
    out.set(sign, EXP_MAX, 0x80000000, 0);
    return;
  }
  if (!(fh & 0x40000000)) env.exc |= IE;
  out.set(sign, EXP_MAX, (0xc0000000 | fh) >>> 0, fl);
}

/** FST m32: the single-precision image of a (unsigned). */
export function toF32(a: F80, env: FpEnv): number {
  narrow(a, env, 24, 127, 0xff);
  return env.ilo;
}

/** FST m64: the double-precision image of a, in env.ihi:env.ilo. */
export function toF64(a: F80, env: FpEnv): void {
  narrow(a, env, 53, 1023, 0x7ff);
}

/**
 * Rounds a to a binary format with a `prec`-bit significand, exponent bias `bias` and all-ones exponent
 * `emax`, leaving the image in env.ilo (single) or env.ihi:env.ilo (double).
 */
function narrow(a: F80, env: FpEnv, prec: number, bias: number, emax: number): void {
  const k = kind(a);
  const sign = a.sign;
  if (k === K_UNSUPPORTED) {
    env.exc |= IE;
    packNarrow(env, prec, 1, emax, 0xc0000000, 0);
    return;
  }
  if (isNaNKind(k)) {
    if (k === K_SNAN) env.exc |= IE;
    // Keep the top payload bits, quieted.
    packNarrow(env, prec, sign, emax, (a.hi | 0x40000000) >>> 0, a.lo);
    return;
  }
  if (k === K_INF || k === K_ZERO) {
    packNarrow(env, prec, sign, k === K_INF ? emax : 0, 0, 0);
    return;
  }
  // No DE here: the host reports a denormal source of FST only through the underflow.
  unpack(a, 0);
  loadW(NS[0]!, NS[1]!);
  let te = NE[0]! - EXP_BIAS + bias;
  if (te < 1) {
    narrowTiny(env, prec, sign, te);
    return;
  }
  const r = roundW(prec, env.rc, sign);
  if (roundCarried()) {
    W[0] = 0x80000000;
    te++;
  }
  if (te >= emax) {
    narrowOverflow(env, prec, sign, emax);
    return;
  }
  if (r) env.exc |= PE;
  if (r === 2) env.c1 = 1;
  packNarrow(env, prec, sign, te, W[0]!, W[1]!);
}

function narrowTiny(env: FpEnv, prec: number, sign: number, te: number): void {
  const tiny = tinyAfterRounding(te, env.rc, sign, prec);
  shiftRightJam(1 - te);
  const r = roundW(prec, env.rc, sign);
  if (!(env.masks & UE) && tiny) {
    // Unmasked underflow on a store: the FPU stores nothing.
    env.exc |= UE;
    return;
  }
  if (r) env.exc |= PE;
  if (r === 2) env.c1 = 1;
  if (r && tiny) env.exc |= UE;
  packNarrow(env, prec, sign, W[0]! >>> 31, W[0]!, W[1]!);
}

function narrowOverflow(env: FpEnv, prec: number, sign: number, emax: number): void {
  env.exc |= OE;
  if (!(env.masks & OE)) return;
  env.exc |= PE;
  const rc = env.rc;
  if (rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign === 1)) {
    env.c1 = 1;
    packNarrow(env, prec, sign, emax, 0, 0);
  } else {
    env.c1 = 0;
    packNarrow(env, prec, sign, emax - 1, 0xffffffff, 0xffffffff);
  }
}

/** Packs sign, biased exponent and the significand bits below the integer bit (hi:lo as in F80). */
function packNarrow(env: FpEnv, prec: number, sign: number, e: number, hi: number, lo: number): void {
  if (prec === 24) {
    env.ihi = 0;
    env.ilo = ((sign << 31) | (e << 23) | ((hi >>> 8) & 0x7fffff)) >>> 0;
  } else {
    env.ihi = ((sign << 31) | (e << 20) | ((hi >>> 11) & 0xfffff)) >>> 0;
    env.ilo = ((hi << 21) | (lo >>> 11)) >>> 0;
  }
}

/** FBLD: 18 packed BCD digits (bytes 0..8, low digit in the low nibble) and the sign in byte 9 bit 7. */
export function fromBcd(out: F80, bytes: Uint8Array): void {
  let hi = 0;
  let lo = 0;
  for (let i = 8; i >= 0; i--) {
    const byte = bytes[i]!;
    for (let n = 1; n >= 0; n--) {
      const d = n ? byte >>> 4 : byte & 15;
      // (hi:lo) * 10 + d in 16-bit steps; 18 digits keep the value below 2^60.
      const l0 = (lo & 0xffff) * 10 + d;
      const l1 = (lo >>> 16) * 10 + (l0 >>> 16);
      lo = ((l1 << 16) | (l0 & 0xffff)) >>> 0;
      hi = hi * 10 + (l1 >>> 16);
    }
  }
  const sign = bytes[9]! >>> 7;
  if (hi === 0 && lo === 0) {
    out.set(sign, 0, 0, 0);
    return;
  }
  loadW(hi >>> 0, lo);
  const s = normalizeW();
  out.set(sign, EXP_BIAS + 63 - s, W[0]!, W[1]!);
}

/** 10^18 as halves: the first magnitude FBSTP cannot store. */
const BCD_LIMIT_HI = 0x0de0b6b3;
const BCD_LIMIT_LO = 0xa7640000;

/** FBSTP: a rounded by env.rc to 18 packed BCD digits in outBytes; invalid gives the BCD indefinite. */
export function toBcd(a: F80, env: FpEnv, outBytes: Uint8Array): void {
  const k = kind(a);
  if (k === K_UNSUPPORTED || k === K_INF || isNaNKind(k)) {
    bcdIndefinite(env, outBytes);
    return;
  }
  let hi = 0;
  let lo = 0;
  if (k !== K_ZERO) {
    const r = integerMagnitude(a, env.rc);
    hi = W[0]!;
    lo = W[1]!;
    if (r < 0 || hi > BCD_LIMIT_HI || (hi === BCD_LIMIT_HI && lo >= BCD_LIMIT_LO)) {
      bcdIndefinite(env, outBytes);
      return;
    }
    if (r) env.exc |= PE;
    if (r === 2) env.c1 = 1;
  }
  for (let i = 0; i < 9; i++) {
    const d0 = divideBy10(hi, lo);
    hi = qHi;
    lo = qLo;
    const d1 = divideBy10(hi, lo);
    hi = qHi;
    lo = qLo;
    outBytes[i] = (d1 << 4) | d0;
  }
  outBytes[9] = a.sign ? 0x80 : 0;
}

let qHi = 0;
let qLo = 0;

/** (hi:lo) / 10 into qHi:qLo by long division in bytes; returns the remainder. */
function divideBy10(hi: number, lo: number): number {
  let r = 0;
  qHi = 0;
  qLo = 0;
  for (let i = 56; i >= 0; i -= 8) {
    const byte = i >= 32 ? (hi >>> (i - 32)) & 0xff : (lo >>> i) & 0xff;
    const cur = (r << 8) | byte; // < 2560
    // cur * 6554 / 2^16 is floor(cur / 10) for cur < 16389.
    const q = (cur * 6554) >>> 16;
    r = cur - q * 10;
    if (i >= 32) qHi = (qHi | (q << (i - 32))) >>> 0;
    else qLo = (qLo | (q << i)) >>> 0;
  }
  return r;
}

function bcdIndefinite(env: FpEnv, outBytes: Uint8Array): void {
  env.exc |= IE;
  outBytes.fill(0, 0, 7);
  outBytes[7] = 0xc0;
  outBytes[8] = 0xff;
  outBytes[9] = 0xff;
}

/** FXAM class codes (C3 C2 C0); the caller reports empty registers (0b101) and C1 = sign itself. */
export const FXAM_UNSUPPORTED = 0b000;
export const FXAM_NAN = 0b001;
export const FXAM_NORMAL = 0b010;
export const FXAM_INFINITY = 0b011;
export const FXAM_ZERO = 0b100;
export const FXAM_EMPTY = 0b101;
export const FXAM_DENORMAL = 0b110;

export function classify(a: F80): number {
  switch (kind(a)) {
    case K_ZERO:
      return FXAM_ZERO;
    case K_DENORMAL:
      return FXAM_DENORMAL;
    case K_NORMAL:
      return FXAM_NORMAL;
    case K_INF:
      return FXAM_INFINITY;
    case K_QNAN:
    case K_SNAN:
      return FXAM_NAN;
    default:
      return FXAM_UNSUPPORTED;
  }
}

export function isNaN80(a: F80): boolean {
  return isNaNKind(kind(a));
}

export function isSNaN80(a: F80): boolean {
  return kind(a) === K_SNAN;
}

export function isDenormal80(a: F80): boolean {
  return kind(a) === K_DENORMAL;
}

export function isZero80(a: F80): boolean {
  return kind(a) === K_ZERO;
}

export function isInf80(a: F80): boolean {
  return kind(a) === K_INF;
}

export function isUnsupported80(a: F80): boolean {
  return kind(a) === K_UNSUPPORTED;
}

