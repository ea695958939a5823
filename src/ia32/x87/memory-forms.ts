/**
 * The x87 instructions with a memory operand: loads, stores, arithmetic and compares with a memory
 * source, and the control/state instructions (FLDCW, FNSTCW, FNSTSW, FLDENV, FNSTENV, FRSTOR, FNSAVE).
 *
 * Restart after a page fault must be exact: every memory operand is read completely, and a destination
 * translated for writing (Cpu.wpa, all pages checked), before any FPU state changes. After wpa
 * succeeded the stores themselves cannot fault.
 */
import { EAX, type Cpu } from '../cpu.js';
import { DE, F80, IE } from './f80.js';
import * as M from './float80.js';
import { EXC, FENV_SIZE, FSAVE_SIZE, setIndefinite, type Fpu } from './fpu.js';
import { arith, finishCompare, pushValue, wait } from './ops.js';

/** Memory operand formats. */
export const F32 = 0;
export const F64 = 1;
export const F80M = 2;
export const I16 = 3;
export const I32 = 4;
export const I64 = 5;
export const BCD = 6;

/** Size in bytes of each format. */
export const SIZE = [4, 8, 10, 2, 4, 8, 10];

/**
 * Read the operand at `a` in format `fmt` and convert it (exactly for integers) into f.t1. Returns
 * the exceptions of the conversion (an SNaN or denormal float source).
 */
function loadSource(c: Cpu, f: Fpu, a: number, fmt: number): number {
  const out = f.t1;
  switch (fmt) {
    case F32: {
      const env = f.prepare(false);
      M.fromF32(out, c.read32(a), env);
      return env.exc;
    }
    case F64: {
      const lo = c.read32(a);
      const env = f.prepare(false);
      M.fromF64(out, c.read32(a + 4), lo, env);
      return env.exc;
    }
    case F80M: {
      const lo = c.read32(a);
      const hi = c.read32(a + 4);
      const se = c.read16(a + 8);
      out.set(se >>> 15, se & 0x7fff, hi, lo);
      return 0;
    }
    case I16: {
      const v = (c.read16(a) << 16) >> 16;
      M.fromInt(out, v >> 31, v);
      return 0;
    }
    case I32: {
      const v = c.read32(a) | 0;
      M.fromInt(out, v >> 31, v);
      return 0;
    }
    case I64: {
      const lo = c.read32(a);
      M.fromInt(out, c.read32(a + 4), lo);
      return 0;
    }
    default: {
      const b = f.bcd;
      for (let i = 0; i < 10; i++) b[i] = c.read8(a + i);
      M.fromBcd(out, b);
      return 0;
    }
  }
}

type Ea = (c: Cpu) => number;

/** FLD m32/m64/m80, FILD m16/m32/m64, FBLD. */
export function load(c: Cpu, ip: number, fop: number, ea: Ea, fmt: number): void {
  const f = wait(c);
  const a = ea(c);
  const exc = loadSource(c, f, a, fmt);
  f.pointData(ip, fop, a);
  if (!f.isEmpty(7)) {
    if (f.stackFault(true)) setIndefinite(f.push());
    return;
  }
  // A denormal float32/float64 source is loaded even when DE is unmasked (the host does so).
  const loads = f.report(exc & ~DE);
  f.flags |= exc & DE;
  if (loads) pushValue(f, f.t1);
}

/** D8/DC/DA/DE memory forms: ST(0) = ST(0) (kind) m, or FCOM/FICOM(P) (kinds 2, 3). */
export function arithMem(c: Cpu, ip: number, fop: number, ea: Ea, fmt: number, kind: number): void {
  const f = wait(c);
  const a = ea(c);
  const exc = loadSource(c, f, a, fmt);
  f.pointData(ip, fop, a);
  if (kind === 2 || kind === 3) {
    finishCompare(f, false, f.t1, false, kind - 2, exc);
    return;
  }
  if (f.isEmpty(0)) {
    if (!f.stackFault(false)) return;
    setIndefinite(f.st(0));
    f.fill(0);
  } else if (arith(f, kind, f.t0, f.st(0), f.t1, exc)) f.st(0).copy(f.t0);
}

const INDEFINITE = setIndefinite(new F80());

/** Write ST(0) (or, `indefinite`, the format's indefinite) at `a` as computed into env / f.bcd. */
function put(c: Cpu, f: Fpu, a: number, fmt: number, indefinite: boolean): void {
  const env = f.env;
  switch (fmt) {
    case F32:
      c.write32(a, indefinite ? 0xffc00000 : env.ilo);
      return;
    case F64:
      c.write32(a, indefinite ? 0 : env.ilo);
      c.write32(a + 4, indefinite ? 0xfff80000 : env.ihi);
      return;
    case F80M: {
      const v = indefinite ? INDEFINITE : f.st(0);
      c.write32(a, v.lo);
      c.write32(a + 4, v.hi);
      c.write16(a + 8, (v.sign << 15) | v.exp);
      return;
    }
    case I16:
      c.write16(a, indefinite ? 0x8000 : env.ilo);
      return;
    case I32:
      c.write32(a, indefinite ? 0x80000000 : env.ilo);
      return;
    case I64:
      c.write32(a, indefinite ? 0 : env.ilo);
      c.write32(a + 4, indefinite ? 0x80000000 : env.ihi);
      return;
    default: {
      const b = f.bcd;
      if (indefinite) b.set(BCD_INDEFINITE);
      for (let i = 0; i < 10; i++) c.write8(a + i, b[i]!);
    }
  }
}

const BCD_INDEFINITE = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff);

/** Convert ST(0) to `fmt` into f.env (ihi/ilo) or f.bcd. */
function convert(f: Fpu, fmt: number, truncate: boolean): void {
  const env = f.prepare(false);
  const v = f.st(0);
  switch (fmt) {
    case F32:
      env.ilo = M.toF32(v, env);
      return;
    case F64:
      M.toF64(v, env);
      return;
    case F80M:
      return;
    case I16:
      M.toInt(v, env, 16, truncate);
      return;
    case I32:
      M.toInt(v, env, 32, truncate);
      return;
    case I64:
      M.toInt(v, env, 64, truncate);
      return;
    default:
      M.toBcd(v, env, f.bcd);
  }
}

/**
 * FST/FSTP m32/m64/m80, FIST/FISTP/FISTTP, FBSTP. An unmasked invalid, denormal, overflow or underflow
 * exception stores nothing and does not pop (a memory destination cannot take a bias-adjusted result);
 * an unmasked precision exception still stores. A masked invalid integer conversion stores the integer
 * indefinite.
 */
export function store(c: Cpu, ip: number, fop: number, ea: Ea, fmt: number, pop: boolean, truncate: boolean): void {
  const f = wait(c);
  const a = ea(c);
  c.wpa(a, SIZE[fmt]!);
  f.pointData(ip, fop, a);
  if (f.isEmpty(0)) {
    if (!f.stackFault(false)) return;
    put(c, f, a, fmt, true);
  } else {
    convert(f, fmt, truncate);
    const exc = f.env.exc;
    f.report(exc);
    if (exc & ~f.cw & 0x1f) {
      f.setC1(0); // nothing stored: no rounding to indicate (as the host does)
      return;
    }
    f.setC1(f.env.c1);
    put(c, f, a, fmt, (exc & IE) !== 0 && fmt >= I16);
  }
  if (pop) f.pop();
}

// ---------------------------------------------------------------------------------------------------
// Control and state

export function fldcw(c: Cpu, ea: Ea): void {
  const f = wait(c);
  f.setCw(c.read16(ea(c)));
}

export function fnstcw(c: Cpu, ea: Ea): void {
  c.write16(ea(c), c.fpu.cw);
}

export function fnstsw(c: Cpu, ea: Ea): void {
  c.write16(ea(c), c.fpu.sw);
}

export function fnstswAx(c: Cpu): void {
  c.set16(EAX, c.fpu.sw);
}

export function fnclex(c: Cpu): void {
  c.fpu.flags &= ~(EXC | 0x40);
}

export function fninit(c: Cpu): void {
  c.fpu.init();
}

/** Read `n` bytes at `a` into f.buf (may fault; the FPU is not touched yet). */
function readImage(c: Cpu, f: Fpu, a: number, n: number): void {
  const b = f.buf;
  for (let i = 0; i < n; i += 4) {
    const v = c.read32(a + i);
    b[i] = v;
    b[i + 1] = v >>> 8;
    b[i + 2] = v >>> 16;
    b[i + 3] = v >>> 24;
  }
}

function writeImage(c: Cpu, f: Fpu, a: number, n: number): void {
  const b = f.buf;
  for (let i = 0; i < n; i += 4) c.write32(a + i, b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
}

export function fldenv(c: Cpu, ea: Ea): void {
  const f = wait(c);
  readImage(c, f, ea(c), FENV_SIZE);
  f.restoreEnv(f.buf, 0);
}

/** FNSTENV: store the environment, then mask all exceptions (as the CPU does). */
export function fnstenv(c: Cpu, ea: Ea): void {
  storeImage(c, ea(c), false).cw |= EXC;
}

export function frstor(c: Cpu, ea: Ea): void {
  const f = wait(c);
  readImage(c, f, ea(c), FSAVE_SIZE);
  f.restore(f.buf, 0);
}

/** FNSAVE: store the whole state, then FNINIT. */
export function fnsave(c: Cpu, ea: Ea): void {
  storeImage(c, ea(c), true).init();
}

/** The environment (or the whole state) stored at `a`, checked for writing first so a fault changes nothing. */
function storeImage(c: Cpu, a: number, whole: boolean): Fpu {
  const f = c.fpu;
  const n = whole ? FSAVE_SIZE : FENV_SIZE;
  c.wpa(a, n);
  if (whole) f.save(f.buf, 0);
  else f.saveEnv(f.buf, 0);
  writeImage(c, f, a, n);
  return f;
}

