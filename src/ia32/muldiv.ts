/**
 * MUL, IMUL, DIV and IDIV. 32x32->64 products are computed exactly with 16-bit halves (no BigInt on the
 * common path); 64/32 divisions use BigInt only when the dividend does not fit in 32 bits. Flags:
 * MUL/IMUL set CF = OF = "the high half is significant"; SF ZF PF come from the low half and AF is
 * cleared (officially undefined). DIV/IDIV leave all flags unchanged (officially undefined).
 */
import { ARITH, CF, Cpu, EAX, EDX, LOP_LOGIC, OF } from './cpu.js';

/** Unsigned 32x32 product: [low, high] as uint32. */
export function umul32(a: number, b: number): [number, number] {
  a >>>= 0;
  b >>>= 0;
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const p1 = ah * bl + (ll >>> 16);
  const p2 = al * bh + (p1 & 0xffff);
  const hi = ah * bh + Math.floor(p1 / 65536) + Math.floor(p2 / 65536);
  const lo = Math.imul(a, b) >>> 0;
  return [lo, hi >>> 0];
}

/** Signed 32x32 product: [low, high] as int32. */
export function imul32(a: number, b: number): [number, number] {
  const [lo, hiU] = umul32(a, b);
  let hi = hiU;
  if (a < 0) hi -= b >>> 0;
  if (b < 0) hi -= a >>> 0;
  return [lo | 0, hi | 0];
}

function mulFlags(c: Cpu, low: number, sz: number, overflow: boolean): void {
  c.setLazy(LOP_LOGIC, 0, 0, low, sz);
  c.lmask = ARITH & ~(CF | OF);
  c.flags = (c.flags & ~(CF | OF)) | (overflow ? CF | OF : 0);
}

/** MUL r/m (unsigned, accumulator form). */
export function mul(c: Cpu, src: number, sz: number): void {
  if (sz === 1) {
    const r = (c.r[EAX]! & 0xff) * (src & 0xff);
    c.set16(EAX, r);
    mulFlags(c, r & 0xff, 1, r > 0xff);
  } else if (sz === 2) {
    const r = (c.r[EAX]! & 0xffff) * (src & 0xffff);
    c.set16(EAX, r);
    c.set16(EDX, r >>> 16);
    mulFlags(c, r & 0xffff, 2, r > 0xffff);
  } else {
    const [lo, hi] = umul32(c.r[EAX]!, src);
    c.r[EAX] = lo;
    c.r[EDX] = hi;
    mulFlags(c, lo | 0, 4, hi !== 0);
  }
}

/** IMUL r/m (signed, accumulator form). */
export function imul1(c: Cpu, src: number, sz: number): void {
  if (sz === 1) {
    const r = ((c.r[EAX]! << 24) >> 24) * ((src << 24) >> 24);
    c.set16(EAX, r);
    mulFlags(c, r & 0xff, 1, r !== (r << 24) >> 24);
  } else if (sz === 2) {
    const r = ((c.r[EAX]! << 16) >> 16) * ((src << 16) >> 16);
    c.set16(EAX, r);
    c.set16(EDX, r >> 16);
    mulFlags(c, r & 0xffff, 2, r !== (r << 16) >> 16);
  } else {
    const [lo, hi] = imul32(c.r[EAX]!, src);
    c.r[EAX] = lo;
    c.r[EDX] = hi;
    mulFlags(c, lo, 4, hi !== lo >> 31);
  }
}

/** IMUL r, r/m[, imm]: the truncated product; CF = OF = it did not fit. */
export function imul2(c: Cpu, a: number, b: number, sz: number): number {
  if (sz === 2) {
    const r = ((a << 16) >> 16) * ((b << 16) >> 16);
    mulFlags(c, r & 0xffff, 2, r !== (r << 16) >> 16);
    return r & 0xffff;
  }
  const [lo, hi] = imul32(a, b);
  mulFlags(c, lo, 4, hi !== lo >> 31);
  return lo;
}

/** DIV r/m: unsigned divide of (E)DX:(E)AX or AX; divide error on zero or quotient overflow. */
export function div(c: Cpu, src: number, sz: number): void {
  if (sz === 1) {
    const d = src & 0xff;
    if (d === 0) c.raise('de', 'divide by zero');
    const n = c.r[EAX]! & 0xffff;
    const q = Math.floor(n / d);
    if (q > 0xff) c.raise('de', 'divide overflow');
    c.set8(0, q);
    c.set8(4, n % d);
  } else if (sz === 2) {
    const d = src & 0xffff;
    if (d === 0) c.raise('de', 'divide by zero');
    const n = (((c.r[EDX]! & 0xffff) << 16) | (c.r[EAX]! & 0xffff)) >>> 0;
    const q = Math.floor(n / d);
    if (q > 0xffff) c.raise('de', 'divide overflow');
    c.set16(EAX, q);
    c.set16(EDX, n % d);
  } else {
    const d = src >>> 0;
    if (d === 0) c.raise('de', 'divide by zero');
    const hi = c.r[EDX]! >>> 0;
    const lo = c.r[EAX]! >>> 0;
    if (hi === 0) {
      c.r[EAX] = Math.floor(lo / d);
      c.r[EDX] = lo % d;
      return;
    }
    if (hi >= d) c.raise('de', 'divide overflow');
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    const bd = BigInt(d);
    c.r[EAX] = Number(n / bd);
    c.r[EDX] = Number(n % bd);
  }
}

/** IDIV r/m: signed divide, truncating toward zero. */
export function idiv(c: Cpu, src: number, sz: number): void {
  if (sz === 1) {
    const d = (src << 24) >> 24;
    if (d === 0) c.raise('de', 'divide by zero');
    const n = (c.r[EAX]! << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) c.raise('de', 'divide overflow');
    c.set8(0, q);
    c.set8(4, n - q * d);
  } else if (sz === 2) {
    const d = (src << 16) >> 16;
    if (d === 0) c.raise('de', 'divide by zero');
    const n = ((c.r[EDX]! & 0xffff) << 16) | (c.r[EAX]! & 0xffff);
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) c.raise('de', 'divide overflow');
    c.set16(EAX, q);
    c.set16(EDX, n - q * d);
  } else {
    const d = src | 0;
    if (d === 0) c.raise('de', 'divide by zero');
    const n = (BigInt(c.r[EDX]!) << 32n) | BigInt(c.r[EAX]! >>> 0);
    const bd = BigInt(d);
    const q = n / bd; // BigInt division truncates toward zero, like IDIV
    if (q > 0x7fffffffn || q < -0x80000000n) c.raise('de', 'divide overflow');
    c.r[EAX] = Number(q);
    c.r[EDX] = Number(n - q * bd);
  }
}
