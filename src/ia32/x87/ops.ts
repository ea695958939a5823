/**
 * Execution of the x87 register forms and the rules every x87 instruction shares: the #MF check of
 * waiting instructions, stack underflow/overflow responses, exception suppression of the result.
 *
 * Policy for what the SDM leaves undefined, taken from the host (AMD) CPU with gcc -m32 tests:
 * C0, C2 and C3 keep their values after every instruction that does not define them (arithmetic, loads,
 * stores, FXCH, ...); C1 is the round-up indication after arithmetic and 0 after loads, FXCH, FCHS,
 * FABS, FFREE, FDECSTP/FINCSTP; FNOP, FCMOVcc and FCOMI/FUCOMI leave C1 unchanged (stack underflow
 * still clears it).
 *
 * Every function here takes the instruction's address `ip` and its 11-bit opcode `fop` (for the
 * last-instruction pointers) and works on preallocated scratch values: nothing allocates.
 */
import { AF, CF, OF, PF, SF, ZF, type Cpu } from '../cpu.js';
import { DE, F80, IE, ZE, type FpEnv } from './f80.js';
import * as M from './float80.js';
import * as T from './transcendental.js';
import { C1, C2, setIndefinite, type Fpu } from './fpu.js';

/** A waiting FPU instruction starts here: #MF if an unmasked exception is pending, before any change. */
export function wait(c: Cpu): Fpu {
  const f = c.fpu;
  if (f.pendingUnmasked()) c.raise('mf', 'x87 floating-point exception pending');
  return f;
}

/** Arithmetic kinds, in ModRM reg order of D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR. */
export const K_ADD = 0;
export const K_MUL = 1;
export const K_SUB = 4;
export const K_SUBR = 5;
export const K_DIV = 6;
export const K_DIVR = 7;

/**
 * out = a (kind) b, precision control applied. Returns whether the result may be written; C1 is the
 * round-up indication.
 */
export function arith(f: Fpu, kind: number, out: F80, a: F80, b: F80, convExc: number): boolean {
  const env = f.prepare(true);
  switch (kind) {
    case K_ADD:
      M.add(out, a, b, env);
      break;
    case K_MUL:
      M.mul(out, a, b, env);
      break;
    case K_SUB:
      M.sub(out, a, b, env);
      break;
    case K_SUBR:
      M.sub(out, b, a, env);
      break;
    case K_DIV:
      M.div(out, a, b, env);
      break;
    default:
      M.div(out, b, a, env);
      break;
  }
  f.setC1(env.c1);
  return f.report(env.exc | sourceDenormal(convExc, env.exc, a));
}

/**
 * The denormal exception of a converted memory operand (a float32/float64 denormal is normal in the
 * 80-bit format, so the arithmetic cannot see it). As on the host CPU it is not raised when the other
 * operand is a NaN or unsupported, or when the operation is invalid or divides by zero.
 */
function sourceDenormal(convExc: number, exc: number, other: F80): number {
  if ((convExc & DE) === 0) return convExc;
  const k = classify(other);
  return exc & (IE | ZE) || k <= 1 ? convExc & ~DE : convExc;
}

/** ST(dst) = ST(dst) (kind) ST(src), then pop if asked: the D8, DC and DE register forms. */
export function arithReg(c: Cpu, ip: number, fop: number, kind: number, dst: number, src: number, pop: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(dst) || f.isEmpty(src)) {
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(dst));
    f.fill(dst);
  } else if (arith(f, kind, f.t0, f.st(dst), f.st(src), 0)) f.st(dst).copy(f.t0);
  else return;
  if (pop) f.pop();
}

/** Compare codes (C3 C2 C0) by compare() result: greater, less, equal, unordered. */
const CODES = [0b000, 0b001, 0b100, 0b111];
/** The same as EFLAGS ZF PF CF. */
const EFLAGS = [0, CF, ZF, ZF | PF | CF];

/**
 * Compare ST(0) with b (FCOM/FUCOM/FTST/FICOM/FCOMI): the compare() result (3, unordered, for an
 * empty operand). Sets `comparePops` to whether the instruction may pop: the host CPU writes the
 * condition codes (or EFLAGS) even when an invalid-operation exception is unmasked, and only the pop
 * is suppressed.
 */
function compareValues(f: Fpu, bEmpty: boolean, b: F80, quiet: boolean, convExc: number): number {
  if (f.isEmpty(0) || bEmpty) {
    comparePops = f.stackFault(false);
    return 3;
  }
  const env = f.prepare(false);
  const r = M.compare(f.st(0), b, env, quiet);
  comparePops = f.report(env.exc | sourceDenormal(convExc, env.exc, f.st(0)));
  return r;
}
let comparePops = true;

/** FCOM family on ST(0) and ST(src); pops 0, 1 or 2 times. */
export function compareSt(c: Cpu, ip: number, fop: number, src: number, quiet: boolean, pops: number): void {
  const f = wait(c);
  f.point(ip, fop);
  finishCompare(f, f.isEmpty(src), f.st(src), quiet, pops, 0);
}

/** Shared end of the FCOM forms, b already in place (a memory operand is in f.t1). */
export function finishCompare(f: Fpu, bEmpty: boolean, b: F80, quiet: boolean, pops: number, convExc: number): void {
  f.setCodes(CODES[compareValues(f, bEmpty, b, quiet, convExc)]!);
  if (comparePops) for (let i = 0; i < pops; i++) f.pop();
}

/** FCOMI/FUCOMI(P): the result in ZF PF CF; OF SF AF cleared; C1 unchanged (as the host does). */
export function compareEflags(c: Cpu, ip: number, fop: number, src: number, quiet: boolean, pop: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  const c1 = f.flags & C1;
  const present = !f.isEmpty(0) && !f.isEmpty(src);
  const r = compareValues(f, !present, f.st(src), quiet, 0);
  if (present) f.flags = (f.flags & ~C1) | c1; // only a stack underflow changes C1 here
  c.setFlagBits(ZF | PF | CF | OF | SF | AF, EFLAGS[r]!);
  if (pop && comparePops) f.pop();
}

const ZERO = new F80();

export function ftst(c: Cpu, ip: number, fop: number): void {
  const f = wait(c);
  f.point(ip, fop);
  finishCompare(f, false, ZERO, false, 0, 0);
}

/** FXAM class codes (C3 C2 C0) of a non-empty register; empty is 101. */
export function classify(v: F80): number {
  if (v.exp === 0x7fff) {
    if ((v.hi & 0x80000000) === 0) return 0b000; // pseudo-infinity / pseudo-NaN: unsupported
    return v.hi === 0x80000000 && v.lo === 0 ? 0b011 : 0b001;
  }
  if (v.exp === 0) return v.hi === 0 && v.lo === 0 ? 0b100 : 0b110;
  return v.hi & 0x80000000 ? 0b010 : 0b000;
}

export function fxam(c: Cpu, ip: number, fop: number): void {
  const f = wait(c);
  f.point(ip, fop);
  const v = f.st(0);
  f.setCodes(f.isEmpty(0) ? 0b101 : classify(v));
  f.setC1(v.sign);
}

/** Push `v` (a copy is taken first, so v may be a register), or respond to a stack overflow. */
export function pushValue(f: Fpu, v: F80): void {
  if (!f.isEmpty(7)) {
    if (f.stackFault(true)) setIndefinite(f.push());
    return;
  }
  f.t2.copy(v);
  f.push().copy(f.t2);
  f.setC1(0);
}

export function fldSt(c: Cpu, ip: number, fop: number, i: number): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(i)) {
    // Underflow (reported as such, C1 = 0, even when the stack is also full, as the host does).
    if (f.stackFault(false)) setIndefinite(f.push());
    return;
  }
  pushValue(f, f.st(i));
}

export function fldConst(c: Cpu, ip: number, fop: number, which: number): void {
  const f = wait(c);
  f.point(ip, fop);
  M.loadConstant(f.t1, which, (f.cw >>> 10) & 3);
  pushValue(f, f.t1);
}

/** FST/FSTP ST(i). */
export function fstSt(c: Cpu, ip: number, fop: number, i: number, pop: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(0)) {
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(i));
  } else {
    f.st(i).copy(f.st(0));
    f.setC1(0);
  }
  f.fill(i);
  if (pop) f.pop();
}

export function fxch(c: Cpu, ip: number, fop: number, i: number): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(0) || f.isEmpty(i)) {
    if (!f.stackFault(false)) return;
    if (f.isEmpty(0)) setIndefinite(f.st(0));
    if (f.isEmpty(i)) setIndefinite(f.st(i));
    f.fill(0);
    f.fill(i);
  }
  f.t0.copy(f.st(0));
  f.st(0).copy(f.st(i));
  f.st(i).copy(f.t0);
  f.setC1(0);
}

/** FCHS (abs false) and FABS (abs true). */
export function fsign(c: Cpu, ip: number, fop: number, abs: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(0)) {
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(0));
    f.fill(0);
    return;
  }
  const v = f.st(0);
  v.sign = abs ? 0 : v.sign ^ 1;
  f.setC1(0);
}

/** FFREE ST(i), and FFREEP (then a pop). */
export function ffree(c: Cpu, ip: number, fop: number, i: number, pop: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  f.empty[(f.top + i) & 7] = 1;
  f.setC1(0);
  if (pop) f.pop();
}

/** FINCSTP (+1) / FDECSTP (-1): TOP moves, tags stay. */
export function moveTop(c: Cpu, ip: number, fop: number, delta: number): void {
  const f = wait(c);
  f.point(ip, fop);
  f.top = (f.top + delta) & 7;
  f.setC1(0);
}

export function fnop(c: Cpu, ip: number, fop: number): void {
  wait(c).point(ip, fop);
}

/** FCMOVcc: ST(0) = ST(i) when EFLAGS condition `cc` holds. */
export function fcmov(c: Cpu, ip: number, fop: number, cc: number, i: number): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(0) || f.isEmpty(i)) {
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(0));
    f.fill(0);
    return;
  }
  if (c.cond(cc)) f.st(0).copy(f.st(i));
}

type Unary = (out: F80, a: F80, env: FpEnv) => void;

/** ST(0) = fn(ST(0)): FSQRT, FRNDINT, F2XM1, and FSIN/FCOS (`partial`: C2 = operand out of range). */
export function unary(c: Cpu, ip: number, fop: number, fn: Unary, precision: boolean, partial: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(0)) {
    if (partial) f.flags &= ~C2;
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(0));
    f.fill(0);
    return;
  }
  const env = f.prepare(precision);
  fn(f.t0, f.st(0), env);
  if (partial && outOfRange(f, env)) return;
  f.setC1(env.c1);
  if (f.report(env.exc)) f.st(0).copy(f.t0);
}

/** C2 of the transcendental instructions; true when the operand was out of range (left unchanged, C1 = 0). */
function outOfRange(f: Fpu, env: FpEnv): boolean {
  if (env.c2) {
    f.flags = (f.flags | C2) & ~C1;
    f.report(env.exc);
    return true;
  }
  f.flags &= ~C2;
  return false;
}

export const fsqrt: Unary = (out, a, env) => M.sqrt(out, a, env);
export const frndint: Unary = (out, a, env) => M.roundToInt(out, a, env);
export const f2xm1: Unary = (out, a, env) => T.f2xm1(out, a, env);
export const fsin: Unary = (out, a, env) => T.fsin(out, a, env);
export const fcos: Unary = (out, a, env) => T.fcos(out, a, env);

type Binary = (out: F80, st0: F80, st1: F80, env: FpEnv) => void;

/** Operations on ST(0) and ST(1): FSCALE (result in ST(0)), FPATAN/FYL2X/FYL2XP1 (in ST(1), popped). */
export function binary(c: Cpu, ip: number, fop: number, fn: Binary, intoSt1: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  const dst = intoSt1 ? 1 : 0;
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(dst));
    f.fill(dst);
  } else {
    const env = f.prepare(false);
    fn(f.t0, f.st(0), f.st(1), env);
    f.setC1(env.c1);
    if (!f.report(env.exc)) return;
    f.st(dst).copy(f.t0);
  }
  if (intoSt1) f.pop();
}

export const fscale: Binary = (out, st0, st1, env) => M.scale(out, st0, st1, env);
export const fpatan: Binary = (out, st0, st1, env) => T.fpatan(out, st1, st0, env);
export const fyl2x: Binary = (out, st0, st1, env) => T.fyl2x(out, st0, st1, env);
export const fyl2xp1: Binary = (out, st0, st1, env) => T.fyl2xp1(out, st0, st1, env);

/**
 * FPREM / FPREM1: ST(0) = remainder of ST(0) / ST(1); C2 = incomplete, C0 C3 C1 = quotient bits q2 q1 q0.
 * Without a numeric remainder (a stack fault, an invalid operation, a NaN) C2 and C1 are cleared and
 * C3 C0 keep their values, as on the host CPU.
 */
export function fprem(c: Cpu, ip: number, fop: number, ieee: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  f.flags &= ~C2;
  if (f.isEmpty(0) || f.isEmpty(1)) {
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(0));
    f.fill(0);
    return;
  }
  const env = f.prepare(false);
  M.prem(f.t0, f.st(0), f.st(1), env, ieee);
  if (!f.report(env.exc)) return;
  const r = f.st(0).copy(f.t0);
  if (classify(r) === 0b001) {
    f.setC1(0);
    return;
  }
  // An incomplete reduction clears the quotient bits (as the host does).
  const q = env.c2 ? 0 : env.quotient;
  f.setCodes((q & 2 ? 4 : 0) | (env.c2 ? 2 : 0) | (q & 4 ? 1 : 0));
  f.setC1(q & 1);
}

type TwoResults = (first: F80, second: F80, x: F80, env: FpEnv) => void;

/**
 * FXTRACT, FPTAN, FSINCOS: ST(0) is replaced by `first`, then `second` is pushed. With an empty
 * ST(0) or a full stack both (masked) become the indefinite. FPTAN/FSINCOS (`partial`) leave the
 * operand alone when it is out of range (C2 = 1).
 */
export function twoResults(c: Cpu, ip: number, fop: number, fn: TwoResults, partial: boolean): void {
  const f = wait(c);
  f.point(ip, fop);
  if (f.isEmpty(0) || !f.isEmpty(7)) {
    if (partial) f.flags &= ~C2;
    if (!f.stackFault(!f.isEmpty(0))) return;
    setIndefinite(f.st(0));
    f.fill(0);
    setIndefinite(f.push());
    return;
  }
  const env = f.prepare(false);
  fn(f.t0, f.t1, f.st(0), env);
  if (partial && outOfRange(f, env)) return;
  f.setC1(env.c1);
  if (!f.report(env.exc)) return;
  f.st(0).copy(f.t0);
  f.push().copy(f.t1);
}

export const fxtract: TwoResults = (first, second, x, env) => M.xtract(second, first, x, env);
export const fsincos: TwoResults = (first, second, x, env) => T.fsincos(first, second, x, env);
/** FPTAN pushes 1.0, or (as the host does) the NaN result again when the tangent is a NaN. */
export const fptan: TwoResults = (first, second, x, env) => {
  T.fptan(first, x, env);
  if (classify(first) === 0b001) second.copy(first);
  else M.loadConstant(second, M.CONST_ONE, 0);
};

