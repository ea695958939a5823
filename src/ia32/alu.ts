/**
 * The eight ALU operations (ADD OR ADC SBB AND SUB XOR CMP) per operand size, plus INC/DEC/NEG, each
 * recording its lazy flags. Values are int32 for 32-bit operations and masked unsigned for 8/16-bit.
 */
import { Cpu, LOP_ADC, LOP_ADD, LOP_LOGIC, LOP_SBB, LOP_SUB } from './cpu.js';

export type AluFn = (c: Cpu, a: number, b: number) => number;

export const sizeMask = (sz: number): number => (sz === 4 ? -1 : sz === 2 ? 0xffff : 0xff);

function makeAlu(sz: number): AluFn[] {
  const m = sizeMask(sz);
  const fix = sz === 4 ? (x: number) => x | 0 : (x: number) => x & m;
  return [
    (c, a, b) => {
      const r = fix(a + b);
      c.setLazy(LOP_ADD, a, b, r, sz);
      return r;
    },
    (c, a, b) => {
      const r = fix(a | b);
      c.setLazy(LOP_LOGIC, a, b, r, sz);
      return r;
    },
    (c, a, b) => {
      const cin = c.cf();
      const r = fix(a + b + cin);
      c.setLazy(LOP_ADC, a, b, r, sz);
      c.lcin = cin;
      return r;
    },
    (c, a, b) => {
      const cin = c.cf();
      const r = fix(a - b - cin);
      c.setLazy(LOP_SBB, a, b, r, sz);
      c.lcin = cin;
      return r;
    },
    (c, a, b) => {
      const r = fix(a & b);
      c.setLazy(LOP_LOGIC, a, b, r, sz);
      return r;
    },
    (c, a, b) => {
      const r = fix(a - b);
      c.setLazy(LOP_SUB, a, b, r, sz);
      return r;
    },
    (c, a, b) => {
      const r = fix(a ^ b);
      c.setLazy(LOP_LOGIC, a, b, r, sz);
      return r;
    },
    (c, a, b) => {
      const r = fix(a - b);
      c.setLazy(LOP_SUB, a, b, r, sz);
      return a; // CMP writes nothing: callers skip the write
    },
  ];
}

/** ALU[sz][op]; op 7 (CMP) and TEST must not write their result back. */
export const ALU: Record<number, AluFn[]> = { 1: makeAlu(1), 2: makeAlu(2), 4: makeAlu(4) };

export function inc(c: Cpu, a: number, sz: number): number {
  const m = sizeMask(sz);
  const r = sz === 4 ? (a + 1) | 0 : (a + 1) & m;
  c.setLazyKeepCF(LOP_ADD, a, 1, r, sz);
  return r;
}

export function dec(c: Cpu, a: number, sz: number): number {
  const m = sizeMask(sz);
  const r = sz === 4 ? (a - 1) | 0 : (a - 1) & m;
  c.setLazyKeepCF(LOP_SUB, a, 1, r, sz);
  return r;
}

export function neg(c: Cpu, a: number, sz: number): number {
  const m = sizeMask(sz);
  const r = sz === 4 ? -a | 0 : -a & m;
  c.setLazy(LOP_SUB, 0, a, r, sz);
  return r;
}

/** TEST = AND without a write. */
export function test(c: Cpu, a: number, b: number, sz: number): void {
  const r = sz === 4 ? a & b : a & b & sizeMask(sz);
  c.setLazy(LOP_LOGIC, a, b, r, sz);
}

/** Sign-extend an `sz`-byte value to int32. */
export function sext(v: number, sz: number): number {
  return sz === 4 ? v | 0 : sz === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
}
