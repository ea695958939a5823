/**
 * The x87 transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1.
 *
 * They are rare, so they are computed with BigInt rather than fast: every result is evaluated in a small
 * binary floating-point format of P bits (`Big`), then rounded once to the 64-bit significand per the
 * rounding control. No JavaScript floating point is used, so the results are the same on every host.
 * Precision control does not apply (the x87 rounds these results to 64 bits whatever PC says).
 *
 * Behaviour the manual leaves undefined follows what an AMD EPYC (Zen 3) host does, measured with
 * test/vectors/trans-oracle.c (see docs/x87.md):
 * - FSIN/FCOS/FSINCOS/FPTAN reduce the argument with pi truncated to 66 significant bits, as the x87
 *   hardware does, not with the true pi (REDUCTION_PI_BITS below). Near multiples of pi/2 the host's
 *   results are the exact function of that reduced argument, not of the true one.
 * - F2XM1 with |x| > 1 returns x unchanged and reports PE.
 * - FYL2XP1 is evaluated as y*log2(1+x) for any x > -1; for x <= -1 see fyl2xp1().
 *
 * Overflow and underflow follow env.masks: masked, the result is the infinity / largest finite value
 * or the denormal (or zero); with OE or UE unmasked it is the result rounded to 64 bits with its
 * exponent bias-adjusted by 24576 (BIAS_ADJUST, as the basic arithmetic does in float80-core.ts), which
 * the FPU stores. For the other exceptions the operations take the masked response and report them in
 * env.exc; whether an unmasked one keeps the destination unchanged is the caller's (the FPU's) decision.
 */
import { DE, EXP_BIAS, EXP_MAX, F80, FpEnv, IE, OE, PE, RC_DOWN, RC_NEAREST, RC_UP, UE, ZE } from './f80.js';
import { BIAS_ADJUST } from './float80-core.js';

// ---------------------------------------------------------------------------------------------
// A small binary floating-point format on BigInt: value = m * 2^e, m signed. Results are truncated
// to P bits; with P = 200 the evaluation error (a few units of 2^-P) is far below the 2^-64 that
// matters, so the single final rounding is correct except in cases astronomically close to a tie.
// ---------------------------------------------------------------------------------------------

const P = 200;

interface Big {
  m: bigint;
  e: number;
}

function bitLen(n: bigint): number {
  if (n < 0n) n = -n;
  return n === 0n ? 0 : n.toString(2).length;
}

/** Exponent of the leading bit (floor(log2 |v|)); -Infinity for zero. */
function top(v: Big): number {
  return v.m === 0n ? -Infinity : bitLen(v.m) - 1 + v.e;
}

function big(m: bigint, e: number): Big {
  return { m, e };
}

/** Truncates the magnitude to P bits. */
function norm(v: Big): Big {
  const n = bitLen(v.m) - P;
  if (n <= 0) return v;
  const s = BigInt(n);
  return v.m < 0n ? big(-(-v.m >> s), v.e + n) : big(v.m >> s, v.e + n);
}

function neg(v: Big): Big {
  return big(-v.m, v.e);
}

function mul(a: Big, b: Big): Big {
  return norm(big(a.m * b.m, a.e + b.e));
}

/** Exact sum (no truncation): used where the result's low bits decide the rounding. */
function addExact(a: Big, b: Big): Big {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  if (a.e >= b.e) return big((a.m << BigInt(a.e - b.e)) + b.m, b.e);
  return big(a.m + (b.m << BigInt(b.e - a.e)), a.e);
}

/** Sum truncated to P bits; an addend far below the other's precision is dropped. */
function add(a: Big, b: Big): Big {
  if (a.m === 0n) return norm(b);
  if (b.m === 0n) return norm(a);
  const ta = top(a);
  const tb = top(b);
  if (ta - tb > P + 8) return norm(a);
  if (tb - ta > P + 8) return norm(b);
  return norm(addExact(norm(a), norm(b)));
}

function div(a: Big, b: Big): Big {
  const na = norm(a);
  const nb = norm(b);
  const shift = P + 2 + bitLen(nb.m) - bitLen(na.m);
  const s = BigInt(Math.max(shift, 0));
  return norm(big((na.m << s) / nb.m, na.e - Number(s) - nb.e));
}

function divInt(a: Big, n: number): Big {
  return div(a, big(BigInt(n), 0));
}

/** Square root of a positive value. */
function sqrt(a: Big): Big {
  const v = norm(a);
  // Scale the mantissa to 2P+2 bits with an even exponent, then take the integer square root.
  let shift = 2 * P + 2 - bitLen(v.m);
  if ((v.e - shift) % 2 !== 0) shift++;
  const n = v.m << BigInt(shift);
  return norm(big(isqrt(n), (v.e - shift) / 2));
}

function isqrt(n: bigint): bigint {
  let x = 1n << BigInt((bitLen(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

const ONE = big(1n, 0);

// ---------------------------------------------------------------------------------------------
// Constants, computed once at load in fixed point with CONST_BITS fraction bits.
// ---------------------------------------------------------------------------------------------

const CONST_BITS = 640;

/** sum_k (-1)^k / ((2k+1) n^(2k+1)) (alternate) or sum_k 1 / ((2k+1) n^(2k+1)), scaled by 2^CONST_BITS. */
function arctanInv(n: bigint, alternate: boolean): bigint {
  const guard = 16n;
  const one = 1n << BigInt(CONST_BITS + 16);
  let power = one / n;
  const n2 = n * n;
  let sum = 0n;
  for (let k = 0n; power !== 0n; k++) {
    const term = power / (2n * k + 1n);
    sum += alternate && k % 2n === 1n ? -term : term;
    power /= n2;
  }
  return sum >> guard;
}

/** pi * 2^CONST_BITS (Machin: pi = 16 atan(1/5) - 4 atan(1/239)). */
const PI_FIX = 16n * arctanInv(5n, true) - 4n * arctanInv(239n, true);
/** ln 2 * 2^CONST_BITS (ln 2 = 2 atanh(1/3)). */
const LN2_FIX = 2n * arctanInv(3n, false);

const PI = norm(big(PI_FIX, -CONST_BITS));
const PI_HALF = big(PI.m, PI.e - 1);
const LN2 = norm(big(LN2_FIX, -CONST_BITS));

/**
 * Significant bits of the pi that FSIN/FCOS/FSINCOS/FPTAN reduce their argument with. The x87 keeps a
 * 66-bit pi internally (Intel documents it; the AMD host behaves the same: sin of the 80-bit pi is
 * exactly -2^-64, i.e. pi80 - pi66). Pi's bits 67..69 are zero, so 66..69 give the same reductions.
 * Set to 0 for the true pi (then REDUCE_FRAC bits of it are used).
 */
const REDUCTION_PI_BITS: number = 66;
/** Fraction bits of the reduction arithmetic: x < 2^63 needs 63 + 64 + guard bits for the true pi. */
const REDUCE_FRAC = 512;
/** The reduction pi scaled by 2^REDUCE_FRAC. */
const REDUCE_PI =
  REDUCTION_PI_BITS === 0
    ? PI_FIX >> BigInt(CONST_BITS - REDUCE_FRAC)
    : (PI_FIX >> BigInt(CONST_BITS - (REDUCTION_PI_BITS - 2))) << BigInt(REDUCE_FRAC - (REDUCTION_PI_BITS - 2));

// ---------------------------------------------------------------------------------------------
// Classification of operands and the special results.
// ---------------------------------------------------------------------------------------------

const enum Kind {
  Zero,
  Denormal,
  Normal,
  Inf,
  QNaN,
  SNaN,
  /** Unnormal, pseudo-infinity, pseudo-NaN: the 387 and later treat these as invalid operands. */
  Unsupported,
}

function kind(x: F80): Kind {
  const j = x.hi >>> 31;
  if (x.exp === 0) return x.hi === 0 && x.lo === 0 ? Kind.Zero : Kind.Denormal;
  if (j === 0) return Kind.Unsupported;
  if (x.exp !== EXP_MAX) return Kind.Normal;
  if ((x.hi & 0x7fffffff) === 0 && x.lo === 0) return Kind.Inf;
  return x.hi & 0x40000000 ? Kind.QNaN : Kind.SNaN;
}

function isNaN80(k: Kind): boolean {
  return k === Kind.QNaN || k === Kind.SNaN;
}

/** The exact value of a finite operand (pseudo-denormals have the exponent of the smallest normals). */
function value(x: F80): Big {
  const m = (BigInt(x.hi) << 32n) | BigInt(x.lo);
  const e = (x.exp === 0 ? 1 : x.exp) - EXP_BIAS - 63;
  return big(x.sign ? -m : m, e);
}

function indefinite(out: F80, env: FpEnv): void {
  env.exc |= IE;
  out.set(1, EXP_MAX, 0xc0000000, 0);
}

/** The NaN result of one NaN operand: quieted, IE for a signalling one. */
function nan1(out: F80, x: F80, env: FpEnv): void {
  if (kind(x) === Kind.SNaN) env.exc |= IE;
  out.set(x.sign, EXP_MAX, x.hi | 0x40000000, x.lo);
}

/**
 * The NaN result of two operands, at least one a NaN: a QNaN wins over an SNaN, otherwise the larger
 * significand; on equal significands the host returns the positive one.
 */
function nan2(out: F80, a: F80, b: F80, env: FpEnv): void {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === Kind.SNaN || kb === Kind.SNaN) env.exc |= IE;
  let pick: F80;
  if (!isNaN80(kb)) pick = a;
  else if (!isNaN80(ka)) pick = b;
  else if (ka !== kb) pick = ka === Kind.QNaN ? a : b;
  else {
    const c = cmpSig(a, b);
    pick = c > 0 ? a : c < 0 ? b : a.sign === 0 ? a : b;
  }
  out.set(pick.sign, EXP_MAX, pick.hi | 0x40000000, pick.lo);
}

function cmpSig(a: F80, b: F80): number {
  const ah = a.hi & 0x3fffffff;
  const bh = b.hi & 0x3fffffff;
  if (ah !== bh) return ah > bh ? 1 : -1;
  return a.lo === b.lo ? 0 : a.lo > b.lo ? 1 : -1;
}

function zero(out: F80, sign: number): void {
  out.set(sign, 0, 0, 0);
}

function infinity(out: F80, sign: number): void {
  out.set(sign, EXP_MAX, 0x80000000, 0);
}

// ---------------------------------------------------------------------------------------------
// Rounding a Big to the 80-bit format.
// ---------------------------------------------------------------------------------------------

const MIN_LSB = 1 - EXP_BIAS - 63; // exponent of the lowest bit of a denormal
const SIG_BITS = 64n;

/**
 * Rounds v to a 64-bit significand per env.rc into out, reporting PE (and C1 when the magnitude was
 * rounded up), and OE/UE with the response env.masks selects: masked, an infinity or largest finite
 * value / a denormal; unmasked, the 64-bit rounding with the exponent divided (overflow) or multiplied
 * (underflow) by 2^BIAS_ADJUST, with OE or UE set whether or not the result is inexact. `approx` says v is an approximation of an
 * irrational value slightly larger in magnitude (it was truncated), so the result is inexact even when
 * no bits are discarded; `forcePE` reports an exact result as inexact anyway (the host does for the
 * exactly representable results of FYL2X, FYL2XP1 and F2XM1). Tininess is detected after rounding, as
 * the host does.
 */
function round(out: F80, v: Big, approx: boolean, env: FpEnv, forcePE = false): void {
  const sign = v.m < 0n ? 1 : 0;
  const mag = v.m < 0n ? -v.m : v.m;
  if (mag === 0n) {
    zero(out, sign);
    return;
  }
  const t = bitLen(mag) - 1 + v.e;
  const normal = roundAt(mag, v.e, sign, t - 63, approx, env.rc);
  // Tiny when the result rounded to 64 bits with an unbounded exponent is below the smallest normal.
  const tiny = normal.lsb + 63 + (bitLen(normal.q) - 64) < 1 - EXP_BIAS;
  // Unmasked underflow keeps the 64-bit rounding (no denormalization) and scales it up below.
  const unmaskedUE = tiny && (env.masks & UE) === 0;
  const r = tiny && !unmaskedUE ? roundAt(mag, v.e, sign, MIN_LSB, approx, env.rc) : normal;
  let q = r.q;
  let lsb = r.lsb;
  if (q >> SIG_BITS) {
    q >>= 1n;
    lsb++;
  }
  const inexact = r.inexact || forcePE;
  if (inexact) env.exc |= PE;
  if (tiny && (inexact || unmaskedUE)) env.exc |= UE;
  env.c1 = r.up ? 1 : 0;
  let exp = q >> 63n ? lsb + 63 + EXP_BIAS : 0;
  if (unmaskedUE) {
    exp += BIAS_ADJUST;
    if (exp < 1) {
      // Too tiny even for the bias adjustment (the basic arithmetic's response): a signed zero.
      env.exc |= PE;
      env.c1 = 0;
      zero(out, sign);
      return;
    }
  }
  if (exp >= EXP_MAX) {
    overflow(out, sign, exp, q, env);
    return;
  }
  if (q === 0n) exp = 0;
  out.set(sign, exp, Number(q >> 32n), Number(q & 0xffffffffn));
}

interface Rounded {
  q: bigint;
  lsb: number;
  inexact: boolean;
  up: boolean;
}

/** Rounds mag * 2^e to a multiple of 2^lsb. */
function roundAt(mag: bigint, e: number, sign: number, lsb: number, approx: boolean, rc: number): Rounded {
  const shift = lsb - e;
  if (shift <= 0) {
    const q = mag << BigInt(-shift);
    const up = approx && awayFromZero(sign, rc);
    return { q: up ? q + 1n : q, lsb, inexact: approx, up };
  }
  const s = BigInt(shift);
  const q = mag >> s;
  const rem = mag & ((1n << s) - 1n);
  const half = 1n << (s - 1n);
  const inexact = approx || rem !== 0n;
  let up: boolean;
  if (!inexact) up = false;
  else if (rc === RC_NEAREST) up = rem > half || (rem === half && (approx || (q & 1n) === 1n));
  else up = awayFromZero(sign, rc);
  return { q: up ? q + 1n : q, lsb, inexact, up };
}

function awayFromZero(sign: number, rc: number): boolean {
  return rc === RC_UP ? sign === 0 : rc === RC_DOWN ? sign === 1 : false;
}

/** Overflow of the 64-bit rounding q at biased exponent exp (>= EXP_MAX); PE and C1 are already set for q. */
function overflow(out: F80, sign: number, exp: number, q: bigint, env: FpEnv): void {
  if ((env.masks & OE) === 0) {
    env.exc |= OE;
    if (exp - BIAS_ADJUST < EXP_MAX) {
      out.set(sign, exp - BIAS_ADJUST, Number(q >> 32n), Number(q & 0xffffffffn));
      return;
    }
    // Too large even for the bias adjustment (the basic arithmetic's response): a signed infinity.
    env.exc |= PE;
    env.c1 = 1;
    infinity(out, sign);
    return;
  }
  env.exc |= OE | PE;
  const toInf = env.rc === RC_NEAREST || (env.rc === RC_UP && sign === 0) || (env.rc === RC_DOWN && sign === 1);
  env.c1 = toInf ? 1 : 0;
  if (toInf) infinity(out, sign);
  else out.set(sign, EXP_MAX - 1, 0xffffffff, 0xffffffff);
}

/** Rounds an exactly known value that the host nevertheless reports as inexact. */
function roundExactPE(out: F80, v: Big, env: FpEnv): void {
  round(out, v, false, env, true);
}

/** Rounds a truncated approximation of an irrational value. */
function roundApprox(out: F80, v: Big, env: FpEnv): void {
  round(out, v, true, env);
}

/** Rounds pi * num / den with the given sign (FPATAN's exact-angle results). */
function roundPiFraction(out: F80, sign: number, num: number, den: number, env: FpEnv): void {
  const v = div(big(PI.m * BigInt(num), PI.e), big(BigInt(den), 0));
  roundApprox(out, sign ? neg(v) : v, env);
}

/**
 * lead + tail, where lead is exact and tail is a small correction known to P bits. A tail far below
 * the lead's precision is replaced by a marker of the same sign just below the bits that can matter,
 * so the rounding still sees on which side of lead the true value lies.
 */
function leadTail(lead: Big, tail: Big): Big {
  if (tail.m === 0n) return lead;
  const floor = top(lead) - P - 40;
  if (top(tail) < floor) tail = big(tail.m < 0n ? -1n : 1n, floor);
  return addExact(lead, tail);
}

// ---------------------------------------------------------------------------------------------
// Series on Big.
// ---------------------------------------------------------------------------------------------

/**
 * sum_{k>=1} c_k z^k with term_{k} = term_{k-1} * sgn * z / f(k), term_0 = 1: the part of a series
 * after its leading 1. Stops when the terms fall P bits below the first.
 */
function series(z: Big, sgn: 1 | -1, f: (k: number) => number): Big {
  let term = ONE;
  let sum = big(0n, 0);
  let first = -Infinity;
  for (let k = 1; ; k++) {
    term = divInt(mul(term, sgn < 0 ? neg(z) : z), f(k));
    if (term.m === 0n) return sum;
    if (k === 1) first = top(term);
    else if (top(term) < first - P - 8) return sum;
    sum = add(sum, term);
  }
}

/** sin(r)/r - 1 for z = r^2. */
function sinM1(z: Big): Big {
  return series(z, -1, (k) => 2 * k * (2 * k + 1));
}

/** cos(r) - 1 for z = r^2. */
function cosM1(z: Big): Big {
  return series(z, -1, (k) => (2 * k - 1) * 2 * k);
}

/** The odd series sum_{k>=1} (+-1)^k t^{2k+1} / (2k+1) divided by t: atan (-1) or atanh (+1), minus 1. */
function arcM1(z: Big, sgn: 1 | -1): Big {
  // term_k / term_{k-1} = z * (2k-1) / (2k+1): folded into a running power and a final division.
  let power = ONE;
  let sum = big(0n, 0);
  let first = -Infinity;
  for (let k = 1; ; k++) {
    power = mul(power, sgn < 0 ? neg(z) : z);
    if (power.m === 0n) return sum;
    const term = divInt(power, 2 * k + 1);
    if (k === 1) first = top(term);
    else if (top(term) < first - P - 8) return sum;
    sum = add(sum, term);
  }
}

/** atan(t) for t > 0. */
function atan(t: Big): Big {
  if (cmp(t, ONE) > 0) return add(PI_HALF, neg(atan(div(ONE, t))));
  if (top(t) < -20) return leadTail(t, mul(t, arcM1(mul(t, t), -1)));
  // atan(t) = 2 atan(t / (1 + sqrt(1 + t^2))), three times, so the series converges fast.
  let u = t;
  for (let i = 0; i < 3; i++) u = div(u, add(ONE, sqrt(add(ONE, mul(u, u)))));
  const a = add(u, mul(u, arcM1(mul(u, u), -1)));
  return big(a.m, a.e + 3);
}

function cmp(a: Big, b: Big): number {
  const d = addExact(a, neg(b)).m;
  return d === 0n ? 0 : d > 0n ? 1 : -1;
}

/** log2(a) for an exact a > 0; `exact` says the result is the integer it returns. */
function log2(a: Big): { v: Big; exact: boolean } {
  const mag = a.m;
  if ((mag & (mag - 1n)) === 0n) return { v: big(BigInt(top(a)), 0), exact: true };
  // a = 2^n f with f in [sqrt(1/2), sqrt(2)); ln f = 2 atanh((f-1)/(f+1)).
  let n = top(a);
  let f = big(a.m, a.e - n);
  // sqrt(2) < f  <=>  f^2 > 2 (f is exact, so compare exactly).
  if (cmp(big(f.m * f.m, 2 * f.e), big(2n, 0)) > 0) {
    n++;
    f = big(f.m, f.e - 1);
  }
  const u = div(addExact(f, big(-1n, 0)), addExact(f, ONE));
  const lnF = mul(add(u, mul(u, arcM1(mul(u, u), 1))), big(2n, 0));
  return { v: add(big(BigInt(n), 0), div(lnF, LN2)), exact: false };
}

// ---------------------------------------------------------------------------------------------
// FSIN, FCOS, FSINCOS, FPTAN.
// ---------------------------------------------------------------------------------------------

/** |x| as the quadrant count k (mod 4) and the exact reduced argument r = |x| - k * pi66/2. */
function reduce(x: F80): { k: number; r: Big } {
  const v = value(x);
  const mag = big(v.m < 0n ? -v.m : v.m, v.e);
  // Below 1/2, k = 0: the argument is used as it is (also avoids huge shifts for tiny x).
  if (top(mag) < -1) return { k: 0, r: mag };
  const xf = mag.m << BigInt(mag.e + REDUCE_FRAC); // mag.e >= -64 here
  // k = nearest integer to x / (pi/2) = floor((4x + pi) / (2 pi)); r = x - k pi/2 at 2^-(REDUCE_FRAC+1).
  const k = (4n * xf + REDUCE_PI) / (2n * REDUCE_PI);
  const r2 = 2n * xf - k * REDUCE_PI;
  return { k: Number(k & 3n), r: big(r2, -REDUCE_FRAC - 1) };
}

interface SinCos {
  sin: Big;
  cos: Big;
  sm1: Big;
  cm1: Big;
}

function sinCos(r: Big): SinCos {
  const rn = norm(r);
  const z = mul(rn, rn);
  const sm1 = sinM1(z);
  const cm1 = cosM1(z);
  return { sin: leadTail(r, mul(rn, sm1)), cos: leadTail(ONE, cm1), sm1, cm1 };
}

/**
 * Handles what FSIN/FCOS/FSINCOS/FPTAN share: NaNs, unsupported encodings, infinities (invalid), and
 * |x| >= 2^63 (C2 = 1, the operand stays). Returns true when the caller computes the function.
 */
function trigOperand(out: F80, x: F80, env: FpEnv): boolean {
  env.c2 = 0;
  env.c1 = 0;
  const k = kind(x);
  if (isNaN80(k)) {
    nan1(out, x, env);
    return false;
  }
  if (k === Kind.Unsupported || k === Kind.Inf) {
    indefinite(out, env);
    return false;
  }
  if (k === Kind.Normal && x.exp >= EXP_BIAS + 63) {
    env.c2 = 1;
    out.copy(x);
    return false;
  }
  if (k === Kind.Denormal) env.exc |= DE;
  return true;
}

/** FSIN: out = sin(x). */
export function fsin(out: F80, x: F80, env: FpEnv): void {
  if (!trigOperand(out, x, env)) return;
  if (kind(x) === Kind.Zero) return void out.copy(x);
  const { k, r } = reduce(x);
  const sc = sinCos(r);
  const v = k & 1 ? sc.cos : sc.sin;
  roundApprox(out, (k & 2) !== 0 !== (x.sign === 1) ? neg(v) : v, env);
}

/** FCOS: out = cos(x). */
export function fcos(out: F80, x: F80, env: FpEnv): void {
  if (!trigOperand(out, x, env)) return;
  if (kind(x) === Kind.Zero) return void out.set(0, EXP_BIAS, 0x80000000, 0);
  const { k, r } = reduce(x);
  const sc = sinCos(r);
  const v = k & 1 ? sc.sin : sc.cos;
  roundApprox(out, k === 1 || k === 2 ? neg(v) : v, env);
}

/**
 * FSINCOS: sinOut = sin(x) (ends in ST1), cosOut = cos(x) (ends in ST0). For a NaN or invalid operand
 * both get the NaN; for |x| >= 2^63 C2 = 1 and sinOut = x (the caller pushes nothing). C1 is the
 * sine's round-up indication, as on the host.
 */
export function fsincos(sinOut: F80, cosOut: F80, x: F80, env: FpEnv): void {
  const sx = new F80().copy(x);
  if (!trigOperand(sinOut, sx, env)) {
    if (env.c2 === 0) cosOut.copy(sinOut);
    return;
  }
  if (kind(sx) === Kind.Zero) {
    sinOut.copy(sx);
    cosOut.set(0, EXP_BIAS, 0x80000000, 0);
    return;
  }
  const { k, r } = reduce(sx);
  const sc = sinCos(r);
  const s = k & 1 ? sc.cos : sc.sin;
  const c = k & 1 ? sc.sin : sc.cos;
  roundApprox(sinOut, (k & 2) !== 0 !== (sx.sign === 1) ? neg(s) : s, env);
  const c1Sin = env.c1;
  roundApprox(cosOut, k === 1 || k === 2 ? neg(c) : c, env);
  env.c1 = c1Sin;
}

/**
 * FPTAN: out = tan(x); the caller then pushes 1.0 unless env.c2 = 1. Note the host pushes the NaN
 * instead of 1.0 when out is a NaN (a NaN operand, or an infinity: the indefinite).
 */
export function fptan(out: F80, x: F80, env: FpEnv): void {
  if (!trigOperand(out, x, env)) return;
  if (kind(x) === Kind.Zero) return void out.copy(x);
  const { k, r } = reduce(x);
  const sc = sinCos(r);
  // tan r = r + r (sinM1 - cosM1) / cos r: the tail keeps full relative precision for tiny r.
  const tan = leadTail(r, div(mul(norm(r), add(sc.sm1, neg(sc.cm1))), sc.cos));
  const v = k & 1 ? neg(div(sc.cos, sc.sin)) : tan;
  roundApprox(out, x.sign ? neg(v) : v, env);
}

// ---------------------------------------------------------------------------------------------
// FPATAN.
// ---------------------------------------------------------------------------------------------

/** FPATAN: out = the angle of (x, y) (atan(y/x) in the quadrant of the signs); ST1 = y, ST0 = x. */
export function fpatan(out: F80, y: F80, x: F80, env: FpEnv): void {
  env.c1 = 0;
  const ky = kind(y);
  const kx = kind(x);
  // An unsupported encoding is invalid even beside a NaN (the host returns the indefinite).
  if (ky === Kind.Unsupported || kx === Kind.Unsupported) return indefinite(out, env);
  if (isNaN80(ky) || isNaN80(kx)) return nan2(out, y, x, env);
  if (ky === Kind.Denormal || kx === Kind.Denormal) env.exc |= DE;
  const yInf = ky === Kind.Inf;
  const xInf = kx === Kind.Inf;
  if (yInf && xInf) return roundPiFraction(out, y.sign, x.sign ? 3 : 1, 4, env);
  if (yInf) return roundPiFraction(out, y.sign, 1, 2, env);
  if (ky === Kind.Zero || xInf) {
    if (x.sign === 0) return zero(out, y.sign);
    return roundPiFraction(out, y.sign, 1, 1, env);
  }
  if (kx === Kind.Zero) return roundPiFraction(out, y.sign, 1, 2, env);
  const vy = value(y);
  const vx = value(x);
  const t = div(big(vy.m < 0n ? -vy.m : vy.m, vy.e), big(vx.m < 0n ? -vx.m : vx.m, vx.e));
  let a = atan(t);
  if (x.sign) a = add(PI, neg(a));
  roundApprox(out, y.sign ? neg(a) : a, env);
}

// ---------------------------------------------------------------------------------------------
// F2XM1, FYL2X, FYL2XP1.
// ---------------------------------------------------------------------------------------------

/** F2XM1: out = 2^x - 1 for -1 <= x <= 1; outside that the host returns x unchanged with PE. */
export function f2xm1(out: F80, x: F80, env: FpEnv): void {
  env.c1 = 0;
  const k = kind(x);
  if (isNaN80(k)) return nan1(out, x, env);
  if (k === Kind.Unsupported) return indefinite(out, env);
  if (k === Kind.Zero) return void out.copy(x);
  if (k === Kind.Inf) return void (x.sign ? out.set(1, EXP_BIAS, 0x80000000, 0) : out.copy(x));
  if (k === Kind.Denormal) env.exc |= DE;
  const v = value(x);
  if (top(v) >= 0 && cmp(big(v.m < 0n ? -v.m : v.m, v.e), ONE) > 0) {
    env.exc |= PE;
    out.copy(x);
    return;
  }
  // The ends of the range: the host's 2^1 - 1 lies just below 1 (it rounds up to 1 with C1, down to
  // 1 - 2^-64 toward zero), its 2^-1 - 1 is exactly -1/2; both report PE.
  if (x.exp === EXP_BIAS && x.hi === 0x80000000 && x.lo === 0) {
    if (x.sign) return roundExactPE(out, big(-1n, -1), env);
    return roundApprox(out, leadTail(ONE, big(-1n, -P)), env);
  }
  // 2^x - 1 = expm1(x ln2) = z + z^2/2! + ...: no cancellation, full relative precision near 0.
  const z = mul(v, LN2);
  const em1 = add(z, mul(z, series(z, 1, (n) => n + 1)));
  roundApprox(out, em1, env);
}

/**
 * What FYL2X and FYL2XP1 share: unsupported encodings (invalid even beside a NaN) and NaNs. Returns
 * true when the caller goes on. DE is the caller's: the host does not report it with IE or ZE.
 */
function logOperands(out: F80, x: F80, y: F80, env: FpEnv): boolean {
  env.c1 = 0;
  const kx = kind(x);
  const ky = kind(y);
  if (kx === Kind.Unsupported || ky === Kind.Unsupported) {
    indefinite(out, env);
    return false;
  }
  if (isNaN80(kx) || isNaN80(ky)) {
    nan2(out, x, y, env);
    return false;
  }
  return true;
}

function denormalOperand(a: F80, b: F80, env: FpEnv): void {
  if (kind(a) === Kind.Denormal || kind(b) === Kind.Denormal) env.exc |= DE;
}

/** FYL2X: out = y * log2(x); ST0 = x, ST1 = y. */
export function fyl2x(out: F80, x: F80, y: F80, env: FpEnv): void {
  if (!logOperands(out, x, y, env)) return;
  const kx = kind(x);
  const ky = kind(y);
  if (x.sign && kx !== Kind.Zero) return indefinite(out, env);
  if (kx === Kind.Zero) {
    // log2(0) = -inf: y * -inf, with ZE for a finite y (a division by zero in disguise).
    if (ky === Kind.Zero) return indefinite(out, env);
    if (ky !== Kind.Inf) env.exc |= ZE;
    return infinity(out, y.sign ^ 1);
  }
  if (kx === Kind.Inf) {
    if (ky === Kind.Zero) return indefinite(out, env);
    denormalOperand(x, y, env);
    return infinity(out, y.sign);
  }
  const l = log2(value(x));
  if (ky === Kind.Inf && l.v.m === 0n) return indefinite(out, env);
  denormalOperand(x, y, env);
  ylog(out, y, ky, l, env);
}

/** out = y * l, l = log2 of a finite positive value (l = 0 only when exact; not with an infinite y). */
function ylog(out: F80, y: F80, ky: Kind, l: { v: Big; exact: boolean }, env: FpEnv): void {
  const lSign = l.v.m < 0n ? 1 : 0;
  if (ky === Kind.Inf) return infinity(out, y.sign ^ lSign);
  if (ky === Kind.Zero || l.v.m === 0n) return zero(out, y.sign ^ (l.v.m === 0n ? 0 : lSign));
  const p = big(value(y).m * l.v.m, value(y).e + l.v.e);
  if (l.exact) roundExactPE(out, p, env);
  else roundApprox(out, norm(p), env);
}

/**
 * FYL2XP1: out = y * log2(x + 1); ST0 = x, ST1 = y. The manual defines it for |x| < 1 - sqrt(2)/2;
 * like the host, this computes y * log2(1 + x) for every x > -1. For a finite x <= -1 the host returns
 * x itself (with PE) for a finite non-zero y, and a zero or infinity of the sign of -y for a zero or
 * infinite y; this does the same.
 */
export function fyl2xp1(out: F80, x: F80, y: F80, env: FpEnv): void {
  if (!logOperands(out, x, y, env)) return;
  const kx = kind(x);
  const ky = kind(y);
  if (kx === Kind.Zero) {
    // log2(1 +- 0) = +-0: y * +-0, invalid for an infinite y.
    if (ky === Kind.Inf) return indefinite(out, env);
    denormalOperand(x, y, env);
    return zero(out, x.sign ^ y.sign);
  }
  if (kx === Kind.Inf) {
    if (x.sign) return indefinite(out, env);
    if (ky === Kind.Zero) return indefinite(out, env);
    denormalOperand(x, y, env);
    return infinity(out, y.sign);
  }
  denormalOperand(x, y, env);
  const w = addExact(value(x), ONE);
  if (w.m <= 0n) {
    if (ky === Kind.Zero) return zero(out, y.sign ^ 1);
    if (ky === Kind.Inf) return infinity(out, y.sign ^ 1);
    env.exc |= PE;
    return void out.copy(x);
  }
  ylog(out, y, ky, log2(w), env);
}
