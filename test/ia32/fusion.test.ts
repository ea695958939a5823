/**
 * CMP/TEST + Jcc fusion (templates.ts `cmpjcc`, made by the block decoder): the fused operation must
 * leave exactly the state the two instructions leave one after the other: the same EIP (taken or not),
 * the same flags as PUSHF would see them, the same registers. Checked for every condition code, every
 * operand size, register, immediate and memory operands, over edge values where signed and unsigned
 * order, zero, sign and overflow disagree.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/ia32/cpu.js';
import type { JitOp, JitOperand } from '../../src/ia32/decoder.js';
import { PageTable, PhysicalMemory, R, W } from '../../src/ia32/memory.js';
import { templateOp } from '../../src/ia32/templates.js';

const DATA = 0x00500000;
const FALLTHROUGH = 0x1000;
const TARGET = 0x2000;

const EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678, 0xdeadbeef];

function machine(): Cpu {
  const phys = new PhysicalMemory(2);
  const pt = new PageTable();
  pt.set(DATA >>> 12, 1, R | W);
  return new Cpu(phys, pt);
}

type Compare = Extract<JitOp, { t: 'alu' } | { t: 'test' }>;

function compares(sz: number, imm: number): Compare[] {
  const reg = (n: number): JitOperand => ({ k: 'r', n });
  const mem: JitOperand = { k: 'm', b: 3, i: -1, s: 0, d: 0 };
  const i: JitOperand = { k: 'i', v: imm };
  return [
    { t: 'alu', op: 7, sz, dst: reg(0), src: reg(1) },
    { t: 'alu', op: 7, sz, dst: reg(0), src: i },
    { t: 'alu', op: 7, sz, dst: mem, src: reg(1) },
    { t: 'test', sz, a: reg(0), b: reg(1) },
    { t: 'test', sz, a: reg(0), b: i },
    { t: 'test', sz, a: mem, b: reg(1) },
  ];
}

function state(c: Cpu): number[] {
  return [c.eip, c.eflags(), ...c.r];
}

function run(ops: ((c: Cpu) => void)[], a: number, b: number): number[] {
  const c = machine();
  c.r[0] = a | 0;
  c.r[1] = b | 0;
  c.r[3] = DATA;
  c.write32(DATA, a | 0);
  c.eip = FALLTHROUGH;
  c.lmask = 0;
  c.flags = 0;
  for (const op of ops) op(c);
  return state(c);
}

describe('CMP/TEST + Jcc fusion', () => {
  it('leaves the same EIP, flags and registers as the two instructions, for all conditions and sizes', () => {
    let cases = 0;
    let taken = 0;
    for (const sz of [1, 2, 4]) {
      for (const a of EDGES) {
        for (const b of EDGES) {
          for (const cmp of compares(sz, b)) {
            for (let cc = 0; cc < 16; cc++) {
              const first = templateOp(cmp)!;
              const jump = templateOp({ t: 'jcc', cc, target: TARGET })!;
              const fused = templateOp({ t: 'cmpjcc', cmp, cc, target: TARGET })!;
              const want = run([first, jump], a, b);
              const got = run([fused], a, b);
              if (got.join() !== want.join()) {
                expect.fail(`${JSON.stringify(cmp)} cc ${cc} a 0x${a.toString(16)} b 0x${b.toString(16)}: fused ${got} vs ${want}`);
              }
              cases++;
              if (want[0] === TARGET) taken++;
            }
          }
        }
      }
    }
    expect(cases).toBe(3 * EDGES.length * EDGES.length * 6 * 16);
    // Both outcomes occur often enough for the comparison to mean something.
    expect(taken).toBeGreaterThan(cases / 4);
    expect(taken).toBeLessThan((cases * 3) / 4);
  });
});
