// Instruction forms, random case generation and a small reference model for the IA-32 test vectors.
//
// Every form has a gen(c, rng) that encodes one random instance into c.bytes, sets up the input state
// (c.regs, c.flags, c.seed / c.mem) so that every memory access lands inside the 256 scratch bytes, and
// installs c.model: a function that applies the documented (Intel SDM) semantics to a copy of the input
// state and returns the mask of flags the SDM leaves undefined for these operands. The model is only a
// consistency check (generate.mjs compares it with the real CPU on every defined bit); the recorded data
// always comes from the CPU. The model also supplies the `u` field of each vector.
//
// Written from scratch for l4trace (MIT).
import { scratchBytes } from './scratch.mjs';

export const CODE = 0x00400000;
export const SCR = 0x00500000;
export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;
export const FLAGS = 0xcd5;
const ARITH = CF | PF | AF | ZF | SF | OF;
const MASK = { 8: 0xff, 16: 0xffff, 32: 0xffffffff };
const SIGN = { 8: 0x80, 16: 0x8000, 32: 0x80000000 };
const TWO32 = 4294967296;

// ---------------------------------------------------------------- small helpers

const mod32 = (x) => { x %= TWO32; return x < 0 ? x + TWO32 : x; };
const trunc = (v, size) => (size === 32 ? v >>> 0 : v & MASK[size]);
const sx = (v, size) => (size === 32 ? v | 0 : size === 16 ? (v << 16) >> 16 : (v << 24) >> 24);
const le = (v, n) => { const o = []; for (let i = 0; i < n; i++) o.push((v >>> (8 * i)) & 0xff); return o; };
const PARITY = new Uint8Array(256).map((_, i) => { let p = 0; for (let b = i; b; b >>= 1) p ^= b & 1; return p ? 0 : PF; });
const szp = (r, size) => (r === 0 ? ZF : 0) | ((r & SIGN[size]) !== 0 ? SF : 0) | PARITY[r & 0xff];
const hex = (v, w = 2) => v.toString(16).toUpperCase().padStart(w, '0');
const pre16 = (size) => (size === 16 ? [0x66] : []);

export class Fault extends Error { constructor(kind) { super(kind); this.kind = kind; } }
export class Skip extends Error { constructor(why) { super(why); } }

/** xoshiro128** seeded through splitmix32; fully deterministic. */
export class Rng {
  constructor(seed) {
    let s = seed >>> 0;
    const sm = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }
  u32() {
    const r = Math.imul(rotl32(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d; this.c ^= t; this.d = rotl32(this.d, 11);
    return r;
  }
  int(n) { return Math.floor((this.u32() / TWO32) * n); }
  pick(a) { return a[this.int(a.length)]; }
  chance(p) { return this.u32() < p * TWO32; }
}
const rotl32 = (x, k) => (x << k) | (x >>> (32 - k));

export function hashSeed(seed, name) {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

const EDGE32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
  0x80000001, 0xffffffff, 0xfffffffe, 0xff00, 0xffff0000, 0x55555555, 0xaaaaaaaa, 0xff80, 0xffffff80];
const EDGE16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xffff, 0xfffe, 0xff80];
const EDGE8 = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 0x7f, 0x80, 0x81, 0xfe, 0xff];

/** A random 32-bit register value with edge values mixed in. */
export function rval(rng) {
  switch (rng.int(10)) {
    case 0: case 1: case 2: case 3: return rng.u32();
    case 4: case 5: return rng.pick(EDGE32);
    case 6: return rng.int(64);
    case 7: return ((rng.u32() & 0xffffff00) | rng.pick(EDGE8)) >>> 0;
    case 8: return ((rng.u32() & 0xffff0000) | rng.pick(EDGE16)) >>> 0;
    default: return (-rng.int(64)) >>> 0;
  }
}
const rimm = (rng, size) => trunc(rval(rng), size);
/** Shift/rotate counts: 0, 1, around the operand width, beyond 31 (masked by the CPU) and random. */
const rcount = (rng, size) => rng.pick([0, 1, 1, 2, size - 1, size, size + 1, 31, 32, 33, 63, 255, rng.int(32), rng.int(32), rng.int(256)]);

// ---------------------------------------------------------------- registers, memory, operand locations

function getR(regs, i, size) {
  if (size === 32) return regs[i] >>> 0;
  if (size === 16) return regs[i] & 0xffff;
  return i < 4 ? regs[i] & 0xff : (regs[i - 4] >>> 8) & 0xff;
}
function setR(regs, i, size, v) {
  if (size === 32) regs[i] = v >>> 0;
  else if (size === 16) regs[i] = ((regs[i] & 0xffff0000) | (v & 0xffff)) >>> 0;
  else if (i < 4) regs[i] = ((regs[i] & ~0xff) | (v & 0xff)) >>> 0;
  else regs[i - 4] = ((regs[i - 4] & ~0xff00) | ((v & 0xff) << 8)) >>> 0;
}
const reg32 = (i, size) => (size === 8 ? i & 3 : i);

function mrd(mem, addr, size) {
  const o = addr - SCR;
  if (o < 0 || o + size / 8 > 256) throw new Error(`model: read outside scratch at ${hex(addr, 8)}`);
  let v = 0;
  for (let k = size / 8 - 1; k >= 0; k--) v = v * 256 + mem[o + k];
  return v;
}
function mwr(mem, addr, size, v) {
  const o = addr - SCR;
  if (o < 0 || o + size / 8 > 256) throw new Error(`model: write outside scratch at ${hex(addr, 8)}`);
  for (let k = 0; k < size / 8; k++) mem[o + k] = (v >>> (8 * k)) & 0xff;
}

const R = (i, size) => ({ t: 'r', i, size });
const M = (a, size) => ({ t: 'm', a, size });
const I = (v, size) => ({ t: 'i', v: trunc(v, size), size });
function ld(S, l) { return l.t === 'r' ? getR(S.regs, l.i, l.size) : l.t === 'm' ? mrd(S.mem, l.a, l.size) : l.v; }
function st(S, l, v) { if (l.t === 'r') setR(S.regs, l.i, l.size, v); else mwr(S.mem, l.a, l.size, v); }
function push(S, size, v) { S.regs[4] = (S.regs[4] - size / 8) >>> 0; mwr(S.mem, S.regs[4], size, v); }
function pop(S, size) { const v = mrd(S.mem, S.regs[4], size); S.regs[4] = (S.regs[4] + size / 8) >>> 0; return v; }

// ---------------------------------------------------------------- case construction

function newCase(rng, form) {
  const c = { regs: new Uint32Array(8), flags: 0, seed: 0, mem: null, bytes: [], fixed: new Set(), opts: 0, model: null };
  for (let i = 0; i < 8; i++) c.regs[i] = rval(rng);
  c.flags = rng.u32() & FLAGS & (form.df ? FLAGS : ~DF);
  setSeed(c, rng.u32());
  return c;
}
function setSeed(c, s) { c.seed = s >>> 0; c.mem = scratchBytes(c.seed); }
const canSet = (c, i, size) => !c.fixed.has(reg32(i, size));
function trySet(c, i, size, v) { if (!canSet(c, i, size)) return false; setR(c.regs, i, size, v); return true; }
function fix(c, ...idx) { for (const i of idx) c.fixed.add(i); }
/** ESP inside the scratch bytes, 0x00500080 +- a small multiple of 4. */
function stackInScratch(c, rng) { c.regs[4] = SCR + 0x80 + 4 * (rng.int(17) - 8); fix(c, 4); }

// Choosing a scratch seed so that some bytes have wanted values. scratchBytes(seed)[i] = h(seed + (i+1)*G),
// so a window of bytes found anywhere in the stream h(x + G), h(x + 2G), ... can be moved to any offset
// by picking the seed. Used for return addresses, indirect jump targets and POPF images.
const GOLD = 0x6d2b79f5;
function h8(s) {
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) & 0xff;
}
/**
 * Returns a seed whose scratch bytes [off, off+len) (len 2 or 4) form a little-endian value v with pred(v).
 * For len 4, hi = [need2, need3] are necessary conditions on bytes 2 and 3 of the window: a byte that fails
 * both can be neither, so the two windows that would hold it there are skipped (about half the work).
 */
function seedWith(rng, off, len, pred, hi = null) {
  let x = rng.u32();
  const at = (j) => h8((x + j * GOLD) >>> 0); // byte j-1 of the window starting at x
  for (let it = 0; it < 1 << 30; it++) {
    if (hi) {
      const b3 = at(4);
      if (!hi[1](b3)) { x = (x + (hi[0](b3) ? 1 : 2) * GOLD) >>> 0; continue; }
    }
    let v = 0;
    for (let j = 0; j < len; j++) v += at(j + 1) * 2 ** (8 * j);
    if (pred(v)) {
      const seed = (x - off * GOLD) >>> 0;
      const check = scratchBytes(seed);
      for (let j = 0; j < len; j++) if (check[off + j] !== Math.floor(v / 2 ** (8 * j)) % 256) throw new Error('seedWith: window mismatch');
      return seed;
    }
    x = (x + GOLD) >>> 0;
  }
  throw new Error('seedWith: not found');
}
const inCodePage = (v) => v >= CODE && v < CODE + 0x1000;
const CODE_HI = [(b) => b === 0x40, (b) => b === 0];
const ZERO_HI = [(b) => b === 0, (b) => b === 0];

const MEM_MODES = ['abs', 'base', 'base8', 'base32', 'sib0', 'sibnb', 'sib8', 'sib32'];

/**
 * Encodes a memory ModRM operand (ModRM [SIB] [disp]) and sets the registers it uses so that the
 * effective address lies in [lo, hi]. Registers already in c.fixed keep their values. o.espAdj: the
 * value ESP has in the address computation relative to c.regs[4] (POP m: +size). o.free: no
 * constraint (LEA, NOPL): registers stay random and the address is whatever it is. o.espBase: a SIB
 * form with ESP as the base register.
 * Returns { bytes, ea, mode } or null when this attempt cannot be solved.
 */
function memOperand(c, rng, regField, lo, hi, o = {}) {
  const mode = o.mode ?? (o.espBase ? rng.pick(['sib0', 'sib8', 'sib32']) : rng.pick(MEM_MODES));
  let mod, rm, base = -1, index = -1, scale = 0, dsz = 0, sibBase = 0, sibIndex = 4;
  switch (mode) {
    case 'abs': mod = 0; rm = 5; dsz = 4; break;
    case 'base': mod = 0; rm = rng.pick([0, 1, 2, 3, 6, 7]); base = rm; break;
    case 'base8': mod = 1; rm = rng.pick([0, 1, 2, 3, 5, 6, 7]); base = rm; dsz = 1; break;
    case 'base32': mod = 2; rm = rng.pick([0, 1, 2, 3, 5, 6, 7]); base = rm; dsz = 4; break;
    case 'sib0': mod = 0; rm = 4; sibBase = rng.pick([0, 1, 2, 3, 4, 6, 7]); base = sibBase; break;
    case 'sibnb': mod = 0; rm = 4; sibBase = 5; dsz = 4; break;
    case 'sib8': mod = 1; rm = 4; sibBase = rng.int(8); base = sibBase; dsz = 1; break;
    case 'sib32': mod = 2; rm = 4; sibBase = rng.int(8); base = sibBase; dsz = 4; break;
    default: throw new Error(mode);
  }
  if (o.espBase) { sibBase = 4; base = 4; }
  if (rm === 4) {
    // index 100 = no index (ESP can't be an index); the scale bits are then ignored.
    sibIndex = rng.chance(0.2) ? 4 : rng.int(8);
    scale = rng.int(4);
    if (sibIndex !== 4) index = sibIndex;
  }
  const terms = new Map();
  if (base >= 0) terms.set(base, 1);
  if (index >= 0) terms.set(index, (terms.get(index) ?? 0) + (1 << scale));
  const adj = (r) => (r === 4 ? o.espAdj ?? 0 : 0);
  const val = (r) => mod32(c.regs[r] + adj(r));
  const sum = (skip) => { let s = 0; for (const [r, k] of terms) if (r !== skip) s += val(r) * k; return s; };
  const randIdx = () => { const k = rng.int(10); return k < 4 ? rng.int(64) : k < 6 ? (-rng.int(64)) >>> 0 : k < 8 ? rng.u32() : SCR + rng.int(256); };
  let disp = 0;
  if (o.free) {
    disp = dsz === 1 ? rng.int(256) - 128 : dsz === 4 ? rval(rng) : 0;
  } else {
    const target = lo + rng.int(hi - lo + 1);
    const free = [...terms.keys()].filter((r) => !c.fixed.has(r));
    const unit = free.filter((r) => terms.get(r) === 1);
    if (dsz === 4 && (free.length === 0 || rng.chance(0.4))) {
      for (const r of free) c.regs[r] = randIdx();
      disp = mod32(target - sum(-1));
    } else if (unit.length) {
      const sv = rng.pick(unit);
      for (const r of free) if (r !== sv) c.regs[r] = randIdx();
      disp = dsz === 1 ? rng.int(256) - 128 : dsz === 4 ? (rng.chance(0.5) ? rng.int(0x2000) - 0x1000 : rng.u32()) : 0;
      c.regs[sv] = mod32(target - sum(sv) - disp - adj(sv));
    } else if (free.length) {
      const sv = free[0]; // the only free register, with a coefficient of 2..9
      const k = terms.get(sv);
      disp = dsz === 1 ? rng.int(256) - 128 : 0;
      const rest = sum(sv) + disp;
      const v = Math.floor(mod32(target - rest) / k);
      let ok = false;
      for (const cand of [v, v + 1]) {
        const ea = mod32(rest + cand * k);
        if (ea >= lo && ea <= hi) { c.regs[sv] = mod32(cand - adj(sv)); ok = true; break; }
      }
      if (!ok) return null;
    } else {
      const s = mod32(sum(-1));
      if (dsz === 1) {
        const dlo = Math.max(-128, lo - s), dhi = Math.min(127, hi - s);
        if (dlo > dhi) return null;
        disp = dlo + rng.int(dhi - dlo + 1);
      }
    }
  }
  const ea = mod32(sum(-1) + disp);
  if (!o.free) {
    if (ea < lo || ea > hi) return null;
    for (const r of terms.keys()) c.fixed.add(r);
  }
  const bytes = [(mod << 6) | (regField << 3) | rm];
  if (rm === 4) bytes.push((scale << 6) | (sibIndex << 3) | sibBase);
  if (dsz === 1) bytes.push(disp & 0xff);
  if (dsz === 4) bytes.push(...le(mod32(disp), 4));
  return { bytes, ea, mode };
}

/** The r/m operand of a ModRM form: a register (variant 'reg') or memory inside the scratch bytes. */
function rmOperand(c, rng, variant, regField, size, o = {}) {
  if (variant === 'reg') {
    let rm;
    do rm = rng.int(8); while (o.rmExclude && o.rmExclude.includes(rm));
    return { bytes: [0xc0 | (regField << 3) | rm], loc: R(rm, size), rm };
  }
  const acc = o.access ?? size / 8;
  const m = memOperand(c, rng, regField, o.lo ?? SCR, o.hi ?? SCR + 256 - acc, o);
  return m && { bytes: m.bytes, loc: M(m.ea, size), ea: m.ea, mode: m.mode };
}

// ---------------------------------------------------------------- semantics (reference model)

function aluExec(op, a, b, size, fin) {
  let r, cf = false, of = false, af = 0, u = 0;
  const sb = SIGN[size];
  switch (op) {
    case 'add': case 'adc': {
      const ci = op === 'adc' ? fin & CF : 0;
      const full = a + b + ci;
      r = trunc(full, size); cf = full > MASK[size]; of = ((a ^ r) & (b ^ r) & sb) !== 0; af = (a ^ b ^ r) & AF;
      break;
    }
    case 'sub': case 'sbb': case 'cmp': {
      const ci = op === 'sbb' ? fin & CF : 0;
      r = trunc(a - b - ci, size); cf = a < b + ci; of = ((a ^ b) & (a ^ r) & sb) !== 0; af = (a ^ b ^ r) & AF;
      break;
    }
    case 'and': case 'test': r = trunc(a & b, size); u = AF; break;
    case 'or': r = trunc(a | b, size); u = AF; break;
    case 'xor': r = trunc(a ^ b, size); u = AF; break;
    default: throw new Error(op);
  }
  return { r, flags: (fin & ~ARITH) | (cf ? CF : 0) | (of ? OF : 0) | af | szp(r, size), u, write: op !== 'cmp' && op !== 'test' };
}

function shiftExec(op, a, cnt, size, fin) {
  const m = cnt & 0x1f;
  if (m === 0) return { r: a, flags: fin, u: 0 };
  const msb = (v) => (v >>> (size - 1)) & 1;
  const top = (b) => (size === 32 ? (b << 31) >>> 0 : b << (size - 1));
  let r = a, cf = fin & CF, of = 0;
  if (op === 'rol' || op === 'ror' || op === 'rcl' || op === 'rcr') {
    if (op === 'rol') {
      for (let i = 0; i < m % size; i++) r = trunc(r * 2 + msb(r), size);
      cf = r & 1; of = msb(r) ^ cf;
    } else if (op === 'ror') {
      for (let i = 0; i < m % size; i++) r = (r >>> 1) | top(r & 1);
      cf = msb(r); of = msb(r) ^ ((r >>> (size - 2)) & 1);
    } else if (op === 'rcl') {
      const t = size === 8 ? m % 9 : size === 16 ? m % 17 : m;
      for (let i = 0; i < t; i++) { const b = msb(r); r = trunc(r * 2 + cf, size); cf = b; }
      of = msb(r) ^ cf;
    } else {
      const t = size === 8 ? m % 9 : size === 16 ? m % 17 : m;
      for (let i = 0; i < t; i++) { const b = r & 1; r = ((r >>> 1) | top(cf)) >>> 0; cf = b; }
      of = msb(r) ^ ((r >>> (size - 2)) & 1);
    }
    r = trunc(r, size);
    return { r, flags: (fin & ~(CF | OF)) | cf | (m === 1 && of ? OF : 0), u: m === 1 ? 0 : OF };
  }
  for (let i = 0; i < m; i++) {
    if (op === 'shl' || op === 'sal') { cf = msb(r); r = trunc(r * 2, size); }
    else if (op === 'shr') { cf = r & 1; r = r >>> 1; }
    else if (op === 'sar') { cf = r & 1; r = ((r >>> 1) | top(msb(r))) >>> 0; }
    else throw new Error(op);
  }
  r = trunc(r, size);
  if (op === 'shl' || op === 'sal') of = msb(r) ^ cf;
  else if (op === 'shr') of = msb(a);
  else of = 0;
  // SDM: AF undefined for a non-zero count; OF only defined for a count of 1; CF undefined for SHL/SHR
  // with count >= width (we are conservative and include SAR too).
  const u = AF | (m !== 1 ? OF : 0) | (m >= size ? CF : 0);
  return { r, flags: (fin & ~ARITH) | cf | (of ? OF : 0) | szp(r, size), u };
}

function shldExec(right, a, b, cnt, size, fin) {
  const m = cnt & 0x1f;
  if (m === 0) return { r: a, flags: fin, u: 0 };
  if (m > size) throw new Skip('shld/shrd count > operand size: result undefined');
  const msb = (v) => (v >>> (size - 1)) & 1;
  let r = a, cf = 0;
  for (let i = 0; i < m; i++) {
    if (!right) { cf = msb(r); r = trunc(r * 2 + ((b >>> (size - 1 - i)) & 1), size); }
    else { cf = r & 1; r = trunc((r >>> 1) + ((b >>> i) & 1) * SIGN[size], size); }
  }
  const of = msb(r) ^ msb(a);
  return { r, flags: (fin & ~ARITH) | cf | (of ? OF : 0) | szp(r, size), u: AF | (m !== 1 ? OF : 0) };
}

function cond(cc, f) {
  const sf = (f & SF) !== 0, of = (f & OF) !== 0;
  let r;
  switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = (f & CF) !== 0; break;
    case 2: r = (f & ZF) !== 0; break;
    case 3: r = (f & (CF | ZF)) !== 0; break;
    case 4: r = sf; break;
    case 5: r = (f & PF) !== 0; break;
    case 6: r = sf !== of; break;
    default: r = (f & ZF) !== 0 || sf !== of; break;
  }
  return cc & 1 ? !r : r;
}
const CC = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'];

const big = (v) => BigInt(v);
const bsx = (v, size) => BigInt(sx(v, size));
function mulExec(S, signed, srcLoc, size) {
  const b = ld(S, srcLoc);
  const a = getR(S.regs, 0, size);
  const p = signed ? bsx(a, size) * bsx(b, size) : big(a) * big(b);
  const n = BigInt(size), mask = (1n << n) - 1n;
  const lo = Number(p & mask), hi = Number((p >> n) & mask);
  let over;
  if (signed) over = BigInt.asIntN(size, p & mask) !== p;
  else over = hi !== 0;
  if (size === 8) setR(S.regs, 0, 16, Number(p & 0xffffn));
  else { setR(S.regs, 0, size, lo); setR(S.regs, 2, size, hi); }
  S.flags = (S.flags & ~(CF | OF)) | (over ? CF | OF : 0);
  return SF | ZF | AF | PF;
}
function divExec(S, signed, srcLoc, size) {
  const d = ld(S, srcLoc);
  const n = BigInt(size);
  let dividend;
  if (size === 8) dividend = big(getR(S.regs, 0, 16));
  else dividend = (big(getR(S.regs, 2, size)) << n) | big(getR(S.regs, 0, size));
  if (d === 0) throw new Fault('DE');
  let q, r;
  if (signed) {
    const x = BigInt.asIntN(2 * size, dividend), y = bsx(d, size);
    q = x / y; r = x % y; // BigInt division truncates toward zero, like IDIV
    if (q > (1n << (n - 1n)) - 1n || q < -(1n << (n - 1n))) throw new Fault('DE');
  } else {
    q = dividend / big(d); r = dividend % big(d);
    if (q > (1n << n) - 1n) throw new Fault('DE');
  }
  const qm = Number(BigInt.asUintN(size, q)), rm = Number(BigInt.asUintN(size, r));
  if (size === 8) setR(S.regs, 0, 16, qm | (rm << 8));
  else { setR(S.regs, 0, size, qm); setR(S.regs, 2, size, rm); }
  return CF | OF | SF | ZF | AF | PF;
}
function imulTrunc(a, b, size) {
  const p = bsx(a, size) * bsx(b, size);
  const r = Number(BigInt.asUintN(size, p));
  return { r, over: BigInt.asIntN(size, p) !== p };
}

// ---------------------------------------------------------------- form table

export const FAMILIES = ['alu', 'test', 'incdec', 'unary', 'muldiv', 'shift', 'mov', 'setcc_cmov', 'bits', 'atomic',
  'stack', 'control', 'string', 'flags', 'misc', 'legacy'];

const N = 40; // default cases per form
const forms = [];
function add(fam, f) {
  const enc = f.enc;
  const name = `${f.mnem}${f.ops ? ' ' + f.ops : ''} [${enc}]${f.variant ? ' ' + f.variant : ''}`;
  forms.push({ fam, ...f, n: f.n ?? N, name });
}
const VARIANTS = ['reg', 'mem'];
const szName = { 8: '8', 16: '16', 32: '32' };
const accName = { 8: 'AL', 16: 'AX', 32: 'EAX' };
const rmName = (size) => `r/m${szName[size]}`;
const rName = (size) => `r${szName[size]}`;
const immName = (size) => `imm${szName[size]}`;
const opc = (bytes) => bytes.map((b) => hex(b)).join(' ');
const REG8 = ['AL', 'CL', 'DL', 'BL', 'AH', 'CH', 'DH', 'BH'];
const REG16 = ['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'];
const REG32 = ['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI'];
const regNames = { 8: REG8, 16: REG16, 32: REG32 };

/** Shared generator for two-operand forms whose model is exec(a, b, size, flagsIn) -> { r, flags, u, write }. */
function binForm(fam, mnem, kind, size, opcode, exec, extra = {}) {
  const immSize = extra.immSize ?? size; // bytes of the immediate for rm_imm / acc_imm (8 for 83 /x)
  const enc0 = opc([...pre16(size), ...opcode]);
  const variants = kind === 'acc_imm' ? [undefined] : VARIANTS;
  for (const variant of variants) {
    let ops, enc;
    switch (kind) {
      case 'rm_r': ops = `${rmName(size)}, ${rName(size)}`; enc = `${enc0} /r`; break;
      case 'r_rm': ops = `${rName(size)}, ${rmName(size)}`; enc = `${enc0} /r`; break;
      case 'rm_imm': ops = `${rmName(size)}, ${immSize === 8 && size !== 8 ? 'imm8 (sign-extended)' : immName(size)}`; enc = `${enc0} /${extra.digit} ${immSize === 8 ? 'ib' : immSize === 16 ? 'iw' : 'id'}`; break;
      case 'acc_imm': ops = `${accName[size]}, ${immName(size)}`; enc = `${enc0} ${size === 8 ? 'ib' : size === 16 ? 'iw' : 'id'}`; break;
    }
    add(fam, {
      mnem, ops, enc, variant, size, n: extra.n ?? N,
      gen(c, rng) {
        const bytes = [...pre16(size), ...opcode];
        let dst, src;
        if (kind === 'rm_r' || kind === 'r_rm') {
          const reg = rng.int(8);
          const o = rmOperand(c, rng, variant, reg, size);
          if (!o) return false;
          bytes.push(...o.bytes);
          if (kind === 'rm_r') { dst = o.loc; src = R(reg, size); } else { dst = R(reg, size); src = o.loc; }
        } else if (kind === 'rm_imm') {
          const o = rmOperand(c, rng, variant, extra.digit, size);
          if (!o) return false;
          const imm = extra.immGen ? extra.immGen(rng, size) : rimm(rng, immSize);
          bytes.push(...o.bytes, ...le(imm, immSize / 8));
          dst = o.loc; src = I(immSize === 8 ? sx(imm, 8) : imm, size);
        } else {
          const imm = rimm(rng, size);
          bytes.push(...le(imm, size / 8));
          dst = R(0, size); src = I(imm, size);
        }
        c.bytes = bytes;
        if (extra.setup && !extra.setup(c, rng, dst, src)) return false;
        c.model = (S) => {
          const x = exec(ld(S, dst), ld(S, src), size, S.flags);
          if (x.write) st(S, dst, x.r);
          S.flags = x.flags;
          return x.u;
        };
        return true;
      },
    });
  }
}

// ---- alu
const ALU = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];
ALU.forEach((mn, k) => {
  const ex = (a, b, size, f) => aluExec(mn.toLowerCase(), a, b, size, f);
  binForm('alu', mn, 'rm_r', 8, [k * 8], ex);
  binForm('alu', mn, 'rm_r', 32, [k * 8 + 1], ex);
  binForm('alu', mn, 'rm_r', 16, [k * 8 + 1], ex);
  binForm('alu', mn, 'r_rm', 8, [k * 8 + 2], ex);
  binForm('alu', mn, 'r_rm', 32, [k * 8 + 3], ex);
  binForm('alu', mn, 'r_rm', 16, [k * 8 + 3], ex);
  binForm('alu', mn, 'acc_imm', 8, [k * 8 + 4], ex);
  binForm('alu', mn, 'acc_imm', 32, [k * 8 + 5], ex);
  binForm('alu', mn, 'acc_imm', 16, [k * 8 + 5], ex);
  binForm('alu', mn, 'rm_imm', 8, [0x80], ex, { digit: k });
  binForm('alu', mn, 'rm_imm', 32, [0x81], ex, { digit: k });
  binForm('alu', mn, 'rm_imm', 16, [0x81], ex, { digit: k });
  binForm('alu', mn, 'rm_imm', 32, [0x83], ex, { digit: k, immSize: 8 });
  binForm('alu', mn, 'rm_imm', 16, [0x83], ex, { digit: k, immSize: 8 });
});

// ---- test
{
  const ex = (a, b, size, f) => aluExec('test', a, b, size, f);
  binForm('test', 'TEST', 'rm_r', 8, [0x84], ex);
  binForm('test', 'TEST', 'rm_r', 32, [0x85], ex);
  binForm('test', 'TEST', 'rm_r', 16, [0x85], ex);
  binForm('test', 'TEST', 'acc_imm', 8, [0xa8], ex);
  binForm('test', 'TEST', 'acc_imm', 32, [0xa9], ex);
  binForm('test', 'TEST', 'acc_imm', 16, [0xa9], ex);
  binForm('test', 'TEST', 'rm_imm', 8, [0xf6], ex, { digit: 0 });
  binForm('test', 'TEST', 'rm_imm', 32, [0xf7], ex, { digit: 0 });
  binForm('test', 'TEST', 'rm_imm', 16, [0xf7], ex, { digit: 0 });
}

// ---- incdec, unary
function unaryExec(op, a, size, fin) {
  const sb = SIGN[size];
  switch (op) {
    case 'inc': { const r = trunc(a + 1, size); return { r, flags: (fin & ~(ARITH & ~CF)) | (r === sb ? OF : 0) | ((a ^ 1 ^ r) & AF) | szp(r, size) }; }
    case 'dec': { const r = trunc(a - 1, size); return { r, flags: (fin & ~(ARITH & ~CF)) | (a === sb ? OF : 0) | ((a ^ 1 ^ r) & AF) | szp(r, size) }; }
    case 'neg': { const r = trunc(-a, size); return { r, flags: (fin & ~ARITH) | (a !== 0 ? CF : 0) | (a === sb ? OF : 0) | ((a ^ r) & AF) | szp(r, size) }; }
    case 'not': return { r: trunc(~a, size), flags: fin };
    default: throw new Error(op);
  }
}
function unaryForm(fam, mnem, size, enc, bytesFn, locFn, op, n = N) {
  add(fam, {
    mnem, ops: enc.ops, enc: enc.enc, variant: enc.variant, size, n,
    gen(c, rng) {
      const o = locFn(c, rng);
      if (!o) return false;
      c.bytes = bytesFn(o);
      c.model = (S) => { const x = unaryExec(op, ld(S, o.loc), size, S.flags); st(S, o.loc, x.r); S.flags = x.flags; return 0; };
      return true;
    },
  });
}
for (const size of [32, 16]) {
  for (let r = 0; r < 8; r++) {
    for (const [op, base] of [['inc', 0x40], ['dec', 0x48]]) {
      unaryForm('incdec', op.toUpperCase(), size, { ops: regNames[size][r], enc: opc([...pre16(size), base + r]) },
        () => [...pre16(size), base + r], () => ({ loc: R(r, size) }), op);
    }
  }
}
function rmUnary(fam, mnem, op, size, opcode, digit, n = N) {
  for (const variant of VARIANTS) {
    unaryForm(fam, mnem, size, { ops: rmName(size), enc: `${opc([...pre16(size), opcode])} /${digit}`, variant },
      (o) => [...pre16(size), opcode, ...o.bytes], (c, rng) => rmOperand(c, rng, variant, digit, size), op, n);
  }
}
for (const [op, digit] of [['inc', 0], ['dec', 1]]) {
  rmUnary('incdec', op.toUpperCase(), op, 8, 0xfe, digit);
  rmUnary('incdec', op.toUpperCase(), op, 32, 0xff, digit);
  rmUnary('incdec', op.toUpperCase(), op, 16, 0xff, digit);
}
for (const [op, digit] of [['not', 2], ['neg', 3]]) {
  rmUnary('unary', op.toUpperCase(), op, 8, 0xf6, digit, 60);
  rmUnary('unary', op.toUpperCase(), op, 32, 0xf7, digit, 60);
  rmUnary('unary', op.toUpperCase(), op, 16, 0xf7, digit, 60);
}

// ---- muldiv
/** Sets up the dividend for DIV/IDIV: mostly non-faulting, some zero divisors, some random (overflow). */
function divSetup(c, rng, signed, src, size) {
  const dividendRegs = size === 8 ? [0] : [0, 2];
  if (!dividendRegs.every((i) => canSet(c, i, 32))) return false;
  const mode = rng.int(10);
  if (mode === 0) { // zero divisor (register operands only)
    if (src.t !== 'r' || !trySet(c, src.i, size, 0)) return true;
    return true;
  }
  if (mode === 1) return true; // random dividend: usually overflows
  let d = src.t === 'r' ? getR(c.regs, src.i, size) : mrd(c.mem, src.a, size);
  if (d === 0) {
    if (src.t !== 'r' || !canSet(c, src.i, size)) return false;
    d = rimm(rng, size) || 1;
    setR(c.regs, src.i, size, d);
  }
  const n = BigInt(size);
  let dividend;
  if (!signed) {
    const q = big(rimm(rng, size)) % (1n << n);
    const r = big(rng.u32()) % big(d);
    dividend = q * big(d) + r;
  } else {
    const ds = bsx(d, size);
    const q = bsx(rimm(rng, size), size);
    const ad = ds < 0n ? -ds : ds;
    let r = big(rng.u32()) % ad;
    const p = q * ds;
    if (p < 0n || (p === 0n && rng.chance(0.5))) r = -r;
    dividend = BigInt.asUintN(2 * size, p + r);
  }
  if (size === 8) setR(c.regs, 0, 16, Number(dividend & 0xffffn));
  else { setR(c.regs, 0, size, Number(dividend & ((1n << n) - 1n))); setR(c.regs, 2, size, Number(dividend >> n)); }
  return true;
}
for (const size of [8, 32, 16]) {
  const opcode = size === 8 ? 0xf6 : 0xf7;
  for (const [mnem, digit] of [['MUL', 4], ['IMUL', 5], ['DIV', 6], ['IDIV', 7]]) {
    for (const variant of VARIANTS) {
      add('muldiv', {
        mnem, ops: rmName(size), enc: `${opc([...pre16(size), opcode])} /${digit}`, variant, size, n: 60,
        gen(c, rng) {
          const o = rmOperand(c, rng, variant, digit, size);
          if (!o) return false;
          c.bytes = [...pre16(size), opcode, ...o.bytes];
          if (digit >= 6) {
            if (!divSetup(c, rng, digit === 7, o.loc, size)) return false;
            c.model = (S) => divExec(S, digit === 7, o.loc, size);
          } else {
            c.model = (S) => mulExec(S, digit === 5, o.loc, size);
          }
          return true;
        },
      });
    }
  }
}
for (const size of [32, 16]) {
  const ex = (a, b, sz, f) => { const x = imulTrunc(a, b, sz); return { r: x.r, flags: (f & ~(CF | OF)) | (x.over ? CF | OF : 0), u: SF | ZF | AF | PF, write: true }; };
  binForm('muldiv', 'IMUL', 'r_rm', size, [0x0f, 0xaf], ex, { n: 60 });
  for (const [opcode, immSize] of [[0x69, size], [0x6b, 8]]) {
    for (const variant of VARIANTS) {
      add('muldiv', {
        mnem: 'IMUL', ops: `${rName(size)}, ${rmName(size)}, ${immSize === 8 ? 'imm8 (sign-extended)' : immName(size)}`,
        enc: `${opc([...pre16(size), opcode])} /r ${immSize === 8 ? 'ib' : immSize === 16 ? 'iw' : 'id'}`, variant, size, n: 60,
        gen(c, rng) {
          const reg = rng.int(8);
          const o = rmOperand(c, rng, variant, reg, size);
          if (!o) return false;
          const imm = rimm(rng, immSize);
          c.bytes = [...pre16(size), opcode, ...o.bytes, ...le(imm, immSize / 8)];
          const b = trunc(sx(imm, immSize), size);
          c.model = (S) => { const x = ex(ld(S, o.loc), b, size, S.flags); setR(S.regs, reg, size, x.r); S.flags = x.flags; return x.u; };
          return true;
        },
      });
    }
  }
}
for (const [mnem, size, opcode] of [['CWDE', 32, 0x98], ['CBW', 16, 0x98], ['CDQ', 32, 0x99], ['CWD', 16, 0x99]]) {
  add('muldiv', {
    mnem, ops: '', enc: opc([...pre16(size), opcode]), size,
    gen(c) {
      c.bytes = [...pre16(size), opcode];
      c.model = (S) => {
        if (opcode === 0x98) setR(S.regs, 0, size, trunc(sx(getR(S.regs, 0, size / 2), size / 2), size));
        else setR(S.regs, 2, size, getR(S.regs, 0, size) & SIGN[size] ? MASK[size] : 0);
        return 0;
      };
      return true;
    },
  });
}

// ---- shift
const SHIFTS = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'];
for (const [opcode8, countKind] of [[0xc0, 'imm'], [0xd0, 'one'], [0xd2, 'cl']]) {
  for (const size of [8, 32, 16]) {
    const opcode = size === 8 ? opcode8 : opcode8 + 1;
    SHIFTS.forEach((mnem, digit) => {
      for (const variant of VARIANTS) {
        const cntName = countKind === 'imm' ? 'imm8' : countKind === 'one' ? '1' : 'CL';
        add('shift', {
          mnem, ops: `${rmName(size)}, ${cntName}`, enc: `${opc([...pre16(size), opcode])} /${digit}${countKind === 'imm' ? ' ib' : ''}`, variant, size,
          gen(c, rng) {
            const o = rmOperand(c, rng, variant, digit, size);
            if (!o) return false;
            c.bytes = [...pre16(size), opcode, ...o.bytes];
            let cnt = null;
            if (countKind === 'imm') { cnt = rcount(rng, size); c.bytes.push(cnt); }
            else if (countKind === 'one') cnt = 1;
            else trySet(c, 1, 8, rcount(rng, size)); // if ECX addresses memory, CL is whatever it is
            c.model = (S) => {
              const x = shiftExec(mnem.toLowerCase(), ld(S, o.loc), cnt ?? getR(S.regs, 1, 8), size, S.flags);
              st(S, o.loc, x.r); S.flags = x.flags; return x.u;
            };
            return true;
          },
        });
      }
    });
  }
}
for (const [mnem, right, base] of [['SHLD', false, 0xa4], ['SHRD', true, 0xac]]) {
  for (const byCl of [false, true]) {
    for (const size of [32, 16]) {
      for (const variant of VARIANTS) {
        add('shift', {
          mnem, ops: `${rmName(size)}, ${rName(size)}, ${byCl ? 'CL' : 'imm8'}`, enc: `${opc([...pre16(size), 0x0f, base + (byCl ? 1 : 0)])} /r${byCl ? '' : ' ib'}`, variant, size, n: 60,
          gen(c, rng) {
            const reg = rng.int(8);
            const o = rmOperand(c, rng, variant, reg, size);
            if (!o) return false;
            c.bytes = [...pre16(size), 0x0f, base + (byCl ? 1 : 0), ...o.bytes];
            let cnt = null;
            if (!byCl) { cnt = rcount(rng, size); c.bytes.push(cnt); }
            else trySet(c, 1, 8, rcount(rng, size));
            c.model = (S) => {
              const x = shldExec(right, ld(S, o.loc), getR(S.regs, reg, size), cnt ?? getR(S.regs, 1, 8), size, S.flags);
              st(S, o.loc, x.r); S.flags = x.flags; return x.u;
            };
            return true;
          },
        });
      }
    }
  }
}

// ---- mov
const movExec = (a, b) => ({ r: b, flags: 0, u: 0, write: true });
function movForm(mnem, kind, size, opcode, extra = {}) {
  binForm('mov', mnem, kind, size, opcode, (a, b, sz, f) => ({ ...movExec(a, b), flags: f }), extra);
}
movForm('MOV', 'rm_r', 8, [0x88]);
movForm('MOV', 'rm_r', 32, [0x89]);
movForm('MOV', 'rm_r', 16, [0x89]);
movForm('MOV', 'r_rm', 8, [0x8a]);
movForm('MOV', 'r_rm', 32, [0x8b]);
movForm('MOV', 'r_rm', 16, [0x8b]);
movForm('MOV', 'rm_imm', 8, [0xc6], { digit: 0 });
movForm('MOV', 'rm_imm', 32, [0xc7], { digit: 0 });
movForm('MOV', 'rm_imm', 16, [0xc7], { digit: 0 });
for (const size of [8, 32, 16]) {
  for (let r = 0; r < 8; r++) {
    const opcode = (size === 8 ? 0xb0 : 0xb8) + r;
    add('mov', {
      mnem: 'MOV', ops: `${regNames[size][r]}, ${immName(size)}`, enc: `${opc([...pre16(size), opcode])} ${size === 8 ? 'ib' : size === 16 ? 'iw' : 'id'}`, size, n: 30,
      gen(c, rng) {
        const imm = rimm(rng, size);
        c.bytes = [...pre16(size), opcode, ...le(imm, size / 8)];
        c.model = (S) => { setR(S.regs, r, size, imm); return 0; };
        return true;
      },
    });
  }
}
for (const [opcode, size, load] of [[0xa0, 8, true], [0xa1, 32, true], [0xa1, 16, true], [0xa2, 8, false], [0xa3, 32, false], [0xa3, 16, false]]) {
  add('mov', {
    mnem: 'MOV', ops: load ? `${accName[size]}, moffs${size}` : `moffs${size}, ${accName[size]}`, enc: `${opc([...pre16(size), opcode])} disp32`, size,
    gen(c, rng) {
      const a = SCR + rng.int(257 - size / 8);
      c.bytes = [...pre16(size), opcode, ...le(a, 4)];
      c.model = (S) => { if (load) setR(S.regs, 0, size, mrd(S.mem, a, size)); else mwr(S.mem, a, size, getR(S.regs, 0, size)); return 0; };
      return true;
    },
  });
}
for (const size of [32, 16]) {
  for (const mode of MEM_MODES) {
    add('mov', {
      mnem: 'LEA', ops: `${rName(size)}, m (${mode})`, enc: `${opc([...pre16(size), 0x8d])} /r`, variant: 'mem', size, n: 30,
      gen(c, rng) {
        const reg = rng.int(8);
        const m = memOperand(c, rng, reg, 0, 0, { mode, free: true });
        c.bytes = [...pre16(size), 0x8d, ...m.bytes];
        c.model = (S) => { setR(S.regs, reg, size, trunc(m.ea, size)); return 0; };
        return true;
      },
    });
  }
}
for (const [mnem, opcode, dsize, ssize, signed] of [['MOVZX', 0xb6, 32, 8, false], ['MOVZX', 0xb6, 16, 8, false], ['MOVZX', 0xb7, 32, 16, false],
  ['MOVSX', 0xbe, 32, 8, true], ['MOVSX', 0xbe, 16, 8, true], ['MOVSX', 0xbf, 32, 16, true]]) {
  for (const variant of VARIANTS) {
    add('mov', {
      mnem, ops: `${rName(dsize)}, ${rmName(ssize)}`, enc: `${opc([...pre16(dsize), 0x0f, opcode])} /r`, variant, size: dsize,
      gen(c, rng) {
        const reg = rng.int(8);
        const o = rmOperand(c, rng, variant, reg, ssize);
        if (!o) return false;
        c.bytes = [...pre16(dsize), 0x0f, opcode, ...o.bytes];
        c.model = (S) => { const v = ld(S, o.loc); setR(S.regs, reg, dsize, signed ? trunc(sx(v, ssize), dsize) : v); return 0; };
        return true;
      },
    });
  }
}
for (const [opcode, size] of [[0x86, 8], [0x87, 32], [0x87, 16]]) {
  for (const variant of VARIANTS) {
    add('mov', {
      mnem: 'XCHG', ops: `${rmName(size)}, ${rName(size)}`, enc: `${opc([...pre16(size), opcode])} /r`, variant, size,
      gen(c, rng) {
        const reg = rng.int(8);
        const o = rmOperand(c, rng, variant, reg, size);
        if (!o) return false;
        c.bytes = [...pre16(size), opcode, ...o.bytes];
        c.model = (S) => { const a = ld(S, o.loc), b = getR(S.regs, reg, size); st(S, o.loc, b); setR(S.regs, reg, size, a); return 0; };
        return true;
      },
    });
  }
}
for (const size of [32, 16]) {
  for (let r = 1; r < 8; r++) {
    add('mov', {
      mnem: 'XCHG', ops: `${accName[size]}, ${regNames[size][r]}`, enc: opc([...pre16(size), 0x90 + r]), size, n: 30,
      gen(c) {
        c.bytes = [...pre16(size), 0x90 + r];
        c.model = (S) => { const a = getR(S.regs, 0, size), b = getR(S.regs, r, size); setR(S.regs, 0, size, b); setR(S.regs, r, size, a); return 0; };
        return true;
      },
    });
  }
}

// ---- setcc_cmov (random input flags make each condition true about half of the time)
for (let cc = 0; cc < 16; cc++) {
  for (const variant of VARIANTS) {
    add('setcc_cmov', {
      mnem: `SET${CC[cc]}`, ops: 'r/m8', enc: `${opc([0x0f, 0x90 + cc])} /0`, variant, size: 8,
      gen(c, rng) {
        const o = rmOperand(c, rng, variant, 0, 8);
        if (!o) return false;
        c.bytes = [0x0f, 0x90 + cc, ...o.bytes];
        c.model = (S) => { st(S, o.loc, cond(cc, S.flags) ? 1 : 0); return 0; };
        return true;
      },
    });
  }
}
for (let cc = 0; cc < 16; cc++) {
  for (const size of [32, 16]) {
    binForm('setcc_cmov', `CMOV${CC[cc]}`, 'r_rm', size, [0x0f, 0x40 + cc], (a, b, sz, f) => ({ r: cond(cc, f) ? b : a, flags: f, u: 0, write: true }), { n: 30 });
  }
}

// ---- bits
for (const [mnem, opcode, digit] of [['BT', 0xa3, 4], ['BTS', 0xab, 5], ['BTR', 0xb3, 6], ['BTC', 0xbb, 7]]) {
  const apply = (v, bit) => (digit === 4 ? v : digit === 5 ? v | (1 << bit) : digit === 6 ? v & ~(1 << bit) : v ^ (1 << bit));
  const btModel = (S, loc, off, size, regOffset) => {
    let byteAddr, bit, cf;
    if (loc.t === 'r') {
      bit = off & (size - 1);
      const v = ld(S, loc);
      cf = (v >>> bit) & 1;
      st(S, loc, trunc(apply(v, bit), size));
    } else {
      if (regOffset) { const s = sx(off, size); byteAddr = loc.a + Math.floor(s / 8); bit = s & 7; }
      else { const b = off & (size - 1); byteAddr = loc.a + (b >> 3); bit = b & 7; }
      const v = mrd(S.mem, byteAddr, 8);
      cf = (v >>> bit) & 1;
      mwr(S.mem, byteAddr, 8, apply(v, bit) & 0xff);
    }
    S.flags = (S.flags & ~CF) | cf;
    return OF | SF | AF | PF; // ZF is unaffected
  };
  for (const size of [32, 16]) {
    for (const variant of VARIANTS) {
      add('bits', {
        mnem, ops: `${rmName(size)}, ${rName(size)}`, enc: `${opc([...pre16(size), 0x0f, opcode])} /r`, variant, size,
        gen(c, rng) {
          const reg = rng.int(8);
          const o = rmOperand(c, rng, variant, reg, size);
          if (!o) return false;
          c.bytes = [...pre16(size), 0x0f, opcode, ...o.bytes];
          if (variant === 'mem') {
            // The bit offset is signed and may address outside the operand: keep the (whole) unit it
            // selects inside the scratch bytes.
            const unit = size / 8;
            const kmin = Math.ceil((SCR - o.ea) / unit), kmax = Math.floor((SCR + 256 - unit - o.ea) / unit);
            const k = kmin + rng.int(kmax - kmin + 1);
            const off = k * size + rng.int(size);
            if (size === 32) { if (!trySet(c, reg, 32, off >>> 0)) return false; }
            else if (!canSet(c, reg, 32)) return false;
            else c.regs[reg] = ((rng.u32() & 0xffff0000) | (off & 0xffff)) >>> 0;
          }
          c.model = (S) => btModel(S, o.loc, getR(S.regs, reg, size), size, true);
          return true;
        },
      });
    }
  }
  for (const size of [32, 16]) {
    for (const variant of VARIANTS) {
      add('bits', {
        mnem, ops: `${rmName(size)}, imm8`, enc: `${opc([...pre16(size), 0x0f, 0xba])} /${digit} ib`, variant, size,
        gen(c, rng) {
          const o = rmOperand(c, rng, variant, digit, size);
          if (!o) return false;
          const imm = rng.int(256);
          c.bytes = [...pre16(size), 0x0f, 0xba, ...o.bytes, imm];
          c.model = (S) => btModel(S, o.loc, imm, size, false);
          return true;
        },
      });
    }
  }
}
for (const [mnem, opcode] of [['BSF', 0xbc], ['BSR', 0xbd]]) {
  for (const size of [32, 16]) {
    for (const variant of VARIANTS) {
      add('bits', {
        mnem, ops: `${rName(size)}, ${rmName(size)}`, enc: `${opc([...pre16(size), 0x0f, opcode])} /r`, variant, size, n: 60,
        gen(c, rng) {
          const reg = rng.int(8);
          const o = rmOperand(c, rng, variant, reg, size);
          if (!o) return false;
          c.bytes = [...pre16(size), 0x0f, opcode, ...o.bytes];
          if (o.loc.t === 'r' && canSet(c, o.loc.i, size)) {
            const k = rng.int(10);
            if (k < 2) setR(c.regs, o.loc.i, size, 0); // zero source: ZF = 1, destination officially undefined
            else if (k < 4) setR(c.regs, o.loc.i, size, 2 ** rng.int(size)); // a single bit
          }
          c.model = (S) => {
            const v = ld(S, o.loc);
            if (v === 0) S.flags |= ZF; // destination undefined; this CPU leaves it unchanged (recorded as is)
            else {
              S.flags &= ~ZF;
              let i = 0;
              if (opcode === 0xbc) { while (!((v / 2 ** i) & 1)) i++; } else { i = size - 1; while (!((Math.floor(v / 2 ** i)) & 1)) i--; }
              setR(S.regs, reg, size, i);
            }
            return CF | OF | SF | AF | PF;
          };
          return true;
        },
      });
    }
  }
}
for (let r = 0; r < 8; r++) {
  add('bits', {
    mnem: 'BSWAP', ops: REG32[r], enc: opc([0x0f, 0xc8 + r]), size: 32, n: 30,
    gen(c) {
      c.bytes = [0x0f, 0xc8 + r];
      c.model = (S) => { const v = S.regs[r]; S.regs[r] = ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) >>> 0; return 0; };
      return true;
    },
  });
}

// ---- atomic (no LOCK prefix)
for (const [opcode, size] of [[0xb0, 8], [0xb1, 32], [0xb1, 16]]) {
  for (const variant of VARIANTS) {
    add('atomic', {
      mnem: 'CMPXCHG', ops: `${rmName(size)}, ${rName(size)}`, enc: `${opc([...pre16(size), 0x0f, opcode])} /r`, variant, size, n: 60,
      gen(c, rng) {
        const reg = rng.int(8);
        const o = rmOperand(c, rng, variant, reg, size);
        if (!o) return false;
        c.bytes = [...pre16(size), 0x0f, opcode, ...o.bytes];
        if (rng.chance(0.5)) { // make the comparison succeed
          const d = o.loc.t === 'r' ? getR(c.regs, o.loc.i, size) : mrd(c.mem, o.loc.a, size);
          trySet(c, 0, size, d);
        }
        c.model = (S) => {
          const acc = R(0, size);
          const a = ld(S, acc), d = ld(S, o.loc), s = getR(S.regs, reg, size);
          S.flags = aluExec('cmp', a, d, size, S.flags).flags;
          if (a === d) st(S, o.loc, s); else st(S, acc, d);
          return 0;
        };
        return true;
      },
    });
  }
}
for (const [opcode, size] of [[0xc0, 8], [0xc1, 32], [0xc1, 16]]) {
  for (const variant of VARIANTS) {
    add('atomic', {
      mnem: 'XADD', ops: `${rmName(size)}, ${rName(size)}`, enc: `${opc([...pre16(size), 0x0f, opcode])} /r`, variant, size, n: 60,
      gen(c, rng) {
        const reg = rng.int(8);
        const o = rmOperand(c, rng, variant, reg, size);
        if (!o) return false;
        c.bytes = [...pre16(size), 0x0f, opcode, ...o.bytes];
        c.model = (S) => {
          const d = ld(S, o.loc), s = getR(S.regs, reg, size);
          const x = aluExec('add', d, s, size, S.flags);
          setR(S.regs, reg, size, d); st(S, o.loc, x.r); S.flags = x.flags;
          return 0;
        };
        return true;
      },
    });
  }
}

// ---- stack
for (const size of [32, 16]) {
  for (let r = 0; r < 8; r++) {
    add('stack', {
      mnem: 'PUSH', ops: regNames[size][r], enc: opc([...pre16(size), 0x50 + r]), size, n: 30,
      gen(c, rng) {
        stackInScratch(c, rng);
        c.bytes = [...pre16(size), 0x50 + r];
        c.model = (S) => { push(S, size, getR(S.regs, r, size)); return 0; };
        return true;
      },
    });
    add('stack', {
      mnem: 'POP', ops: regNames[size][r], enc: opc([...pre16(size), 0x58 + r]), size, n: 30,
      gen(c, rng) {
        stackInScratch(c, rng);
        c.bytes = [...pre16(size), 0x58 + r];
        c.model = (S) => { const v = pop(S, size); setR(S.regs, r, size, v); return 0; };
        return true;
      },
    });
  }
  for (const [opcode, immSize] of [[0x68, size], [0x6a, 8]]) {
    add('stack', {
      mnem: 'PUSH', ops: immSize === 8 ? 'imm8 (sign-extended)' : immName(size), enc: `${opc([...pre16(size), opcode])} ${immSize === 8 ? 'ib' : immSize === 16 ? 'iw' : 'id'}`, size,
      gen(c, rng) {
        stackInScratch(c, rng);
        const imm = rimm(rng, immSize);
        c.bytes = [...pre16(size), opcode, ...le(imm, immSize / 8)];
        c.model = (S) => { push(S, size, trunc(sx(imm, immSize), size)); return 0; };
        return true;
      },
    });
  }
  for (const variant of [...VARIANTS, 'mem (ESP base)']) {
    const espBase = variant !== 'reg' && variant !== 'mem';
    const mv = espBase ? 'mem' : variant;
    add('stack', {
      mnem: 'PUSH', ops: rmName(size), enc: `${opc([...pre16(size), 0xff])} /6`, variant, size,
      gen(c, rng) {
        stackInScratch(c, rng);
        const o = rmOperand(c, rng, mv, 6, size, { espBase });
        if (!o) return false;
        c.bytes = [...pre16(size), 0xff, ...o.bytes];
        c.model = (S) => { push(S, size, ld(S, o.loc)); return 0; };
        return true;
      },
    });
    add('stack', {
      mnem: 'POP', ops: rmName(size), enc: `${opc([...pre16(size), 0x8f])} /0`, variant, size,
      gen(c, rng) {
        stackInScratch(c, rng);
        // With ESP as a base register the address is computed after the increment.
        const o = rmOperand(c, rng, mv, 0, size, { espAdj: size / 8, espBase });
        if (!o) return false;
        c.bytes = [...pre16(size), 0x8f, ...o.bytes];
        c.model = (S) => { const v = pop(S, size); st(S, o.loc, v); return 0; };
        return true;
      },
    });
  }
  add('stack', {
    mnem: size === 32 ? 'PUSHFD' : 'PUSHF', ops: '', enc: opc([...pre16(size), 0x9c]), size, df: true,
    gen(c, rng) {
      stackInScratch(c, rng);
      c.bytes = [...pre16(size), 0x9c];
      c.opts |= 2; // oracle: undo the TF that single-stepping leaks into the pushed image
      c.model = (S) => { push(S, size, (S.flags & FLAGS) | 0x202); return 0; };
      return true;
    },
  });
  add('stack', {
    mnem: size === 32 ? 'POPFD' : 'POPF', ops: '', enc: opc([...pre16(size), 0x9d]), size, df: true, n: size === 32 ? 32 : N,
    gen(c, rng) {
      stackInScratch(c, rng);
      // The popped image holds only CF PF AF ZF SF DF OF (and the always-1 bit 1, or not).
      setSeed(c, seedWith(rng, c.regs[4] - SCR, size / 8, (v) => (v & ~0xcd7) === 0 && v !== 0, size === 32 ? ZERO_HI : null));
      c.bytes = [...pre16(size), 0x9d];
      c.model = (S) => { const v = pop(S, size); S.flags = v & FLAGS; return 0; };
      return true;
    },
  });
  add('stack', {
    mnem: 'LEAVE', ops: size === 16 ? '(16-bit: ESP = EBP, pop BP)' : '', enc: opc([...pre16(size), 0xc9]), size,
    gen(c, rng) {
      c.regs[5] = SCR + (rng.chance(0.7) ? 4 * rng.int(64) : rng.int(257 - size / 8));
      c.bytes = [...pre16(size), 0xc9];
      c.model = (S) => { S.regs[4] = S.regs[5]; setR(S.regs, 5, size, pop(S, size)); return 0; };
      return true;
    },
  });
}

// ---- control (targets inside the code page; the oracle stops before the target is fetched)
const codeTarget = (rng) => CODE + rng.int(0x1000);
for (let cc = 0; cc < 16; cc++) {
  add('control', {
    mnem: `J${CC[cc]}`, ops: 'rel8', enc: `${opc([0x70 + cc])} cb`, size: 32,
    gen(c, rng) {
      const rel = rng.int(130) - 2; // the target must not lie below the code page
      c.bytes = [0x70 + cc, rel & 0xff];
      c.model = (S) => { if (cond(cc, S.flags)) S.eip = CODE + 2 + rel; return 0; };
      return true;
    },
  });
}
for (let cc = 0; cc < 16; cc++) {
  add('control', {
    mnem: `J${CC[cc]}`, ops: 'rel32', enc: `${opc([0x0f, 0x80 + cc])} cd`, size: 32,
    gen(c, rng) {
      const t = codeTarget(rng);
      c.bytes = [0x0f, 0x80 + cc, ...le(mod32(t - (CODE + 6)), 4)];
      c.model = (S) => { if (cond(cc, S.flags)) S.eip = t; return 0; };
      return true;
    },
  });
}
add('control', {
  mnem: 'JMP', ops: 'rel8', enc: 'EB cb', size: 32,
  gen(c, rng) {
    const rel = rng.int(130) - 2;
    c.bytes = [0xeb, rel & 0xff];
    c.model = (S) => { S.eip = CODE + 2 + rel; return 0; };
    return true;
  },
});
add('control', {
  mnem: 'JMP', ops: 'rel32', enc: 'E9 cd', size: 32,
  gen(c, rng) {
    const t = codeTarget(rng);
    c.bytes = [0xe9, ...le(mod32(t - (CODE + 5)), 4)];
    c.model = (S) => { S.eip = t; return 0; };
    return true;
  },
});
add('control', {
  mnem: 'CALL', ops: 'rel32', enc: 'E8 cd', size: 32,
  gen(c, rng) {
    stackInScratch(c, rng);
    const t = codeTarget(rng);
    c.bytes = [0xe8, ...le(mod32(t - (CODE + 5)), 4)];
    c.model = (S) => { push(S, 32, CODE + 5); S.eip = t; return 0; };
    return true;
  },
});
for (const [mnem, digit] of [['JMP', 4], ['CALL', 2]]) {
  for (const variant of digit === 2 ? [...VARIANTS, 'mem (ESP base)'] : VARIANTS) {
    add('control', {
      mnem, ops: 'r/m32', enc: `FF /${digit}`, variant, size: 32,
      gen(c, rng) {
        if (digit === 2) stackInScratch(c, rng);
        let o;
        if (variant === 'reg') {
          o = rmOperand(c, rng, 'reg', digit, 32, { rmExclude: [4] });
          c.regs[o.rm] = codeTarget(rng);
        } else {
          o = rmOperand(c, rng, 'mem', digit, 32, { espBase: variant !== 'mem' });
          if (!o) return false;
          setSeed(c, seedWith(rng, o.ea - SCR, 4, inCodePage, CODE_HI)); // the target dword lies in the code page
        }
        c.bytes = [0xff, ...o.bytes];
        c.model = (S) => { const t = ld(S, o.loc); if (digit === 2) push(S, 32, CODE + c.bytes.length); S.eip = t; return 0; };
        return true;
      },
    });
  }
}
for (const withImm of [false, true]) {
  add('control', {
    mnem: 'RET', ops: withImm ? 'imm16' : '', enc: withImm ? 'C2 iw' : 'C3', size: 32,
    gen(c, rng) {
      stackInScratch(c, rng);
      setSeed(c, seedWith(rng, c.regs[4] - SCR, 4, inCodePage, CODE_HI));
      const imm = withImm ? rng.pick([0, 4, 8, 12, rng.int(0x10000), rng.int(0x10000)]) : 0;
      c.bytes = withImm ? [0xc2, ...le(imm, 2)] : [0xc3];
      c.model = (S) => { S.eip = pop(S, 32); S.regs[4] = (S.regs[4] + imm) >>> 0; return 0; };
      return true;
    },
  });
}

// ---- string
const STR = { MOVS: [0xa4, 'SI DI'], CMPS: [0xa6, 'SI DI'], STOS: [0xaa, 'DI'], LODS: [0xac, 'SI'], SCAS: [0xae, 'DI'] };
const strSuffix = { 8: 'B', 16: 'W', 32: 'D' };
for (const [prim, [op8, uses]] of Object.entries(STR)) {
  const cmp = prim === 'CMPS' || prim === 'SCAS';
  for (const rep of cmp ? [null, 0xf3, 0xf2] : [null, 0xf3]) {
    for (const size of [8, 32, 16]) {
      const opcode = size === 8 ? op8 : op8 + 1;
      const repName = rep === null ? '' : rep === 0xf2 ? 'REPNE ' : cmp ? 'REPE ' : 'REP ';
      add('string', {
        mnem: `${repName}${prim}${strSuffix[size]}`, ops: '', enc: `${rep ? hex(rep) + ' ' : ''}${size === 16 ? '66 ' : ''}${hex(opcode)}${rep && size === 16 ? ' (prefixes in either order)' : ''}`, size, df: true, n: rep ? 60 : N,
        gen(c, rng) {
          c.flags = rng.u32() & FLAGS;
          const b = size / 8, down = (c.flags & DF) !== 0, step = down ? -b : b;
          const n = rep ? rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, rng.int(9)]) : 1;
          if (rep) c.regs[1] = n;
          const place = () => (n === 0 ? SCR + rng.int(257 - b) : SCR + (down ? (n - 1) * b : 0) + rng.int(256 - n * b + 1));
          if (uses.includes('SI')) c.regs[6] = place();
          if (uses.includes('DI')) c.regs[7] = prim === 'CMPS' && rng.chance(0.3) ? c.regs[6] : place();
          if (prim === 'SCAS' && n > 0 && rng.chance(0.5)) setR(c.regs, 0, size, mrd(c.mem, c.regs[7] + step * rng.int(n), size));
          const prefixes = [];
          if (size === 16) prefixes.push(0x66);
          if (rep) prefixes.push(rep);
          if (prefixes.length === 2 && rng.chance(0.5)) prefixes.reverse();
          c.bytes = [...prefixes, opcode];
          if (rep) c.opts |= 1;
          c.model = (S) => {
            const acc = R(0, size);
            for (;;) {
              if (rep && S.regs[1] === 0) break;
              const si = S.regs[6], di = S.regs[7];
              switch (prim) {
                case 'MOVS': mwr(S.mem, di, size, mrd(S.mem, si, size)); break;
                case 'CMPS': S.flags = aluExec('cmp', mrd(S.mem, si, size), mrd(S.mem, di, size), size, S.flags).flags; break;
                case 'STOS': mwr(S.mem, di, size, ld(S, acc)); break;
                case 'LODS': st(S, acc, mrd(S.mem, si, size)); break;
                case 'SCAS': S.flags = aluExec('cmp', ld(S, acc), mrd(S.mem, di, size), size, S.flags).flags; break;
              }
              if (uses.includes('SI')) S.regs[6] = (si + step) >>> 0;
              if (uses.includes('DI')) S.regs[7] = (di + step) >>> 0;
              if (!rep) break;
              S.regs[1] = (S.regs[1] - 1) >>> 0;
              if (cmp && rep === 0xf3 && !(S.flags & ZF)) break;
              if (cmp && rep === 0xf2 && (S.flags & ZF)) break;
            }
            return 0;
          };
          return true;
        },
      });
    }
  }
}

// ---- flags
for (const [mnem, opcode, fn] of [
  ['CLD', 0xfc, (S) => { S.flags &= ~DF; }], ['STD', 0xfd, (S) => { S.flags |= DF; }],
  ['CLC', 0xf8, (S) => { S.flags &= ~CF; }], ['STC', 0xf9, (S) => { S.flags |= CF; }], ['CMC', 0xf5, (S) => { S.flags ^= CF; }],
  ['SAHF', 0x9e, (S) => { S.flags = (S.flags & ~(SF | ZF | AF | PF | CF)) | (getR(S.regs, 4, 8) & (SF | ZF | AF | PF | CF)); }],
  ['LAHF', 0x9f, (S) => { setR(S.regs, 4, 8, (S.flags & (SF | ZF | AF | PF | CF)) | 0x02); }],
]) {
  add('flags', {
    mnem, ops: '', enc: opc([opcode]), size: 32, df: true,
    gen(c) { c.bytes = [opcode]; c.model = (S) => { fn(S); return 0; }; return true; },
  });
}

// ---- misc
const nop = () => 0;
for (const [mnem, ops, enc, bytes] of [
  ['NOP', '', '90', [0x90]], ['NOP', '(XCHG AX, AX)', '66 90', [0x66, 0x90]],
  ['NOPL', '[EAX]', '0F 1F /0', [0x0f, 0x1f, 0x00]], ['NOPL', '[EAX+0] disp8', '0F 1F /0', [0x0f, 0x1f, 0x40, 0x00]],
  ['NOPL', '[EAX+EAX*1+0] SIB disp8', '0F 1F /0', [0x0f, 0x1f, 0x44, 0x00, 0x00]],
  ['NOPW', '[EAX+EAX*1+0] SIB disp8', '66 0F 1F /0', [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00]],
  ['NOPL', '[EAX+0] disp32', '0F 1F /0', [0x0f, 0x1f, 0x80, 0, 0, 0, 0]],
  ['NOPL', '[EAX+EAX*1+0] SIB disp32', '0F 1F /0', [0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0]],
  ['NOPW', '[EAX+EAX*1+0] SIB disp32', '66 0F 1F /0', [0x66, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0]],
  ['LEA', 'ESI, [ESI+0] (padding)', '8D /r', [0x8d, 0x76, 0x00]], ['LEA', 'ESI, [ESI+EIZ*1+0] (padding)', '8D /r', [0x8d, 0x74, 0x26, 0x00]],
  ['LEA', 'ESI, [ESI+0] disp32 (padding)', '8D /r', [0x8d, 0xb6, 0, 0, 0, 0]], ['LEA', 'ESI, [ESI+EIZ*1+0] disp32 (padding)', '8D /r', [0x8d, 0xb4, 0x26, 0, 0, 0, 0]],
  ['ENDBR32', '', 'F3 0F 1E FB', [0xf3, 0x0f, 0x1e, 0xfb]],
]) {
  add('misc', { mnem, ops, enc, size: 32, n: 30, gen(c) { c.bytes = bytes; c.model = nop; return true; } });
}
add('misc', {
  mnem: 'NOPL/NOPW', ops: 'r/m (random memory forms, no access)', enc: '[66] 0F 1F /0', variant: 'mem', size: 32, n: 60,
  gen(c, rng) {
    const m = memOperand(c, rng, 0, 0, 0, { free: true });
    c.bytes = [...(rng.chance(0.3) ? [0x66] : []), 0x0f, 0x1f, ...m.bytes];
    c.model = nop;
    return true;
  },
});
add('misc', { mnem: 'UD2', ops: '(#UD)', enc: '0F 0B', size: 32, n: 30, gen(c) { c.bytes = [0x0f, 0x0b]; c.model = () => { throw new Fault('UD'); }; return true; } });
add('misc', { mnem: 'HLT', ops: '(#GP at CPL 3)', enc: 'F4', size: 32, n: 30, gen(c) { c.bytes = [0xf4]; c.model = () => { throw new Fault('GP'); }; return true; } });

// ---- legacy: BCD adjustments, PUSHA/POPA, ENTER, XLAT, LOOP/JECXZ, CMPXCHG8B, BOUND, CBW/CWDE/CWD/CDQ
const al = (S) => S.regs[0] & 0xff;
const setAl = (S, v) => setR(S.regs, 0, 8, v & 0xff);
const aF = (S) => (S.flags & AF) !== 0;
const cF = (S) => S.flags & CF;
function bcdGen(rng, c) {
  // AL: half the time valid packed BCD digits, else any byte; AF and CF random (from newCase).
  c.regs[0] = (c.regs[0] & ~0xffff) | (rng.int(256) << 8) | (rng.chance(0.5) ? (rng.int(10) << 4) | rng.int(10) : rng.int(256));
}
const BCD = [
  ['DAA', 0x27, OF, (S) => {
    const old = al(S), oldCf = cF(S);
    let v = old, cf = 0, af = 0;
    if ((v & 0xf) > 9 || aF(S)) { cf = oldCf | (v + 6 > 0xff ? 1 : 0); v = (v + 6) & 0xff; af = AF; }
    if (old > 0x99 || oldCf) { v = (v + 0x60) & 0xff; cf = 1; } else cf = 0;
    setAl(S, v); S.flags = (S.flags & ~ARITH) | szp(v, 8) | af | cf;
  }],
  ['DAS', 0x2f, OF, (S) => {
    const old = al(S), oldCf = cF(S);
    let v = old, cf = 0, af = 0;
    if ((v & 0xf) > 9 || aF(S)) { cf = oldCf | (v < 6 ? 1 : 0); v = (v - 6) & 0xff; af = AF; }
    if (old > 0x99 || oldCf) { v = (v - 0x60) & 0xff; cf = 1; }
    setAl(S, v); S.flags = (S.flags & ~ARITH) | szp(v, 8) | af | cf;
  }],
  ['AAA', 0x37, OF | SF | ZF | PF, (S) => {
    let ax = S.regs[0] & 0xffff, f = 0;
    if ((ax & 0xf) > 9 || aF(S)) { ax = (ax + 0x106) & 0xffff; f = AF | CF; }
    setR(S.regs, 0, 16, (ax & 0xff00) | (ax & 0xf)); S.flags = (S.flags & ~ARITH) | f;
  }],
  ['AAS', 0x3f, OF | SF | ZF | PF, (S) => {
    let ax = S.regs[0] & 0xffff, f = 0;
    if ((ax & 0xf) > 9 || aF(S)) { ax = (ax - 6) & 0xffff; ax = (ax - 0x100) & 0xffff; f = AF | CF; } // AX - 6, then AH - 1 (SDM)
    setR(S.regs, 0, 16, (ax & 0xff00) | (ax & 0xf)); S.flags = (S.flags & ~ARITH) | f;
  }],
];
for (const [mnem, opcode, undef, fn] of BCD) {
  add('legacy', {
    mnem, ops: '', enc: opc([opcode]), size: 8, n: 200,
    gen(c, rng) { bcdGen(rng, c); c.bytes = [opcode]; c.model = (S) => { fn(S); return undef; }; return true; },
  });
}
add('legacy', {
  mnem: 'AAM', ops: 'imm8', enc: 'D4 ib', size: 8, n: 120,
  gen(c, rng) {
    const base = rng.pick([10, 10, 0, 1, 2, 16, 255, rng.int(256)]);
    c.bytes = [0xd4, base];
    c.model = (S) => {
      if (base === 0) throw new Fault('DE');
      const a = al(S);
      setR(S.regs, 0, 16, (Math.floor(a / base) << 8) | (a % base));
      S.flags = (S.flags & ~ARITH) | szp(a % base, 8);
      return OF | AF | CF;
    };
    return true;
  },
});
add('legacy', {
  mnem: 'AAD', ops: 'imm8', enc: 'D5 ib', size: 8, n: 120,
  gen(c, rng) {
    const base = rng.pick([10, 10, 0, 1, 2, 16, 255, rng.int(256)]);
    c.bytes = [0xd5, base];
    c.model = (S) => {
      const v = (al(S) + ((S.regs[0] >>> 8) & 0xff) * base) & 0xff;
      setR(S.regs, 0, 16, v);
      S.flags = (S.flags & ~ARITH) | szp(v, 8);
      return OF | AF | CF;
    };
    return true;
  },
});
for (const size of [32, 16]) {
  const b = size / 8;
  add('legacy', {
    mnem: size === 32 ? 'PUSHAD' : 'PUSHA', ops: '', enc: opc([...pre16(size), 0x60]), size, n: 40,
    gen(c) {
      c.regs[4] = SCR + 0x80 + 4 * (c.seed % 17); fix(c, 4);
      c.bytes = [...pre16(size), 0x60];
      c.model = (S) => { const sp = S.regs[4]; for (let i = 0; i < 8; i++) push(S, size, i === 4 ? sp : S.regs[i]); return 0; };
      return true;
    },
  });
  add('legacy', {
    mnem: size === 32 ? 'POPAD' : 'POPA', ops: '', enc: opc([...pre16(size), 0x61]), size, n: 40,
    gen(c) {
      c.regs[4] = SCR + 0x40 + 4 * (c.seed % 17); fix(c, 4);
      c.bytes = [...pre16(size), 0x61];
      c.model = (S) => { for (let i = 7; i >= 0; i--) { const v = pop(S, size); if (i !== 4) setR(S.regs, i, size, v); } return 0; };
      return true;
    },
  });
  for (const level of [0, 1, 2, 3]) {
    add('legacy', {
      mnem: size === 32 ? 'ENTER' : 'ENTER (16-bit)', ops: `imm16, ${level}`, enc: opc([...pre16(size), 0xc8]) + ' iw ib', size, n: 30,
      gen(c, rng) {
        c.regs[4] = SCR + 0xa0 + 4 * (c.seed % 9); fix(c, 4);
        c.regs[5] = SCR + 0xd0 + 4 * rng.int(8); fix(c, 5);
        // The new ESP must stay inside the scratch bytes: the host CPU probes the new stack bottom (a frame
        // reaching below the mapped page faults), which these vectors do not cover.
        const frame = rng.pick([0, 4, 8, 16, rng.int(0x60)]);
        c.bytes = [...pre16(size), 0xc8, frame & 0xff, frame >> 8, level];
        c.model = (S) => {
          const bp = S.regs[5];
          push(S, size, size === 32 ? bp : bp & 0xffff);
          const ft = S.regs[4];
          for (let i = 1; i < level; i++) push(S, size, mrd(S.mem, mod32(bp - i * b), size));
          if (level > 0) push(S, size, ft);
          setR(S.regs, 5, size, ft);
          S.regs[4] = mod32(S.regs[4] - frame);
          return 0;
        };
        return true;
      },
    });
  }
}
add('legacy', {
  mnem: 'XLAT', ops: '', enc: 'D7', size: 8, n: 60,
  gen(c, rng) {
    c.regs[3] = SCR + rng.int(128); fix(c, 3);
    c.regs[0] = (c.regs[0] & ~0xff) | rng.int(128);
    c.bytes = [0xd7];
    c.model = (S) => { setAl(S, mrd(S.mem, mod32(S.regs[3] + al(S)), 8)); return 0; };
    return true;
  },
});
for (const [mnem, opcode] of [['LOOPNE', 0xe0], ['LOOPE', 0xe1], ['LOOP', 0xe2], ['JECXZ', 0xe3]]) {
  add('legacy', {
    mnem, ops: 'rel8', enc: `${opc([opcode])} cb`, size: 32, n: 60,
    gen(c, rng) {
      const rel = rng.int(130) - 2;
      c.regs[1] = rng.pick([0, 1, 2, 0xffffffff, rng.u32()]);
      c.bytes = [opcode, rel & 0xff];
      c.model = (S) => {
        if (opcode === 0xe3) { if (S.regs[1] === 0) S.eip = CODE + 2 + rel; return 0; }
        S.regs[1] = (S.regs[1] - 1) >>> 0;
        const z = (S.flags & ZF) !== 0;
        if (S.regs[1] !== 0 && (opcode === 0xe2 || (opcode === 0xe1 ? z : !z))) S.eip = CODE + 2 + rel;
        return 0;
      };
      return true;
    },
  });
}
add('legacy', {
  mnem: 'CMPXCHG8B', ops: 'm64', enc: '0F C7 /1', variant: 'mem', size: 32, n: 120,
  gen(c, rng) {
    const m = memOperand(c, rng, 1, SCR, SCR + 248);
    if (!m || c.fixed.has(0) || c.fixed.has(2)) return false;
    if (rng.chance(0.5)) { c.regs[0] = mrd(c.mem, m.ea, 32); c.regs[2] = mrd(c.mem, m.ea + 4, 32); }
    c.bytes = [0x0f, 0xc7, ...m.bytes];
    c.model = (S) => {
      const lo = mrd(S.mem, m.ea, 32), hi = mrd(S.mem, m.ea + 4, 32);
      if (lo === S.regs[0] && hi === S.regs[2]) {
        mwr(S.mem, m.ea, 32, S.regs[3]); mwr(S.mem, m.ea + 4, 32, S.regs[1]); S.flags |= ZF;
      } else { S.regs[0] = lo; S.regs[2] = hi; S.flags &= ~ZF; }
      return 0;
    };
    return true;
  },
});
for (const size of [32, 16]) {
  add('legacy', {
    mnem: 'BOUND', ops: `r${size}, m${size}&${size} (out of range: #BR, SIGSEGV as #GP)`, enc: opc([...pre16(size), 0x62]) + ' /r', variant: 'mem', size, n: 80,
    gen(c, rng) {
      const reg = rng.int(8);
      if (reg === 4) return false;
      const m = memOperand(c, rng, reg, SCR, SCR + 256 - 2 * (size / 8));
      if (!m || c.fixed.has(reg)) return false;
      const lower = sx(mrd(c.mem, m.ea, size), size), upper = sx(mrd(c.mem, m.ea + size / 8, size), size);
      if (rng.chance(0.6) && lower <= upper) setR(c.regs, reg, size, lower + rng.int(upper - lower + 1));
      c.bytes = [...pre16(size), 0x62, ...m.bytes];
      c.model = (S) => {
        const i = sx(getR(S.regs, reg, size), size);
        if (i < lower || i > upper) throw new Fault('GP');
        return 0;
      };
      return true;
    },
  });
}

export const FORMS = forms;

// ---------------------------------------------------------------- case generation driver

/**
 * Generates form.n cases for one form. Each case: { form, bytes, regs, flags, seed, mem, opts, u, fault, expect }.
 * expect = the model's final state { regs, mem, flags, eip } (null for a fault).
 */
export function generateForm(form, rng) {
  const out = [];
  let tries = 0;
  while (out.length < form.n) {
    if (++tries > form.n * 200) throw new Error(`cannot generate cases for ${form.name}`);
    const c = newCase(rng, form);
    if (!form.gen(c, rng)) continue;
    const S = { regs: Uint32Array.from(c.regs), mem: Uint8Array.from(c.mem), flags: c.flags, eip: CODE + c.bytes.length };
    let u = 0, fault = null;
    try {
      u = c.model(S);
    } catch (e) {
      if (e instanceof Skip) continue;
      if (!(e instanceof Fault)) throw new Error(`${form.name}: ${e.message}`);
      fault = e.kind;
    }
    out.push({ form, bytes: c.bytes, regs: c.regs, flags: c.flags, seed: c.seed, mem: c.mem, opts: c.opts, u: fault ? 0 : u & FLAGS, fault, expect: fault ? null : S });
  }
  return out;
}

// Shared with the x87 forms (x87-forms.mjs): the same register set-up and memory operand solver.
export { memOperand, newCase };
