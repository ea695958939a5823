// x87 FPU instruction forms and random case generation for the host-CPU test vectors (generate.mjs).
//
// A case is one x87 instruction with an input FPU state (control word, status word, tags, the eight
// registers) that the oracle loads with PTRACE_SETFPREGS before the single step and reads back after it.
// Memory operands are patched into the scratch bytes (the case's `p` field), because wanted values (a
// signalling NaN in an m64, a 108-byte FRSTOR image) cannot be found by searching scratch seeds.
//
// There is deliberately no second FPU model here: the recorded data comes from the CPU and the interpreter
// test (test/ia32/x87-vectors.test.ts) is the comparison. generate.mjs only checks invariants (see
// checkX87 below). What this module does supply per case is the set of status-word bits the Intel SDM leaves
// undefined after the instruction (`fu`), and the memory bytes that are not architectural (`mu`).
//
// Written from scratch for l4trace (MIT).
import { Rng, SCR, memOperand, newCase } from './forms.mjs';

export const X87_FAMILIES = ['x87arith', 'x87load', 'x87store', 'x87cmp', 'x87misc', 'x87ctl', 'x87trans'];
/** Status-word condition bits. */
export const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
const CC = C0 | C1 | C2 | C3;
/** What the SDM calls "undefined" after most operations: everything but C1. */
const U_ARITH = C0 | C2 | C3;
/**
 * Transcendental results (x87trans) are compared within this many units in the last place of the 64-bit
 * significand (the transcendental instructions ignore precision control); special cases (zeros,
 * infinities, NaNs, invalid operands, out-of-range arguments, exact results) are compared bit for bit.
 * See test/vectors/README.md; docs/x87.md has the errors measured for the interpreter.
 */
export const TRANS_ULP_BOUND = 2;

const M64 = (1n << 64n) - 1n;
const INT = 1n << 63n;
const hex = (v, w) => v.toString(16).padStart(w, '0');

// ---------------------------------------------------------------- 80-bit values (BigInt: sign<<79 | exp<<64 | significand)

const mk = (sign, exp, mant) => (BigInt(sign) << 79n) | (BigInt(exp) << 64n) | (BigInt.asUintN(64, mant));
const expOf = (v) => Number((v >> 64n) & 0x7fffn);
const mantOf = (v) => v & M64;
export const hex80 = (v) => hex(v, 20);

function rbits(rng, n) {
  let v = 0n;
  for (let i = 0; i < n; i += 32) v = (v << 32n) | BigInt(rng.u32());
  return BigInt.asUintN(n, v);
}

/** A normalized value sign * M * 2^e2 (M a positive BigInt of at most 64 bits), or zero. */
function fromInt(sign, M, e2 = 0) {
  if (M === 0n) return mk(sign, 0, 0n);
  const bl = M.toString(2).length;
  if (bl > 64) throw new Error('fromInt: more than 64 bits');
  return mk(sign, 16383 + bl - 1 + e2, M << BigInt(64 - bl));
}

/** The exact extended value of a JS double (finite, non-zero, normal or subnormal). */
function fromDouble(x) {
  if (x === 0) return mk(Object.is(x, -0) ? 1 : 0, 0, 0n);
  const sign = x < 0 ? 1 : 0;
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, Math.abs(x));
  const bits = b.getBigUint64(0);
  const e = Number(bits >> 52n), f = bits & ((1n << 52n) - 1n);
  return e === 0 ? fromInt(sign, f, -1074) : fromInt(sign, f | (1n << 52n), e - 1075);
}

/** A random significand (integer bit set) with the patterns that matter for rounding. */
function rmant(rng) {
  const k = rng.int(100);
  if (k < 35) return INT | rbits(rng, 63);
  if (k < 52) return INT | (rbits(rng, 52) << 11n); // a double
  if (k < 60) return INT | (rbits(rng, 23) << 40n); // a float
  if (k < 68) return BigInt.asUintN(64, (INT | (rbits(rng, 52) << 11n) | 0x400n) + BigInt(rng.int(3) - 1)); // double halfway +-1
  if (k < 74) return BigInt.asUintN(64, (INT | (rbits(rng, 23) << 40n) | (1n << 39n)) + BigInt(rng.int(3) - 1)); // float halfway +-1
  if (k < 80) return M64 - BigInt(rng.int(4)); // all ones: rounding carries into the exponent
  if (k < 88) return INT; // a power of two
  if (k < 94) return INT | (1n << BigInt(rng.int(63))) | (rng.chance(0.5) ? 1n : 0n); // few bits
  return INT | (rbits(rng, 8) << 55n); // short (small integers at any scale)
}

const B = 16383;
/** A biased exponent for a finite normal value: mostly near 1.0, also at each format's range limits. */
function rexp(rng) {
  const k = rng.int(100);
  if (k < 40) return B + rng.int(17) - 8;
  if (k < 58) return B + rng.int(129) - 64;
  if (k < 66) return 1 + rng.int(0x7ffe);
  if (k < 76) return rng.pick([B + 127, B + 128, B + 126, B - 126, B - 127, B - 125, B - 149, B - 150, B - 148, B - 140]) + rng.int(3) - 1;
  if (k < 86) return rng.pick([B + 1023, B + 1024, B + 1022, B - 1022, B - 1023, B - 1021, B - 1074, B - 1075, B - 1060]) + rng.int(3) - 1;
  return rng.chance(0.5) ? 0x7ffe - rng.int(4) : 1 + rng.int(4);
}

/** Integer-valued numbers and halves near the limits of the integer/BCD formats (for FIST/FBSTP/FRNDINT). */
function rintLike(rng) {
  const sign = rng.int(2);
  const base = rng.pick([0n, 1n, 2n, 3n, 1n << 15n, 1n << 16n, 1n << 31n, 1n << 32n, 1n << 53n, 1n << 63n, 10n ** 18n, 10n ** 17n,
    BigInt(rng.int(1000)), rbits(rng, 20), rbits(rng, 40), rbits(rng, 62)]);
  const off = BigInt(rng.int(5) - 2);
  let M = (base + off) * 2n + (rng.chance(0.4) ? 1n : 0n); // in halves
  if (M <= 0n) M = BigInt(rng.int(4) + 1);
  if (rng.chance(0.15)) { M = M * 4n + BigInt(rng.int(4)); return fromInt(sign, M > M64 ? M >> 3n : M, -3); } // quarters
  return fromInt(sign, M > M64 ? M >> 2n : M, -1);
}

/**
 * A random 80-bit register value. Classes: normals (most), zeros, infinities, quiet and signalling NaNs with
 * payloads, denormals, integers and halves at the integer limits, and now and then the encodings the 8087
 * family left undefined (pseudo-denormal, unnormal, pseudo-NaN/pseudo-infinity).
 */
export function rf80(rng, o = {}) {
  const sign = o.positive ? 0 : rng.int(2);
  const k = rng.int(100);
  if (k < 66) return mk(sign, rexp(rng), rmant(rng));
  if (k < 72) return mk(sign, 0, 0n);
  if (k < 76) return mk(sign, 0x7fff, INT);
  if (k < 79) return mk(sign, 0x7fff, INT | (1n << 62n) | (rng.chance(0.3) ? 0n : rbits(rng, 62))); // QNaN
  if (k < 82) return mk(sign, 0x7fff, INT | (rbits(rng, 62) || 1n)); // SNaN
  if (k < 86) return mk(sign, 0, rbits(rng, rng.pick([63, 40, 8])) || 1n); // denormal
  if (k < 87) return mk(sign, 0, INT | rbits(rng, 63)); // pseudo-denormal
  if (k < 88) return mk(sign, rexp(rng), rbits(rng, 63)); // unnormal
  if (k < 89) return mk(sign, 0x7fff, rbits(rng, 63)); // pseudo-NaN / pseudo-infinity
  return rintLike(rng);
}

/** The tag the CPU reports for a non-empty register (FSTENV on FXSR CPUs, Linux's twd_fxsr_to_i387). */
export function tagOf(v) {
  const e = expOf(v), m = mantOf(v);
  if (e === 0x7fff) return 2;
  if (e === 0) return m === 0n ? 1 : 2;
  return m & INT ? 0 : 2;
}

// ---------------------------------------------------------------- memory operand encodings

function rm32(rng) {
  const s = rng.int(2) << 31, k = rng.int(100);
  if (k < 50) {
    const e = rng.chance(0.6) ? 127 + rng.int(17) - 8 : rng.chance(0.5) ? rng.pick([1, 2, 254, 253]) : 1 + rng.int(254);
    return (s | (e << 23) | (rng.chance(0.3) ? 0 : rng.u32() & 0x7fffff)) >>> 0;
  }
  if (k < 58) return s >>> 0; // zero
  if (k < 64) return (s | 0x7f800000) >>> 0;
  if (k < 70) return (s | 0x7fc00000 | (rng.chance(0.4) ? 0 : rng.u32() & 0x3fffff)) >>> 0;
  if (k < 76) return (s | 0x7f800000 | ((rng.u32() & 0x3fffff) || 1)) >>> 0;
  if (k < 84) return (s | ((rng.u32() & 0x7fffff) || 1)) >>> 0; // denormal
  return rng.u32();
}
function rm64(rng) {
  const s = BigInt(rng.int(2)) << 63n, k = rng.int(100), f = () => rbits(rng, 52);
  if (k < 50) {
    const e = rng.chance(0.6) ? 1023 + rng.int(17) - 8 : rng.chance(0.5) ? rng.pick([1, 2, 2046, 2045]) : 1 + rng.int(2046);
    return s | (BigInt(e) << 52n) | (rng.chance(0.3) ? (rng.chance(0.5) ? 0n : rbits(rng, 23) << 29n) : f());
  }
  if (k < 58) return s;
  if (k < 64) return s | (0x7ffn << 52n);
  if (k < 70) return s | (0xfffn << 51n) | (rng.chance(0.4) ? 0n : rbits(rng, 51));
  if (k < 76) return s | (0x7ffn << 52n) | (rbits(rng, 51) || 1n);
  if (k < 84) return s | (f() || 1n);
  return rbits(rng, 64);
}
const EDGE16 = [0, 1, 0xffff, 0x7fff, 0x8000, 0x8001, 0xfffe, 0x7ffe, 100, 0xff9c];
const EDGE32 = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x80000001, 0x01000000, 0x01000001, 0xff000000, 0xfeffffff];
const EDGE64 = [0n, 1n, M64, (1n << 63n) - 1n, 1n << 63n, (1n << 63n) + 1n, 1n << 53n, (1n << 53n) + 1n, M64 - (1n << 53n), 1n << 62n];
function rbcd(rng) {
  const digits = [];
  const nd = rng.pick([0, 1, 2, 5, 9, 12, 17, 18, 18, 18]);
  for (let i = 0; i < 18; i++) digits.push(i < nd ? (rng.chance(0.2) ? 9 : rng.int(10)) : 0);
  const bytes = [];
  for (let i = 0; i < 9; i++) bytes.push(digits[2 * i] | (digits[2 * i + 1] << 4));
  bytes.push(rng.chance(0.5) ? 0x80 : 0);
  return bytes;
}
const leBytes = (v, n) => { const o = []; let x = BigInt(v); for (let i = 0; i < n; i++) { o.push(Number(x & 0xffn)); x >>= 8n; } return o; };

/** Random bytes of a memory operand of the given kind. */
function memValue(rng, kind) {
  switch (kind) {
    case 'm32': return leBytes(rm32(rng), 4);
    case 'm64': return leBytes(rm64(rng), 8);
    case 'm80': return leBytes(rf80(rng), 10);
    case 'i16': return leBytes(rng.chance(0.4) ? rng.pick(EDGE16) : rng.chance(0.5) ? rng.int(64) : rng.u32() & 0xffff, 2);
    case 'i32': return leBytes(rng.chance(0.4) ? rng.pick(EDGE32) : rng.chance(0.5) ? rng.int(64) : rng.u32(), 4);
    case 'i64': return leBytes(rng.chance(0.4) ? rng.pick(EDGE64) : rng.chance(0.3) ? BigInt(rng.int(64)) : rbits(rng, 64), 8);
    case 'bcd': return rbcd(rng);
    default: throw new Error(kind);
  }
}
const SIZE = { m32: 4, m64: 8, m80: 10, i16: 2, i32: 4, i64: 8, bcd: 10, cw: 2, sw: 2, env: 28, save: 108 };

// ---------------------------------------------------------------- FPU state

/**
 * A random control word: every rounding control and precision control (the reserved PC=1 too), mostly all
 * exceptions masked, in a fair share of cases some unmasked. Bit 6 reads as 1 on every CPU since the 387.
 */
function rcw(rng) {
  let masks = 0x3f;
  if (rng.chance(0.3)) { masks = 0; for (let b = 0; b < 6; b++) if (rng.chance(0.6)) masks |= 1 << b; if (masks === 0x3f) masks = 0x3e; }
  const pc = rng.pick([3, 3, 3, 3, 2, 2, 2, 0, 0, 1]);
  return 0x40 | masks | (pc << 8) | (rng.int(4) << 10) | (rng.chance(0.1) ? 0x1000 : 0);
}

/**
 * A random status word for control word cw: random TOP and condition codes, sticky exception flags that are
 * masked (so nothing is pending), and with probability pPending one unmasked flag, so that the next waiting
 * x87 instruction takes #MF. ES and B are set exactly when an unmasked exception is flagged, the only state
 * the CPU itself produces (it decides about #MF from sw & ~cw, not from ES).
 */
function rsw(rng, cw, top, pPending) {
  let flags = 0;
  if (rng.chance(0.4)) for (let b = 0; b < 7; b++) if (rng.chance(0.3) && (cw >> b) & 1) flags |= 1 << b;
  if ((cw & 0x3f) !== 0x3f && rng.chance(pPending)) {
    const un = [0, 1, 2, 3, 4, 5].filter((b) => !((cw >> b) & 1));
    flags |= 1 << rng.pick(un);
    if (flags & 1 && rng.chance(0.3)) flags |= 0x40;
  }
  if (flags & 0x40) flags |= 1; // SF only ever comes with IE
  return withEs((top << 11) | (rng.u32() & CC) | flags, cw);
}
const withEs = (sw, cw) => ((sw & ~0x8080) | ((sw & ~cw & 0x3f) ? 0x8080 : 0)) & 0xffff;

/**
 * The FPU input of a case. need: ST indices that hold values (each empty with a small probability: stack
 * underflow); push: how many registers the instruction pushes (ST(7).. must be empty; full with a small
 * probability: stack overflow); vals(rng, i): the value for ST(i) (default rf80).
 */
function rfpu(rng, form, need) {
  const cw = rcw(rng);
  const top = rng.int(8);
  const sw = rsw(rng, cw, top, form.pPending ?? 0.06);
  const regs = new Array(8), empty = new Array(8);
  for (let p = 0; p < 8; p++) { regs[p] = rf80(rng); empty[p] = rng.chance(0.5); }
  const phys = (i) => (top + i) & 7;
  const underflow = rng.chance(0.06);
  for (const i of need) empty[phys(i)] = underflow && rng.chance(0.6) ? true : false;
  if (form.push) {
    const overflow = rng.chance(0.06);
    for (let j = 0; j < form.push; j++) empty[phys(7 - j)] = !overflow;
  }
  if (form.fullStack) for (let p = 0; p < 8; p++) empty[p] = rng.chance(0.1);
  const st = (i) => regs[phys(i)];
  const setSt = (i, v) => { regs[phys(i)] = v; };
  const f = { cw, sw, top, regs, empty, st, setSt };
  for (let p = 0; p < 8; p++) if (empty[p] && rng.chance(0.3)) regs[p] = 0n; // an emptied register keeps its bits; often they are zero
  return f;
}
const tagWord = (f) => f.regs.reduce((t, v, p) => t | ((f.empty[p] ? 3 : tagOf(v)) << (2 * p)), 0);

/** The 108-byte FSAVE image (struct user_i387_struct) of an FPU state; FIP/FCS/FOO/FOS are 0. */
export function fsaveImage(f) {
  const b = Buffer.alloc(108);
  b.writeUInt32LE(f.cw, 0);
  b.writeUInt32LE(f.sw, 4);
  b.writeUInt32LE(tagWord(f), 8);
  for (let i = 0; i < 8; i++) Buffer.from(leBytes(f.st(i), 10)).copy(b, 28 + 10 * i);
  return new Uint8Array(b);
}
/** The compact record of an FSAVE image: { cw, sw, tag, st: [20 hex digits, ST(0)..ST(7)] }. */
export function fpuRecord(img) {
  const b = Buffer.from(img);
  const st = [];
  for (let i = 0; i < 8; i++) st.push(Buffer.from(b.subarray(28 + 10 * i, 38 + 10 * i)).reverse().toString('hex'));
  return { cw: b.readUInt16LE(0), sw: b.readUInt16LE(4), tag: b.readUInt16LE(8), st };
}

// ---------------------------------------------------------------- forms

const forms = [];
/**
 * enc: the opcode bytes; reg: the ModRM reg field of a memory form; mem: the memory operand kind (loaded
 * operands get patched in, stored ones are written by the instruction); sti: a register form whose last
 * opcode byte gets +i; fu: the undefined status bits; the rest is passed to rfpu.
 */
function form(fam, name, encText, spec) { forms.push({ fam, name: `${name} [${encText}]`, enc: encText, size: spec.mem ? SIZE[spec.mem] * 8 : 80, variant: spec.mem ? 'mem' : spec.sti ? 'reg' : null, n: spec.n, ...spec }); }

const N = { x87arith: 110, x87load: 190, x87store: 190, x87cmp: 150, x87misc: 150, x87ctl: 230, x87trans: 620 };
const hx = (b) => b.toString(16).toUpperCase().padStart(2, '0');

// Arithmetic: D8 (m32 / ST(0),ST(i)), DC (m64 / ST(i),ST(0)), DE (…P), DA (m32int), DE (m16int).
// A fifth of the register cases pair operands of nearly the same magnitude: cancellation, and overflow or
// underflow when the first one is at the edge of the exponent range.
const nearPair = (rng, i, f) => {
  if (i === 0 || !rng.chance(0.2)) return f.st(i);
  if (rng.chance(0.3)) f.setSt(0, mk(rng.int(2), rng.pick([0x7ffe, 0x7ffd, 1, 2, 3]), rmant(rng)));
  const v = f.st(0), e = expOf(v);
  if (e === 0 || e === 0x7fff) return f.st(i);
  return mk(rng.int(2), Math.max(1, Math.min(0x7ffe, e + rng.int(5) - 2)), rng.chance(0.5) ? mantOf(v) ^ BigInt(rng.int(16)) : rmant(rng));
};
const ARITH = [['FADD', 0], ['FMUL', 1], ['FSUB', 4], ['FSUBR', 5], ['FDIV', 6], ['FDIVR', 7]];
for (const [op, r] of ARITH) {
  form('x87arith', `${op} m32fp`, `D8 /${r}`, { op: [0xd8], reg: r, mem: 'm32', need: [0], fu: U_ARITH, n: N.x87arith });
  form('x87arith', `${op} m64fp`, `DC /${r}`, { op: [0xdc], reg: r, mem: 'm64', need: [0], fu: U_ARITH, n: N.x87arith });
  form('x87arith', `${op} ST(0), ST(i)`, `D8 ${hx(0xc0 + 8 * r)}+i`, { op: [0xd8, 0xc0 + 8 * r], sti: true, need: [0, 'i'], valsLate: nearPair, fu: U_ARITH, n: N.x87arith });
  // DC/DE swap the SUB/SUBR and DIV/DIVR encodings (Intel's mnemonics): DC E8+i is FSUB ST(i), ST(0).
  form('x87arith', `${op} ST(i), ST(0)`, `DC ${hx(0xc0 + 8 * (r >= 4 ? r ^ 1 : r))}+i`, { op: [0xdc, 0xc0 + 8 * (r >= 4 ? r ^ 1 : r)], sti: true, need: [0, 'i'], valsLate: nearPair, fu: U_ARITH, n: N.x87arith });
  form('x87arith', `${op}P ST(i), ST(0)`, `DE ${hx(0xc0 + 8 * (r >= 4 ? r ^ 1 : r))}+i`, { op: [0xde, 0xc0 + 8 * (r >= 4 ? r ^ 1 : r)], sti: true, need: [0, 'i'], valsLate: nearPair, fu: U_ARITH, n: N.x87arith });
  form('x87arith', `FI${op.slice(1)} m32int`, `DA /${r}`, { op: [0xda], reg: r, mem: 'i32', need: [0], fu: U_ARITH, n: N.x87arith });
  form('x87arith', `FI${op.slice(1)} m16int`, `DE /${r}`, { op: [0xde], reg: r, mem: 'i16', need: [0], fu: U_ARITH, n: N.x87arith });
}
const small = (rng) => (rng.chance(0.75) ? fromInt(rng.int(2), BigInt(rng.int(80))) : rng.chance(0.5) ? rintLike(rng) : rf80(rng));
form('x87arith', 'FSQRT', 'D9 FA', { op: [0xd9, 0xfa], need: [0], vals: (rng) => rf80(rng, { positive: rng.chance(0.85) }), fu: U_ARITH, n: N.x87arith * 2 });
form('x87arith', 'FRNDINT', 'D9 FC', { op: [0xd9, 0xfc], need: [0], vals: (rng) => (rng.chance(0.5) ? rintLike(rng) : mk(rng.int(2), B + rng.int(70) - 3, rmant(rng))), fu: U_ARITH, n: N.x87arith * 2 });
form('x87arith', 'FSCALE', 'D9 FD', { op: [0xd9, 0xfd], need: [0, 1], vals: (rng, i) => (i === 1 ? small(rng) : rf80(rng)), fu: U_ARITH, n: N.x87arith * 2 });
form('x87arith', 'FXTRACT', 'D9 F4', { op: [0xd9, 0xf4], need: [0], push: 1, fu: U_ARITH, n: N.x87arith * 2 });
// FPREM/FPREM1 with exponent differences of 64 and more reduce by an implementation-dependent amount (SDM):
// those are not generated. Partial remainders (C2 = 1) do not occur then.
const remPair = (rng, i, f) => {
  if (i === 1) return rf80(rng);
  const d = f.st(1);
  const e1 = expOf(d);
  if (e1 === 0 || e1 === 0x7fff || rng.chance(0.1)) return rf80(rng);
  return mk(rng.int(2), Math.max(1, Math.min(0x7ffe, e1 + rng.int(70) - 6)), rmant(rng));
};
const remFu = (fi, fo) => (fo.sw & 1 && !(fi.sw & 1) ? (fo.sw & 0x40 ? U_ARITH : CC) : 0);
form('x87arith', 'FPREM', 'D9 F8', { op: [0xd9, 0xf8], need: [1, 0], vals: remPair, fuFn: remFu, remLimit: true, n: N.x87arith * 2 });
form('x87arith', 'FPREM1', 'D9 F5', { op: [0xd9, 0xf5], need: [1, 0], vals: remPair, fuFn: remFu, remLimit: true, n: N.x87arith * 2 });

// Loads.
form('x87load', 'FLD m32fp', 'D9 /0', { op: [0xd9], reg: 0, mem: 'm32', push: 1, fu: U_ARITH, n: N.x87load });
form('x87load', 'FLD m64fp', 'DD /0', { op: [0xdd], reg: 0, mem: 'm64', push: 1, fu: U_ARITH, n: N.x87load });
form('x87load', 'FLD m80fp', 'DB /5', { op: [0xdb], reg: 5, mem: 'm80', push: 1, fu: U_ARITH, n: N.x87load });
form('x87load', 'FLD ST(i)', 'D9 C0+i', { op: [0xd9, 0xc0], sti: true, need: ['i'], push: 1, fu: U_ARITH, n: N.x87load });
form('x87load', 'FILD m16int', 'DF /0', { op: [0xdf], reg: 0, mem: 'i16', push: 1, fu: U_ARITH, n: N.x87load });
form('x87load', 'FILD m32int', 'DB /0', { op: [0xdb], reg: 0, mem: 'i32', push: 1, fu: U_ARITH, n: N.x87load });
form('x87load', 'FILD m64int', 'DF /5', { op: [0xdf], reg: 5, mem: 'i64', push: 1, fu: U_ARITH, n: N.x87load });
// FBLD of a non-BCD digit is undefined (SDM): only valid digits are generated.
form('x87load', 'FBLD m80bcd', 'DF /4', { op: [0xdf], reg: 4, mem: 'bcd', push: 1, fu: U_ARITH, n: N.x87load });
for (const [nm, b] of [['FLD1', 0xe8], ['FLDL2T', 0xe9], ['FLDL2E', 0xea], ['FLDPI', 0xeb], ['FLDLG2', 0xec], ['FLDLN2', 0xed], ['FLDZ', 0xee]]) {
  form('x87load', nm, `D9 ${hx(b)}`, { op: [0xd9, b], push: 1, fu: U_ARITH, n: N.x87load });
}

// Stores.
const intVals = (rng) => (rng.chance(0.55) ? rintLike(rng) : rf80(rng));
for (const [nm, o, r, mem, pop] of [['FST m32fp', 0xd9, 2, 'm32'], ['FSTP m32fp', 0xd9, 3, 'm32'], ['FST m64fp', 0xdd, 2, 'm64'], ['FSTP m64fp', 0xdd, 3, 'm64'],
  ['FSTP m80fp', 0xdb, 7, 'm80'], ['FIST m16int', 0xdf, 2, 'i16'], ['FISTP m16int', 0xdf, 3, 'i16'], ['FIST m32int', 0xdb, 2, 'i32'],
  ['FISTP m32int', 0xdb, 3, 'i32'], ['FISTP m64int', 0xdf, 7, 'i64'], ['FISTTP m16int', 0xdf, 1, 'i16'], ['FISTTP m32int', 0xdb, 1, 'i32'],
  ['FISTTP m64int', 0xdd, 1, 'i64'], ['FBSTP m80bcd', 0xdf, 6, 'bcd']]) {
  const isInt = mem.startsWith('i') || mem === 'bcd';
  form('x87store', nm, `${hx(o)} /${r}`, { op: [o], reg: r, mem, store: true, need: [0], vals: isInt ? intVals : undefined, fu: U_ARITH, n: N.x87store });
}
form('x87store', 'FST ST(i)', 'DD D0+i', { op: [0xdd, 0xd0], sti: true, need: [0], fu: U_ARITH, n: N.x87store });
form('x87store', 'FSTP ST(i)', 'DD D8+i', { op: [0xdd, 0xd8], sti: true, need: [0], fu: U_ARITH, n: N.x87store });

// Comparisons. About a third of the cases compare equal operands.
for (const [nm, o, r, mem] of [['FCOM m32fp', 0xd8, 2, 'm32'], ['FCOMP m32fp', 0xd8, 3, 'm32'], ['FCOM m64fp', 0xdc, 2, 'm64'], ['FCOMP m64fp', 0xdc, 3, 'm64'],
  ['FICOM m32int', 0xda, 2, 'i32'], ['FICOMP m32int', 0xda, 3, 'i32'], ['FICOM m16int', 0xde, 2, 'i16'], ['FICOMP m16int', 0xde, 3, 'i16']]) {
  form('x87cmp', nm, `${hx(o)} /${r}`, { op: [o], reg: r, mem, need: [0], equal: true, fu: 0, cmp: true, n: N.x87cmp });
}
const eqSti = (rng, i, f) => (i !== 0 && rng.chance(0.3) ? f.st(0) ^ (rng.chance(0.2) ? 1n << 79n : 0n) : rf80(rng));
for (const [nm, o, b, fu] of [['FCOM ST(i)', 0xd8, 0xd0, 0], ['FCOMP ST(i)', 0xd8, 0xd8, 0], ['FUCOM ST(i)', 0xdd, 0xe0, 0], ['FUCOMP ST(i)', 0xdd, 0xe8, 0],
  ['FCOMI ST(0), ST(i)', 0xdb, 0xf0, U_ARITH], ['FCOMIP ST(0), ST(i)', 0xdf, 0xf0, U_ARITH], ['FUCOMI ST(0), ST(i)', 0xdb, 0xe8, U_ARITH], ['FUCOMIP ST(0), ST(i)', 0xdf, 0xe8, U_ARITH]]) {
  form('x87cmp', nm, `${hx(o)} ${hx(b)}+i`, { op: [o, b], sti: true, need: [0, 'i'], valsLate: eqSti, fu, cmp: true, fcomi: fu !== 0, n: N.x87cmp });
}
const eq01 = (rng, i, f) => (i === 1 && rng.chance(0.3) ? f.st(0) : rf80(rng));
form('x87cmp', 'FCOMPP', 'DE D9', { op: [0xde, 0xd9], need: [0, 1], valsLate: eq01, fu: 0, cmp: true, n: N.x87cmp });
form('x87cmp', 'FUCOMPP', 'DA E9', { op: [0xda, 0xe9], need: [0, 1], valsLate: eq01, fu: 0, cmp: true, n: N.x87cmp });
form('x87cmp', 'FTST', 'D9 E4', { op: [0xd9, 0xe4], need: [0], fu: 0, cmp: true, n: N.x87cmp });
// FXAM classifies empty registers too, so ST(0) is empty more often.
form('x87cmp', 'FXAM', 'D9 E5', { op: [0xd9, 0xe5], need: [0], emptyP: 0.15, fu: 0, n: N.x87cmp });

// Register moves and stack control.
form('x87misc', 'FXCH ST(i)', 'D9 C8+i', { op: [0xd9, 0xc8], sti: true, need: [0, 'i'], fu: U_ARITH, n: N.x87misc });
form('x87misc', 'FCHS', 'D9 E0', { op: [0xd9, 0xe0], need: [0], fu: U_ARITH, n: N.x87misc });
form('x87misc', 'FABS', 'D9 E1', { op: [0xd9, 0xe1], need: [0], fu: U_ARITH, n: N.x87misc });
for (const [nm, o, b] of [['FCMOVB', 0xda, 0xc0], ['FCMOVE', 0xda, 0xc8], ['FCMOVBE', 0xda, 0xd0], ['FCMOVU', 0xda, 0xd8],
  ['FCMOVNB', 0xdb, 0xc0], ['FCMOVNE', 0xdb, 0xc8], ['FCMOVNBE', 0xdb, 0xd0], ['FCMOVNU', 0xdb, 0xd8]]) {
  form('x87misc', `${nm} ST(0), ST(i)`, `${hx(o)} ${hx(b)}+i`, { op: [o, b], sti: true, need: [0, 'i'], fu: U_ARITH, n: N.x87misc });
}
form('x87misc', 'FFREE ST(i)', 'DD C0+i', { op: [0xdd, 0xc0], sti: true, need: ['i'], fu: CC, n: N.x87misc });
form('x87misc', 'FDECSTP', 'D9 F6', { op: [0xd9, 0xf6], fu: U_ARITH, n: N.x87misc });
form('x87misc', 'FINCSTP', 'D9 F7', { op: [0xd9, 0xf7], fu: U_ARITH, n: N.x87misc });
form('x87misc', 'FNOP', 'D9 D0', { op: [0xd9, 0xd0], fu: CC, n: N.x87misc });
form('x87misc', 'FWAIT', '9B', { op: [0x9b], fu: CC, pPending: 0.3, n: N.x87misc });

// Control: the no-wait forms (FN...) never take #MF; a third of their cases have an exception pending.
form('x87ctl', 'FLDCW m16', 'D9 /5', { op: [0xd9], reg: 5, mem: 'cw', fu: CC, n: N.x87ctl });
form('x87ctl', 'FNSTCW m16', 'D9 /7', { op: [0xd9], reg: 7, mem: 'cw', store: true, fu: CC, pPending: 0.3, n: N.x87ctl });
form('x87ctl', 'FNSTSW m16', 'DD /7', { op: [0xdd], reg: 7, mem: 'sw', store: true, fu: CC, pPending: 0.3, n: N.x87ctl });
form('x87ctl', 'FNSTSW AX', 'DF E0', { op: [0xdf, 0xe0], fu: CC, pPending: 0.3, n: N.x87ctl });
form('x87ctl', 'FNINIT', 'DB E3', { op: [0xdb, 0xe3], fu: 0, pPending: 0.3, n: N.x87ctl });
form('x87ctl', 'FNCLEX', 'DB E2', { op: [0xdb, 0xe2], fu: CC, pPending: 0.3, n: N.x87ctl });
form('x87ctl', 'FNSTENV m28', 'D9 /6', { op: [0xd9], reg: 6, mem: 'env', store: true, fu: CC, pPending: 0.3, fullStack: true, n: N.x87ctl });
form('x87ctl', 'FLDENV m28', 'D9 /4', { op: [0xd9], reg: 4, mem: 'env', fu: 0, n: N.x87ctl });
form('x87ctl', 'FNSAVE m108', 'DD /6', { op: [0xdd], reg: 6, mem: 'save', store: true, fu: 0, pPending: 0.3, fullStack: true, n: N.x87ctl });
form('x87ctl', 'FRSTOR m108', 'DD /4', { op: [0xdd], reg: 4, mem: 'save', fu: 0, n: N.x87ctl });

// Transcendental. Arguments outside the documented domain of F2XM1 (|x| > 1) and FYL2XP1 (|x| >= 1 - sqrt(2)/2)
// give undefined results (SDM): not generated.
const f64 = (x) => fromDouble(x);
const trigArg = (rng) => {
  const k = rng.int(100);
  if (k < 60) return f64((rng.u32() / 2 ** 32 - 0.5) * 8 * Math.PI);
  if (k < 70) return mk(rng.int(2), B + rng.int(62), rmant(rng)); // large, still below 2^63
  if (k < 76) return mk(rng.int(2), B + 63 + rng.int(4), rmant(rng)); // >= 2^63: C2 = 1, unchanged
  if (k < 84) return mk(rng.int(2), B - 1 - rng.int(70), rmant(rng)); // tiny
  return rf80(rng);
};
const inUnit = (rng, maxExp) => {
  if (rng.chance(0.12)) return rng.pick([mk(0, 0, 0n), mk(1, 0, 0n), mk(rng.int(2), 0x7fff, INT | (1n << 62n) | rbits(rng, 20)), mk(rng.int(2), 0x7fff, INT | 1n), mk(rng.int(2), 0, rbits(rng, 40) || 1n)]);
  return mk(rng.int(2), B + maxExp - rng.int(rng.chance(0.7) ? 12 : 70), rmant(rng));
};
const logArg = (rng) => (rng.chance(0.7) ? mk(0, rexp(rng), rmant(rng)) : rf80(rng));
const transFu = U_ARITH;
// FSIN & co.: C2 = 1 says the argument was out of range (|x| >= 2^63, ST(0) unchanged); C1 is then undefined.
const trigFu = (fi, fo) => C0 | C3 | (fo.sw & C2 ? C1 : 0);
form('x87trans', 'FSIN', 'D9 FE', { op: [0xd9, 0xfe], need: [0], vals: trigArg, fuFn: trigFu, n: N.x87trans });
form('x87trans', 'FCOS', 'D9 FF', { op: [0xd9, 0xff], need: [0], vals: trigArg, fuFn: trigFu, n: N.x87trans });
form('x87trans', 'FSINCOS', 'D9 FB', { op: [0xd9, 0xfb], need: [0], push: 1, vals: trigArg, fuFn: trigFu, n: N.x87trans });
form('x87trans', 'FPTAN', 'D9 F2', { op: [0xd9, 0xf2], need: [0], push: 1, vals: trigArg, fuFn: trigFu, n: N.x87trans });
form('x87trans', 'FPATAN', 'D9 F3', { op: [0xd9, 0xf3], need: [0, 1], vals: (rng) => (rng.chance(0.8) ? mk(rng.int(2), rexp(rng), rmant(rng)) : rf80(rng)), fu: transFu, n: N.x87trans });
form('x87trans', 'F2XM1', 'D9 F0', { op: [0xd9, 0xf0], need: [0], vals: (rng) => (rng.chance(0.05) ? mk(rng.int(2), B, INT) : inUnit(rng, -1)), fu: transFu, n: N.x87trans });
form('x87trans', 'FYL2X', 'D9 F1', { op: [0xd9, 0xf1], need: [0, 1], vals: (rng, i) => (i === 0 ? logArg(rng) : rng.chance(0.8) ? mk(rng.int(2), B + rng.int(9) - 4, rmant(rng)) : rf80(rng)), fu: transFu, n: N.x87trans });
// |x| < 1 - sqrt(2)/2 = 0.2928...: exponents up to B-3 are always inside (below 0.25).
form('x87trans', 'FYL2XP1', 'D9 F9', { op: [0xd9, 0xf9], need: [0, 1], vals: (rng, i) => (i === 0 ? inUnit(rng, -3) : rng.chance(0.8) ? mk(rng.int(2), B + rng.int(9) - 4, rmant(rng)) : rf80(rng)), fu: transFu, n: N.x87trans });

export const X87_FORMS = forms;

// ---------------------------------------------------------------- case generation

/** Control/environment images for FLDCW, FLDENV and FRSTOR: sensible words, random everything else. */
function envBytes(rng, size) {
  const cw = rng.chance(0.85) ? rcw(rng) | (rng.chance(0.1) ? rng.u32() & 0xe080 : 0) : rng.u32() & 0xffff;
  const top = rng.int(8);
  const sw = rsw(rng, cw, top, 0.2);
  if (size === 2) return leBytes(cw, 2);
  const regs = [];
  for (let i = 0; i < 8; i++) regs.push(rf80(rng));
  const tag = rng.chance(0.3) ? rng.u32() & 0xffff : regs.reduce((t, v, i) => t | ((rng.chance(0.4) ? 3 : tagOf(v)) << (2 * ((top + i) & 7))), 0);
  const b = [];
  const hiWord = () => (rng.chance(0.5) ? 0xffff : rng.u32() & 0xffff);
  b.push(...leBytes(cw | (hiWord() << 16), 4), ...leBytes(sw | (hiWord() << 16), 4), ...leBytes(tag | (hiWord() << 16), 4));
  for (let i = 0; i < 4; i++) b.push(...leBytes(rng.u32(), 4)); // FIP, FCS|FOP, FOO, FOS: loaded, not compared
  if (size === 108) for (const v of regs) b.push(...leBytes(v, 10));
  return b;
}

function place(c, ea, bytes) {
  const off = ea - SCR;
  c.patches.push([off, bytes]);
  for (let k = 0; k < bytes.length; k++) c.mem[off + k] = bytes[k];
}

/** One random case of an x87 form, or null when this attempt cannot be set up. */
function genCase(rng, form) {
  const c = newCase(rng, form);
  c.opts = 4;
  c.patches = [];
  c.mu = [];
  const bytes = [...form.op];
  let sti = 0;
  if (form.sti) {
    sti = rng.int(8);
    bytes[bytes.length - 1] += sti;
  }
  const idx = (i) => (i === 'i' ? sti : i);
  const f = rfpu(rng, form, (form.need ?? []).map(idx));
  if (form.emptyP && rng.chance(form.emptyP)) f.empty[(f.top) & 7] = true;
  // Operand values: vals for the stack operands the instruction uses (in need order, so a later one can
  // depend on an earlier one), then valsLate for pairs that want equal values.
  for (const i of (form.need ?? []).map(idx)) if (form.vals) f.setSt(i, form.vals(rng, i, f));
  for (const i of (form.need ?? []).map(idx)) if (form.valsLate) f.setSt(i, form.valsLate(rng, i, f));
  if (form.remLimit) {
    const e0 = expOf(f.st(0)), e1 = expOf(f.st(1));
    if (e0 > 0 && e0 < 0x7fff && e1 > 0 && e1 < 0x7fff && e0 - e1 >= 64) return null;
  }
  let ea = null;
  if (form.mem) {
    const size = SIZE[form.mem];
    const m = memOperand(c, rng, form.reg, SCR, SCR + 256 - size);
    if (!m) return null;
    bytes.push(...m.bytes);
    ea = m.ea;
    if (!form.store) {
      let v;
      if (form.mem === 'cw' || form.mem === 'env' || form.mem === 'save') v = envBytes(rng, size);
      else if (form.equal && rng.chance(0.33)) v = equalOperand(rng, form.mem, f);
      else v = memValue(rng, form.mem);
      place(c, ea, v);
    }
    // FNSTENV/FNSAVE: the instruction pointer, opcode and operand pointer, and the reserved upper halves of
    // the first three dwords are not compared (the CPU's own values; AMD leaves FIP/FDP alone without a
    // pending exception).
    if (form.mem === 'env' || form.mem === 'save') {
      if (form.store) { const off = ea - SCR; c.mu.push([off + 2, 2], [off + 6, 2], [off + 10, 2], [off + 12, 16]); }
    }
  }
  f.sw = withEs(f.sw, f.cw);
  c.bytes = bytes;
  c.fpuState = f;
  c.fpu = fsaveImage(f);
  c.fi = fpuRecord(c.fpu);
  return c;
}

/** A memory operand equal (or nearly: the sign flipped) to ST(0), when ST(0) fits the format; else random. */
function equalOperand(rng, kind, f) {
  const v = f.st(0), e = expOf(v), m = mantOf(v), s = Number(v >> 79n);
  if (kind === 'i16' || kind === 'i32') {
    const n = rng.int(kind === 'i16' ? 0x8000 : 0x40000000) * (rng.chance(0.5) ? -1 : 1);
    f.setSt(0, n === 0 ? mk(0, 0, 0n) : fromInt(n < 0 ? 1 : 0, BigInt(Math.abs(n))));
    return leBytes(BigInt.asUintN(kind === 'i16' ? 16 : 32, BigInt(n)), kind === 'i16' ? 2 : 4);
  }
  // m32/m64: pick a double (or float), store its encoding and set ST(0) to its exact value.
  let x = (rng.u32() / 2 ** 32 - 0.5) * 2 ** (rng.int(40) - 20);
  if (e === 0x7fff || e === 0 || !(m & INT)) x = s ? -1.5 : 2.25;
  if (kind === 'm32') x = Math.fround(x);
  f.setSt(0, fromDouble(x));
  const b = Buffer.alloc(8);
  if (kind === 'm32') { b.writeFloatLE(x, 0); return [...b.subarray(0, 4)]; }
  b.writeDoubleLE(x, 0);
  return [...b];
}

export function generateX87Form(form, rng) {
  const out = [];
  let tries = 0;
  while (out.length < form.n) {
    if (++tries > form.n * 200) throw new Error(`cannot generate cases for ${form.name}`);
    const c = genCase(rng, form);
    if (!c) continue;
    c.form = form;
    out.push(c);
  }
  return out;
}

// ---------------------------------------------------------------- invariants

/** Whether the instruction takes #MF with an unmasked exception pending (every x87 instruction but the FN... ones). */
const waits = (form) => !/^FN(STCW|STSW|INIT|CLEX|STENV|SAVE)\b/.test(form.name);

/**
 * Checks the CPU's result against what holds for every x87 instruction, without modelling the arithmetic:
 * #MF exactly when an unmasked exception is pending and the instruction waits; a faulting instruction
 * changes nothing; otherwise EIP moves past the instruction, the GPRs change only for FNSTSW AX, EFLAGS only
 * for FCOMI & co. (ZF PF CF, with OF SF AF cleared), memory only for the store forms, and the tag of each
 * non-empty register is the one its contents imply. Returns a list of problems.
 */
export function checkX87(c, res) {
  const m = [];
  const pending = (c.fi.sw & ~c.fi.cw & 0x3f) !== 0;
  const fo = fpuRecord(res.fpu);
  const expectMF = pending && waits(c.form);
  if (expectMF !== (res.status === 5)) m.push(`status ${res.status} (detail ${res.detail}), pending ${pending}`);
  if (res.status !== 0 && res.status !== 5) return [...m, `unexpected status ${res.status}`];
  const same = (a, b) => a.cw === b.cw && a.sw === b.sw && a.tag === b.tag && a.st.every((s, i) => s === b.st[i]);
  if (res.status === 5) {
    if (!same(c.fi, fo)) m.push(`#MF changed the FPU: ${JSON.stringify(fo)}`);
    if (res.eip !== 0x400000) m.push('#MF moved EIP');
    for (let i = 0; i < 8; i++) if (res.regs[i] !== c.regs[i]) m.push(`#MF changed reg ${i}`);
    for (let i = 0; i < 256; i++) if (res.mem[i] !== c.mem[i]) { m.push('#MF changed memory'); break; }
    return m;
  }
  if (res.eip !== 0x400000 + c.bytes.length) m.push(`eip ${res.eip.toString(16)}`);
  const ax = c.form.name.startsWith('FNSTSW AX');
  for (let i = 0; i < 8; i++) {
    const want = i === 0 && ax ? ((c.regs[0] & 0xffff0000) | c.fi.sw) >>> 0 : c.regs[i];
    if (res.regs[i] !== want) m.push(`reg ${i}: ${res.regs[i].toString(16)} (expected ${want.toString(16)})`);
  }
  const fcomi = /^F(U)?COMIP? /.test(c.form.name);
  const fl = res.eflags & 0xcd5, fin = c.flags & 0xcd5;
  if (fcomi ? (fl & ~0x8d5) !== (fin & ~0x8d5) || (fl & 0x890) !== 0 : fl !== fin) m.push(`eflags ${fl.toString(16)} from ${fin.toString(16)}`);
  if (!c.form.store) for (let i = 0; i < 256; i++) if (res.mem[i] !== c.mem[i]) { m.push(`memory changed at ${i}`); break; }
  const top = (fo.sw >> 11) & 7;
  for (let i = 0; i < 8; i++) {
    const p = (top + i) & 7, t = (fo.tag >> (2 * p)) & 3;
    if (t !== 3 && t !== tagOf(BigInt(`0x${fo.st[i]}`))) m.push(`tag of ST(${i}) ${t} for ${fo.st[i]}`);
  }
  return m;
}

/**
 * The status-word bits the SDM leaves undefined after this case (0 for a #MF: nothing changed). Compares
 * that raise an unmasked invalid-operation exception: the SDM sets the condition codes (or ZF PF CF) to
 * "unordered" only when IM = 1, and otherwise hands the instruction to the exception handler as not done;
 * this CPU sets them (and clears C1, or OF SF AF) either way. None of C0-C3 (EFLAGS: CF PF AF ZF SF OF)
 * is compared then.
 */
export function fuOf(c, res) {
  if (res.status !== 0) return 0;
  const fo = fpuRecord(res.fpu);
  let fu = c.form.fuFn ? c.form.fuFn(c.fi, fo) : c.form.fu;
  if (c.form.cmp && unmaskedInvalid(c, fo)) fu |= CC;
  return fu;
}
// IE set after the step with IM = 0: it was raised by this instruction (set before, it would have been a #MF).
const unmaskedInvalid = (c, fo) => !(c.fi.cw & 1) && (fo.sw & 1) !== 0;

/** The EFLAGS bits the SDM leaves undefined: the arithmetic flags after FCOMI & co. with an unmasked invalid operation. */
export function uOf(c, res) {
  return res.status === 0 && c.form.fcomi && unmaskedInvalid(c, fpuRecord(res.fpu)) ? 0x8d5 : 0;
}

export { Rng };
