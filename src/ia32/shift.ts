/**
 * Shifts and rotates (group 2), SHLD and SHRD. Flags are set eagerly. Counts are masked to 5 bits; a
 * masked count of 0 changes nothing (no flags, no write). Officially undefined results are those of the
 * host CPU the instruction vectors were recorded on (docs/ia32.md): OF is the OF of the last single-bit
 * step (MSB of the result XOR MSB of the value before that step; for RCL/RCR also when the count is a
 * multiple of 9 or 17, which rotates nothing), and a shift sets AF.
 */
import { AF, ARITH, CF, Cpu, LOP_LOGIC, OF } from './cpu.js';
import { sizeMask } from './alu.js';

const bits = (sz: number): number => sz * 8;

/** Set SF ZF PF from r, CF and OF explicitly, AF = 1. */
function shiftFlags(c: Cpu, r: number, sz: number, cf: number, of: number): void {
  c.setLazy(LOP_LOGIC, 0, 0, r, sz);
  c.lmask = ARITH & ~(CF | OF | AF);
  c.flags = (c.flags & ~(CF | OF | AF)) | AF | (cf ? CF : 0) | (of ? OF : 0);
}

/** Rotates touch only CF and OF. */
function rotateFlags(c: Cpu, cf: number, of: number): void {
  c.setFlagBits(CF | OF, (cf ? CF : 0) | (of ? OF : 0));
}

/**
 * Group-2 operation `op` (0 ROL 1 ROR 2 RCL 3 RCR 4 SHL 5 SHR 6 SAL 7 SAR) on value v (masked to sz),
 * count already masked to 5 bits and non-zero. Returns the result (int32 for sz 4, masked otherwise).
 */
export function shiftOp(c: Cpu, op: number, v: number, count: number, sz: number): number {
  const n = bits(sz);
  const m = sizeMask(sz);
  const u = (v & m) >>> 0;
  const msb = (x: number): number => (x >>> (n - 1)) & 1;
  switch (op) {
    case 0: {
      const k = count % n;
      const r = k === 0 ? u : ((u << k) | (u >>> (n - k))) & m;
      const cf = r & 1;
      rotateFlags(c, cf, msb(r) ^ cf);
      return sz === 4 ? r | 0 : r;
    }
    case 1: {
      const k = count % n;
      const r = k === 0 ? u : ((u >>> k) | (u << (n - k))) & m;
      rotateFlags(c, msb(r), msb(r) ^ ((r >>> (n - 2)) & 1));
      return sz === 4 ? r | 0 : r;
    }
    case 2:
    case 3: {
      const k = count % (n + 1);
      if (k === 0) {
        // Nothing rotates (CF too stays); OF still follows the one-step formula, as the host does.
        const cf0 = c.cf();
        rotateFlags(c, cf0, op === 2 ? msb(u) ^ cf0 : msb(u) ^ ((u >>> (n - 2)) & 1));
        return sz === 4 ? u | 0 : u;
      }
      // Rotate through carry on an (n+1)-bit value; use floats for the 33-bit case.
      let x = u;
      let cf = c.cf();
      for (let i = 0; i < k; i++) {
        if (op === 2) {
          const out = msb(x);
          x = ((x << 1) | cf) & m;
          cf = out;
        } else {
          const out = x & 1;
          x = (x >>> 1) | (cf << (n - 1));
          x &= m;
          cf = out;
        }
        x >>>= 0;
      }
      const of = op === 2 ? msb(x) ^ cf : msb(x) ^ ((x >>> (n - 2)) & 1);
      rotateFlags(c, cf, of);
      return sz === 4 ? x | 0 : x;
    }
    case 4:
    case 6: {
      // count <= 31; for 8/16-bit operands counts >= width shift everything out
      const r = count >= 32 ? 0 : (u << count) & m;
      const cf = count > n ? 0 : (u >>> (n - count)) & 1;
      shiftFlags(c, r, sz, cf, msb(r) ^ cf);
      return sz === 4 ? r | 0 : r;
    }
    case 5: {
      const r = count >= n ? 0 : u >>> count;
      const cf = count > n ? 0 : (u >>> (count - 1)) & 1;
      // OF of the last step: the MSB of the value before it (the result's MSB is 0): only count 1 sets it.
      shiftFlags(c, r, sz, cf, count === 1 ? msb(u) : 0);
      return sz === 4 ? r | 0 : r;
    }
    default: {
      const s = sz === 4 ? v | 0 : sz === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
      const k = Math.min(count, n - 1);
      const r = (s >> k) & m;
      const cf = count >= n ? (s < 0 ? 1 : 0) : (s >> (count - 1)) & 1;
      shiftFlags(c, r, sz, cf, 0);
      return sz === 4 ? r | 0 : r;
    }
  }
}

/** SHLD dst, src, count (count masked to 5 bits, non-zero). */
export function shld(c: Cpu, dst: number, src: number, count: number, sz: number): number {
  const n = bits(sz);
  const m = sizeMask(sz);
  const d = (dst & m) >>> 0;
  const s = (src & m) >>> 0;
  let r: number;
  let cf: number;
  if (sz === 4) {
    r = ((d << count) | (s >>> (32 - count))) >>> 0;
    cf = (d >>> (32 - count)) & 1;
  } else {
    // 16-bit: counts above 16 are undefined; take the 32-bit concatenation d:s, which Intel does.
    const cat = ((d << 16) | s) >>> 0;
    const k = count % 32;
    const wide = k < 32 ? ((cat << k) | (k > 16 ? d << (k - 16) : 0)) >>> 0 : 0;
    r = (wide >>> 16) & 0xffff;
    cf = k <= 16 ? (d >>> (16 - k)) & 1 : (s >>> (32 - k)) & 1;
  }
  // The last step shifts the MSB of the value before it into CF: OF = MSB(result) XOR CF. (The host
  // gives OF = CF for a 16-bit SHLD by exactly 16; we do the same.)
  const of = sz === 2 && count === 16 ? cf : ((r >>> (n - 1)) & 1) ^ cf;
  shiftFlags(c, r & m, sz, cf, of);
  return sz === 4 ? r | 0 : r & m;
}

/** SHRD dst, src, count (count masked to 5 bits, non-zero). */
export function shrd(c: Cpu, dst: number, src: number, count: number, sz: number): number {
  const n = bits(sz);
  const m = sizeMask(sz);
  const d = (dst & m) >>> 0;
  const s = (src & m) >>> 0;
  let r: number;
  let cf: number;
  let before: number; // the value before the last single-bit step
  if (sz === 4) {
    r = ((d >>> count) | (s << (32 - count))) >>> 0;
    cf = (d >>> (count - 1)) & 1;
    before = count === 1 ? d : ((d >>> (count - 1)) | (s << (33 - count))) >>> 0;
  } else {
    const cat = ((s << 16) | d) >>> 0;
    const at = (k: number): number => (k === 0 ? d : k > 16 ? ((cat >>> k) | (d << (32 - k))) & 0xffff : (cat >>> k) & 0xffff);
    r = at(count % 32);
    cf = (cat >>> ((count % 32) - 1)) & 1;
    before = at((count % 32) - 1);
  }
  const of = ((r >>> (n - 1)) & 1) ^ ((before >>> (n - 1)) & 1);
  shiftFlags(c, r & m, sz, cf, of);
  return sz === 4 ? r | 0 : r & m;
}
