/**
 * Fused operations made by the block decoder must leave exactly the state their instructions leave one
 * after the other.
 * - CMP/TEST + Jcc (`cmpjcc`): the same EIP (taken or not), flags as PUSHF sees them, and registers, for
 *   every condition code, operand size and operand kind, over edge values where signed and unsigned
 *   order, zero, sign and overflow disagree.
 * - Straight-line sequences (`seq`, up to 4): the same registers, flags, EIP, memory and hook calls;
 *   and when a later member faults, the members before it stay done and execution resumes at the
 *   faulting one (re-running an earlier one would be wrong when it overwrote its own address register).
 */
import { describe, expect, it } from 'vitest';
import { Cpu, FAULT } from '../../src/ia32/cpu.js';
import type { JitOp, JitOperand } from '../../src/ia32/decoder.js';
import { Interpreter } from '../../src/ia32/interpreter.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';
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

describe('straight-line sequence fusion', () => {
  const reg = (n: number): JitOperand => ({ k: 'r', n });
  const mem = (b: number, d: number): JitOperand => ({ k: 'm', b, i: -1, s: 0, d });
  const SHAPES: JitOp[] = [
    { t: 'mov', sz: 4, dst: reg(0), src: mem(3, 8) },
    { t: 'mov', sz: 4, dst: mem(3, 12), src: reg(1) },
    { t: 'mov', sz: 1, dst: reg(5), src: reg(2) },
    { t: 'alu', op: 0, sz: 4, dst: reg(0), src: reg(1) },
    { t: 'alu', op: 5, sz: 2, dst: mem(3, 4), src: { k: 'i', v: 0x1234 } },
    { t: 'incdec', inc: false, sz: 4, dst: reg(2) },
    { t: 'lea', n: 6, ea: { k: 'm', b: 0, i: 1, s: 2, d: -8 } },
    { t: 'push', src: reg(0) },
    { t: 'pop', n: 7 },
    { t: 'movx', signed: true, srcSz: 1, dstSz: 4, n: 1, src: mem(3, 9) },
    { t: 'shift', op: 5, n: 0, dst: reg(0), count: 3 },
    { t: 'setcc', cc: 4, dst: reg(2) },
    { t: 'cmov', cc: 12, n: 5, src: reg(6) },
    { t: 'cdq' },
    { t: 'leave' },
  ];
  /** Forms that may only end a sequence (control transfers, hook calls). */
  const CLOSERS: JitOp[] = [
    { t: 'call', target: 0x4000, ret: 0x1234 },
    { t: 'callind', src: mem(3, 16), ret: 0x1234 },
    { t: 'ret', n: 8 },
    { t: 'jmp', target: 0x4000 },
    { t: 'jmpind', src: reg(1) },
    { t: 'hook', enter: true, off: 3 },
  ];

  function machineState(ops: ((c: Cpu) => void)[], seed: number): number[] {
    const c = machine();
    for (let i = 0; i < 8; i++) c.r[i] = Math.imul(seed + i, 0x9e3779b1);
    c.r[3] = DATA + 64;
    c.r[4] = DATA + 2048;
    for (let i = 0; i < 64; i++) c.write32(DATA + 64 + i * 4, Math.imul(seed ^ i, 0x85ebca6b));
    c.r[5] = DATA + 1024;
    c.lmask = 0;
    c.flags = 0;
    c.eip = 0x1000;
    c.blockTime = 100;
    const hooks: number[] = [];
    c.funcHook = (enter, fn, time) => hooks.push(enter ? 1 : 0, fn, time);
    let faulted = -1; // a page fault (e.g. LEAVE; LEAVE loads EBP from an unmapped address) is compared too
    try {
      for (const op of ops) op(c);
    } catch (e) {
      if (e !== FAULT) throw e;
      faulted = c.fault.addr;
    }
    c.resume = -1; // where a sequence resumes is checked by the last test
    const memory: number[] = [];
    for (let i = 0; i < 64; i++) memory.push(c.read32(DATA + 64 + i * 4), c.read32(DATA + 2048 - 32 + i));
    return [faulted, c.eip, c.eflags(), ...c.r, ...memory, ...hooks];
  }

  it('every pair of shapes, and runs of three and four, give the state of the instructions run one after the other', () => {
    let pairs = 0;
    for (const a of SHAPES) {
      for (const b of [...SHAPES, ...CLOSERS]) {
        const fused = templateOp({ t: 'seq', ops: [a, b], addrs: [0, 0] })!;
        for (let seed = 1; seed <= 4; seed++) {
          const want = machineState([templateOp(a)!, templateOp(b)!], seed);
          const got = machineState([fused], seed);
          if (got.join() !== want.join()) expect.fail(`${JSON.stringify(a)} then ${JSON.stringify(b)} (seed ${seed}) differ`);
        }
        pairs++;
      }
    }
    expect(pairs).toBe(SHAPES.length * (SHAPES.length + CLOSERS.length));
    // Longer runs: a deterministic walk over the shapes.
    let runs = 0;
    for (let i = 0; i < SHAPES.length; i++) {
      for (const len of [3, 4]) {
        const ops = Array.from({ length: len - 1 }, (_, k) => SHAPES[(i * 5 + k * 3) % SHAPES.length]!);
        ops.push([...SHAPES, ...CLOSERS][(i * 7 + len) % (SHAPES.length + CLOSERS.length)]!);
        const fused = templateOp({ t: 'seq', ops, addrs: ops.map(() => 0) })!;
        for (let seed = 1; seed <= 4; seed++) {
          const want = machineState(ops.map((o) => templateOp(o)!), seed);
          if (machineState([fused], seed).join() !== want.join()) expect.fail(`${JSON.stringify(ops)} (seed ${seed}) differ`);
        }
        runs++;
      }
    }
    expect(runs).toBe(SHAPES.length * 2);
  });

  it('a fault in the second instruction resumes there, with the first done once', () => {
    // mov eax, [eax] ; mov [ebx], eax ; int3 -- the store's page is not mapped yet.
    const CODE = 0x00400000;
    const OUT = 0x00600000;
    const phys = new PhysicalMemory(4);
    const pt = new PageTable();
    pt.set(CODE >>> 12, 1, R | X);
    pt.set(DATA >>> 12, 2, R | W);
    phys.bytes.set([0x8b, 0x00, 0x89, 0x03, 0xcc], 4096);
    const cpu = new Cpu(phys, pt);
    const interp = new Interpreter(cpu);
    cpu.eip = CODE;
    cpu.r[0] = DATA;
    cpu.r[3] = OUT;
    cpu.write32(DATA, 0x11223344);
    const first = interp.run(1000, 0);
    expect(first.kind).toBe('fault');
    expect(cpu.fault.addr).toBe(OUT);
    expect(cpu.eip).toBe(CODE + 2); // at the store, not at the load
    expect(first.cycles).toBe(1); // the load ran
    expect(cpu.r[0]).toBe(0x11223344);
    pt.set(OUT >>> 12, 3, R | W); // the pager answers
    const second = interp.run(1000, 1);
    expect(second.kind).toBe('trap');
    expect(cpu.read32(OUT)).toBe(0x11223344); // re-running the load would have read [0x11223344] and faulted
  });

  it('a fault in the third of four resumes at the third, two cycles done', () => {
    // mov eax, [eax] ; add eax, 1 ; mov [ebx], eax ; mov ecx, eax ; int3 -- the store's page unmapped.
    const CODE = 0x00400000;
    const OUT = 0x00600000;
    const phys = new PhysicalMemory(4);
    const pt = new PageTable();
    pt.set(CODE >>> 12, 1, R | X);
    pt.set(DATA >>> 12, 2, R | W);
    phys.bytes.set([0x8b, 0x00, 0x83, 0xc0, 0x01, 0x89, 0x03, 0x89, 0xc1, 0xcc], 4096);
    const cpu = new Cpu(phys, pt);
    const interp = new Interpreter(cpu);
    cpu.eip = CODE;
    cpu.r[0] = DATA;
    cpu.r[3] = OUT;
    cpu.write32(DATA, 0x11223344);
    const first = interp.run(1000, 0);
    expect(first.kind).toBe('fault');
    expect(cpu.eip).toBe(CODE + 5);
    expect(first.cycles).toBe(2);
    expect(cpu.r[0]).toBe(0x11223345);
    expect(cpu.r[1]).toBe(0); // the fourth did not run
    pt.set(OUT >>> 12, 3, R | W);
    const second = interp.run(1000, 2);
    expect(second.kind).toBe('trap');
    expect(second.cycles).toBe(3); // store, mov, int3
    expect(cpu.read32(OUT)).toBe(0x11223345); // the add ran once
    expect(cpu.r[1]).toBe(0x11223345);
  });
});
