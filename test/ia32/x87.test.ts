/**
 * The x87 FPU state machinery, through the interpreter: the register stack (push, pop, overflow and
 * underflow, masked and unmasked), tags computed from contents, the FSAVE/FRSTOR and FNSTENV/FLDENV
 * images, FNSTSW AX, FCOMI flags, FCMOVcc, #MF on a pending unmasked exception (and not on the
 * non-waiting control instructions), exact restart of a faulting store, FXAM classes, FISTTP, BCD and
 * integer round trips, and the form names and reserved encodings the decoder reports.
 */
import { describe, expect, it } from 'vitest';
import { CF, Cpu, PF, ZF } from '../../src/ia32/cpu.js';
import { decode, Unimplemented } from '../../src/ia32/decoder.js';
import { Interpreter, type RunStop } from '../../src/ia32/interpreter.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';
import { F80 } from '../../src/ia32/x87/f80.js';
import { FSAVE_SIZE, readF80, writeF80 } from '../../src/ia32/x87/fpu.js';

const CODE = 0x00400000;
const DATA = 0x00500000;
const RO = 0x00510000;

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
/** An x87 instruction with an absolute memory operand: op, ModRM (mod 00, rm 101) with `reg`, disp32. */
const m = (op: number, reg: number, addr: number): number[] => [op, (reg << 3) | 5, ...le(addr)];

const FLD1 = [0xd9, 0xe8];
const FLDZ = [0xd9, 0xee];
const FNSTSW_AX = [0xdf, 0xe0];
const STC = [0xf9];

interface Run {
  cpu: Cpu;
  stop: RunStop;
  phys: PhysicalMemory;
}

function machine(code: number[]): { cpu: Cpu; interp: Interpreter; phys: PhysicalMemory } {
  const phys = new PhysicalMemory(8);
  const pt = new PageTable();
  pt.set(CODE >>> 12, 1, R | X);
  pt.set(DATA >>> 12, 2, R | W);
  pt.set(RO >>> 12, 3, R);
  phys.bytes.fill(0xcc, 4096, 8192);
  phys.bytes.set(code, 4096);
  const cpu = new Cpu(phys, pt);
  cpu.eip = CODE;
  return { cpu, interp: new Interpreter(cpu), phys };
}

/** Run `code` followed by int3; `setup` prepares the CPU first. */
function run(code: number[], setup?: (cpu: Cpu, data: Uint8Array) => void): Run {
  const { cpu, interp, phys } = machine([...code, 0xcc]);
  setup?.(cpu, phys.bytes.subarray(2 * 4096, 3 * 4096));
  const stop = interp.run(10_000, 0);
  return { cpu, stop, phys };
}

const data = (r: Run): Uint8Array => r.phys.bytes.subarray(2 * 4096, 3 * 4096);
const f80 = (sign: number, exp: number, hi: number, lo = 0): F80 => new F80().set(sign, exp, hi, lo);
const ONE = f80(0, 0x3fff, 0x80000000);
const TWO = f80(0, 0x4000, 0x80000000);
const INDEFINITE = f80(1, 0x7fff, 0xc0000000);
const plain = (v: F80): number[] => [v.sign, v.exp, v.hi >>> 0, v.lo >>> 0];

/** Push values (the last one ends in ST(0)) without executing instructions. */
function push(cpu: Cpu, ...values: F80[]): void {
  for (const v of values) cpu.fpu.push().copy(v);
}

function writeF64(bytes: Uint8Array, off: number, x: number): void {
  new DataView(bytes.buffer, bytes.byteOffset + off, 8).setFloat64(0, x, true);
}

const readF64 = (bytes: Uint8Array, off: number): number => new DataView(bytes.buffer, bytes.byteOffset + off, 8).getFloat64(0, true);

describe('x87 register stack', () => {
  it('pushes decrement TOP, pops increment it; tags are computed from the contents', () => {
    const r = run([...FLD1, ...FLDZ, 0xd9, 0xeb /* fldpi */]);
    expect(r.stop.kind).toBe('trap');
    const f = r.cpu.fpu;
    expect(f.top).toBe(5);
    expect(plain(f.st(2))).toEqual(plain(ONE));
    expect(f.st(1).exp).toBe(0);
    // R7 = 1.0 valid (00), R6 = 0 zero (01), R5 = pi valid (00), R0-R4 empty (11).
    expect(f.tagWord()).toBe(0x13ff);
    expect((f.sw >>> 11) & 7).toBe(5);

    const popped = run([...FLD1, ...FLDZ, 0xdd, 0xd8 /* fstp st(0) */]);
    expect(popped.cpu.fpu.top).toBe(7);
    expect(popped.cpu.fpu.tagWord()).toBe(0x3fff);
  });

  it('a denormal, an infinity, a NaN and an unnormal are tagged special', () => {
    const { cpu } = machine([]);
    push(cpu, f80(0, 0, 0x40000000), f80(0, 0x7fff, 0x80000000), f80(0, 0x7fff, 0xc0000000), f80(0, 0x3fff, 0x40000000));
    expect(cpu.fpu.tagWord()).toBe(0xaaff);
  });

  it('stack overflow, masked: IE SF C1, the indefinite is pushed', () => {
    const r = run([...Array(9).fill(FLD1).flat()]);
    const f = r.cpu.fpu;
    expect(r.stop.kind).toBe('trap');
    expect(f.top).toBe(7);
    expect(plain(f.st(0))).toEqual(plain(INDEFINITE));
    expect(f.sw & 0x02ff).toBe(0x0241); // C1, SF, IE; masked: no ES
  });

  it('stack overflow, unmasked: no change of TOP or registers, ES and B set, the next FPU instruction faults with #MF', () => {
    const code = [...m(0xd9, 5, DATA) /* fldcw */, ...Array(9).fill(FLD1).flat()];
    const at = CODE + code.length;
    const r = run([...code, ...FLD1], (cpu, d) => d.set([0x7e, 0x03], 0));
    const f = r.cpu.fpu;
    expect(r.stop.kind).toBe('fault');
    expect(r.cpu.fault.kind).toBe('mf');
    expect(r.cpu.eip).toBe(at); // the instruction after the overflowing one, not executed
    expect(f.top).toBe(0);
    expect(plain(f.st(0))).toEqual(plain(ONE));
    expect(f.sw).toBe(0x82c1); // B, C1, ES, SF, IE, TOP 0
    expect(f.fip).toBe(at - 2); // the overflowing FLD1
  });

  it('FLD ST(i) of an empty register onto a full stack reports the underflow (C1 = 0) and pushes the indefinite', () => {
    const r = run([0xd9, 0xc1], (cpu) => {
      push(cpu, ONE, ONE, ONE, ONE, ONE, ONE, ONE, ONE);
      cpu.fpu.empty[(cpu.fpu.top + 1) & 7] = 1;
    });
    expect(r.cpu.fpu.sw & 0x02ff).toBe(0x41);
    expect(plain(r.cpu.fpu.st(0))).toEqual(plain(INDEFINITE));
  });

  it('stack underflow, masked: the destination gets the indefinite, C1 = 0', () => {
    const r = run([0xd8, 0xc1 /* fadd st, st(1) */], (cpu) => push(cpu, ONE));
    const f = r.cpu.fpu;
    expect(plain(f.st(0))).toEqual(plain(INDEFINITE));
    expect(f.sw & 0x02ff).toBe(0x41);
  });

  it('stack underflow, unmasked: nothing written, no pop', () => {
    const r = run([0xde, 0xc1 /* faddp st(1), st */], (cpu) => {
      cpu.fpu.setCw(0x37e);
      push(cpu, ONE);
      cpu.fpu.top = (cpu.fpu.top - 1) & 7; // ST(0) empty, ST(1) = 1.0
    });
    const f = r.cpu.fpu;
    expect(f.top).toBe(6);
    expect(f.isEmpty(0)).toBe(true);
    expect(plain(f.st(1))).toEqual(plain(ONE));
    expect(f.sw & 0xffff).toBe(0xb0c1); // B, TOP 6, ES, SF, IE
  });

  it('FSTP m64 of an empty register stores the indefinite (masked) and nothing (unmasked)', () => {
    const masked = run(m(0xdd, 3, DATA));
    expect(Array.from(data(masked).subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0xf8, 0xff]);
    expect(masked.cpu.fpu.top).toBe(1);
    const unmasked = run(m(0xdd, 3, DATA + 8), (cpu) => cpu.fpu.setCw(0x37e));
    expect(Array.from(data(unmasked).subarray(8, 16))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(unmasked.cpu.fpu.top).toBe(0);
  });

  it('FXCH with an empty operand: masked, the empty one becomes the indefinite, then they exchange', () => {
    const r = run([0xd9, 0xc9 /* fxch st(1) */], (cpu) => push(cpu, TWO));
    const f = r.cpu.fpu;
    expect(plain(f.st(0))).toEqual(plain(INDEFINITE));
    expect(plain(f.st(1))).toEqual(plain(TWO));
    expect(f.sw & 0x41).toBe(0x41);
  });

  it('FFREE, FFREEP, FINCSTP, FDECSTP', () => {
    const r = run([0xdd, 0xc1 /* ffree st(1) */, 0xd9, 0xf6 /* fdecstp */, 0xd9, 0xf7, 0xd9, 0xf7 /* fincstp x2 */], (cpu) => push(cpu, ONE, TWO, ONE));
    const f = r.cpu.fpu;
    expect(f.top).toBe(6);
    expect(f.tagWord()).toBe(0x33ff); // R7 = 1.0, R6 empty (freed), R5 = 1.0, R0-R4 empty
    const p = run([0xdf, 0xc1 /* ffreep st(1) */], (cpu) => push(cpu, ONE, TWO));
    expect(p.cpu.fpu.top).toBe(7);
    expect(p.cpu.fpu.tagWord()).toBe(0xffff);
  });
});

describe('x87 state images', () => {
  it('FNSAVE writes the 108-byte image and reinitialises; FRSTOR brings everything back', () => {
    const r = run([...m(0xdd, 6, DATA) /* fnsave */, ...m(0xdd, 4, DATA) /* frstor */], (cpu) => {
      push(cpu, ONE, f80(1, 0x4005, 0xc8000000)); // 1.0, -100.0
      cpu.fpu.setCw(0x0f7f);
      cpu.fpu.flags = 0x4120; // C3 C0 PE
    });
    const img = data(r);
    const dv = new DataView(img.buffer, img.byteOffset, FSAVE_SIZE);
    expect(dv.getUint32(0, true)).toBe(0xffff0f7f);
    expect(dv.getUint32(4, true)).toBe((0xffff0000 | 0x4120 | (6 << 11)) >>> 0);
    expect(dv.getUint32(8, true)).toBe(0xffff0fff);
    expect(plain(readF80(img, 28, new F80()))).toEqual([1, 0x4005, 0xc8000000, 0]);
    expect(plain(readF80(img, 38, new F80()))).toEqual(plain(ONE));
    const f = r.cpu.fpu;
    expect(f.cw).toBe(0x0f7f);
    expect(f.sw).toBe(0x4120 | (6 << 11));
    expect(f.tagWord()).toBe(0x0fff);
    expect(plain(f.st(0))).toEqual([1, 0x4005, 0xc8000000, 0]);
  });

  it('FNSAVE alone leaves the FPU initialised', () => {
    const r = run(m(0xdd, 6, DATA), (cpu) => push(cpu, ONE));
    expect(r.cpu.fpu.cw).toBe(0x37f);
    expect(r.cpu.fpu.sw).toBe(0);
    expect(r.cpu.fpu.tagWord()).toBe(0xffff);
  });

  it('save/restore: registers in stack order, only tag 11 means empty, the other tags are recomputed', () => {
    const { cpu } = machine([]);
    const img = new Uint8Array(FSAVE_SIZE);
    const dv = new DataView(img.buffer);
    dv.setUint16(0, 0x027f, true);
    dv.setUint16(4, 0x3800 | 0x0100, true); // TOP 7, C0
    dv.setUint16(8, 0x3ffc, true); // R7 and R0 "valid" (R7 holds a zero), R1..R6 empty
    writeF80(img, 28, f80(0, 0, 0)); // ST(0) = R7: a zero
    writeF80(img, 38, ONE); // ST(1) = R0
    dv.setUint32(12, 0x08048000, true);
    dv.setUint32(16, (0x1e8 << 16) | 0x73, true);
    dv.setUint32(20, DATA, true);
    dv.setUint32(24, 0xffff007b, true);
    cpu.fpu.restore(img, 0);
    expect(cpu.fpu.top).toBe(7);
    expect(cpu.fpu.isEmpty(0)).toBe(false);
    expect(cpu.fpu.isEmpty(1)).toBe(false); // R0: tag 00 in the image
    expect(cpu.fpu.tagWord()).toBe(0x7ffc); // R7 zero (01), R6..R1 empty, R0 valid
    expect(cpu.fpu.fop).toBe(0x1e8);
    const out = new Uint8Array(FSAVE_SIZE);
    cpu.fpu.save(out, 0);
    const ov = new DataView(out.buffer);
    expect(ov.getUint16(0, true)).toBe(0x027f);
    expect(ov.getUint16(4, true)).toBe(0x3900);
    expect(ov.getUint16(8, true)).toBe(0x7ffc);
    expect(Array.from(out.subarray(12, 108))).toEqual(Array.from(img.subarray(12, 108)));
  });

  it('FNSTENV stores the 28-byte environment and masks all exceptions; FLDENV restores the control word', () => {
    const r = run([...m(0xd9, 6, DATA) /* fnstenv */, ...m(0xd9, 7, DATA + 64) /* fnstcw */, ...m(0xd9, 4, DATA) /* fldenv */, ...m(0xd9, 7, DATA + 66)], (cpu) => {
      cpu.fpu.setCw(0x0360);
      push(cpu, ONE);
    });
    const d = data(r);
    const dv = new DataView(d.buffer, d.byteOffset, 128);
    expect(dv.getUint32(0, true)).toBe(0xffff0360);
    expect(dv.getUint16(8, true)).toBe(0x3fff);
    expect(dv.getUint16(64, true)).toBe(0x037f);
    expect(dv.getUint16(66, true)).toBe(0x0360);
    expect(r.cpu.fpu.cw).toBe(0x0360);
  });

  it('FLDCW: reserved bits read as the host has them (bit 6 set, 13-15 clear)', () => {
    const r = run([...m(0xd9, 5, DATA), ...m(0xd9, 7, DATA + 2)], (cpu, d) => d.set([0xff, 0xff], 0));
    expect(r.cpu.fpu.cw).toBe(0x1f7f);
  });

  it('FNSTSW AX, and FNSTSW m16', () => {
    const r = run([0xb8, ...le(0x12345678), ...FLDZ, ...FLD1, 0xd8, 0xf1 /* fdiv st, st(1) */, ...FNSTSW_AX, ...m(0xdd, 7, DATA)]);
    expect(r.cpu.r[0]! >>> 0).toBe(0x12340000 | 0x3004); // TOP 6, ZE
    expect(data(r)[0]! | (data(r)[1]! << 8)).toBe(0x3004);
  });
});

describe('x87 compares and conditional moves', () => {
  const fcomi = (a: F80, b: F80, insn = [0xdb, 0xf1]): Run => run([...insn], (cpu) => {
    push(cpu, b, a); // ST(0) = a, ST(1) = b
    cpu.setFlagBits(0x8d5, 0x8d5); // every arithmetic flag set beforehand
  });
  const flags = (r: Run): number => r.cpu.eflags() & 0x8d5;

  it('FCOMI sets ZF PF CF (> 000, < 001, = 100), clears OF SF AF', () => {
    expect(flags(fcomi(TWO, ONE))).toBe(0);
    expect(flags(fcomi(ONE, TWO))).toBe(CF);
    expect(flags(fcomi(ONE, ONE))).toBe(ZF);
  });

  it('FUCOMI of a QNaN: unordered (111) without IE; FCOMI raises IE; FCOMIP pops', () => {
    const qnan = f80(0, 0x7fff, 0xc0000000);
    const u = fcomi(qnan, ONE, [0xdb, 0xe9]);
    expect(flags(u)).toBe(ZF | PF | CF);
    expect(u.cpu.fpu.sw & 1).toBe(0);
    const c = fcomi(qnan, ONE);
    expect(flags(c)).toBe(ZF | PF | CF);
    expect(c.cpu.fpu.sw & 1).toBe(1);
    const p = fcomi(ONE, TWO, [0xdf, 0xf1]);
    expect(flags(p)).toBe(CF);
    expect(p.cpu.fpu.top).toBe(7);
  });

  it('FCOM/FCOMPP/FTST set C3 C2 C0, C1 = 0', () => {
    const cc = (r: Run): number => r.cpu.fpu.sw & 0x4700;
    expect(cc(run([0xd8, 0xd1], (cpu) => push(cpu, TWO, ONE)))).toBe(0x0100); // 1 < 2
    expect(cc(run([0xd8, 0xd1], (cpu) => push(cpu, ONE, ONE)))).toBe(0x4000);
    const pp = run([0xde, 0xd9], (cpu) => push(cpu, ONE, TWO));
    expect(cc(pp)).toBe(0);
    expect(pp.cpu.fpu.top).toBe(0);
    expect(cc(run([0xd9, 0xe4], (cpu) => push(cpu, f80(1, 0x3fff, 0x80000000))))).toBe(0x0100); // -1 < 0
    expect(cc(run([0xda, 0xe9], (cpu) => push(cpu, ONE, f80(0, 0x7fff, 0xc0000000))))).toBe(0x4500); // FUCOMPP unordered
  });

  it('an invalid compare still writes the codes (unordered) when IE is unmasked; only the pop is suppressed (as the host does)', () => {
    const um = (cpu: Cpu): void => cpu.fpu.setCw(0x37e);
    const pp = run([0xde, 0xd9 /* fcompp */], (cpu) => {
      um(cpu);
      push(cpu, ONE);
      cpu.fpu.top = (cpu.fpu.top - 1) & 7; // ST(0) empty
    });
    expect(pp.cpu.fpu.sw).toBe(0xc5c1 & ~0x3800 | (6 << 11));
    expect(pp.cpu.fpu.top).toBe(6);
    const qnan = f80(0, 0x7fff, 0xc0000000);
    const comp = run([0xd8, 0xd9 /* fcomp st(1) */], (cpu) => {
      um(cpu);
      push(cpu, qnan, ONE);
    });
    expect(comp.cpu.fpu.sw & 0xffff).toBe(0xc581 | (6 << 11));
    const comi = run([0xdf, 0xf1 /* fcomip */], (cpu) => {
      um(cpu);
      push(cpu, qnan, ONE);
    });
    expect(comi.cpu.eflags() & (ZF | PF | CF)).toBe(ZF | PF | CF);
    expect(comi.cpu.fpu.top).toBe(6);
  });

  it('FCMOVB moves when CF is set, FCMOVNB when it is clear', () => {
    const b = run([...STC, 0xda, 0xc1], (cpu) => push(cpu, TWO, ONE));
    expect(plain(b.cpu.fpu.st(0))).toEqual(plain(TWO));
    const nb = run([...STC, 0xdb, 0xc1], (cpu) => push(cpu, TWO, ONE));
    expect(plain(nb.cpu.fpu.st(0))).toEqual(plain(ONE));
    const e = run([0x31, 0xc0 /* xor eax, eax: ZF */, 0xda, 0xc9 /* fcmove */], (cpu) => push(cpu, TWO, ONE));
    expect(plain(e.cpu.fpu.st(0))).toEqual(plain(TWO));
  });

  it('FXAM: C3 C2 C0 class, C1 sign; empty is 101', () => {
    const cases: [F80 | null, number][] = [
      [null, 0x4100 | 0x0200],
      [f80(1, 0, 0), 0x4000 | 0x0200],
      [ONE, 0x0400],
      [f80(0, 0x7fff, 0x80000000), 0x0500],
      [f80(0, 0x7fff, 0xc0000000), 0x0100],
      [f80(0, 0, 0x00001000), 0x4400],
      [f80(0, 0x3fff, 0x00001000), 0],
    ];
    for (const [v, codes] of cases) {
      const r = run([0xd9, 0xe5], (cpu) => {
        if (v) push(cpu, v);
        else cpu.fpu.regs[0]!.sign = 1; // an empty register still has a sign bit
      });
      expect((r.cpu.fpu.sw & 0x4700).toString(16)).toBe(codes.toString(16));
    }
  });
});

describe('#MF', () => {
  /** An unmasked, pending invalid-operation exception. */
  const pending = (cpu: Cpu): void => {
    cpu.fpu.setCw(0x37e);
    cpu.fpu.flags = 0x01;
    push(cpu, ONE);
  };

  for (const [name, insn] of [
    ['fld1', FLD1],
    ['fwait', [0x9b]],
    ['fadd m32', m(0xd8, 0, DATA)],
    ['fstp m64', m(0xdd, 3, DATA)],
    ['fldcw', m(0xd9, 5, DATA)],
    ['frstor', m(0xdd, 4, DATA)],
  ] as const) {
    it(`${name} raises #MF before changing anything`, () => {
      const r = run([0x90, ...insn], pending);
      expect(r.stop.kind).toBe('fault');
      expect(r.cpu.fault.kind).toBe('mf');
      expect(r.cpu.eip).toBe(CODE + 1);
      expect(r.cpu.fpu.top).toBe(7);
      expect(r.cpu.fpu.cw).toBe(0x37e);
      expect(r.cpu.fpu.fip).toBe(0);
      expect(Array.from(data(r).subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    });
  }

  it('FNSTSW, FNSTCW, FNSTENV, FNSAVE, FNCLEX and FNINIT do not wait', () => {
    for (const insn of [FNSTSW_AX, m(0xdd, 7, DATA), m(0xd9, 7, DATA), m(0xd9, 6, DATA), m(0xdd, 6, DATA), [0xdb, 0xe2], [0xdb, 0xe3]]) {
      const r = run(insn, pending);
      expect(r.stop.kind).toBe('trap');
    }
    const cleared = run([0xdb, 0xe2, ...FLD1], pending);
    expect(cleared.stop.kind).toBe('trap');
    expect(cleared.cpu.fpu.top).toBe(6);
  });

  it('FLDCW unmasking a pending exception: #MF at the next FPU instruction', () => {
    const r = run([...m(0xd9, 5, DATA), 0x90, ...FLD1], (cpu, d) => {
      cpu.fpu.flags = 0x04; // ZE, masked
      d.set([0x7b, 0x03], 0);
    });
    expect(r.stop.kind).toBe('fault');
    expect(r.cpu.eip).toBe(CODE + 7);
    expect(r.cpu.fpu.sw & 0x8080).toBe(0x8080);
  });
});

describe('x87 memory forms', () => {
  it('a store to a read-only page faults and leaves the FPU and memory unchanged', () => {
    for (const insn of [m(0xdd, 3, RO), m(0xdb, 7, RO + 0xffc), m(0xdf, 7, RO), m(0xdd, 6, RO), m(0xd9, 6, RO)]) {
      const r = run(insn, (cpu) => {
        push(cpu, ONE, TWO);
        cpu.fpu.fip = 0x1234;
      });
      expect(r.stop.kind).toBe('fault');
      expect(r.cpu.fault.kind).toBe('pf');
      expect(r.cpu.eip).toBe(CODE);
      expect(r.cpu.fpu.top).toBe(6);
      expect(r.cpu.fpu.fip).toBe(0x1234);
      expect(r.cpu.fpu.cw).toBe(0x37f);
      expect(plain(r.cpu.fpu.st(0))).toEqual(plain(TWO));
    }
  });

  it('FLD m64, FSTP m64 and FST m32 round trip; FDP records the operand', () => {
    const r = run([...m(0xdd, 0, DATA), ...m(0xd9, 2, DATA + 16), ...m(0xdd, 3, DATA + 8)], (_cpu, d) => writeF64(d, 0, -2.5));
    expect(readF64(data(r), 8)).toBe(-2.5);
    expect(new DataView(data(r).buffer, data(r).byteOffset + 16, 4).getFloat32(0, true)).toBe(-2.5);
    expect(r.cpu.fpu.fdp).toBe(DATA + 8);
    expect(r.cpu.fpu.fip).toBe(CODE + 12);
    expect(r.cpu.fpu.fop).toBe(0x51d);
  });

  it('FISTTP truncates, FISTP rounds to nearest; FILD m16/m64 are exact', () => {
    const r = run(
      [...m(0xdd, 0, DATA), ...m(0xdb, 1, DATA + 8), ...m(0xdd, 0, DATA), ...m(0xdb, 3, DATA + 12), ...m(0xdd, 0, DATA), ...m(0xdf, 1, DATA + 16)],
      (_cpu, d) => writeF64(d, 0, -2.7),
    );
    const dv = new DataView(data(r).buffer, data(r).byteOffset, 32);
    expect(dv.getInt32(8, true)).toBe(-2);
    expect(dv.getInt32(12, true)).toBe(-3);
    expect(dv.getInt16(16, true)).toBe(-2);
    expect(r.cpu.fpu.top).toBe(0);

    const big = run([...m(0xdf, 5, DATA), ...m(0xdf, 7, DATA + 8), ...m(0xdf, 0, DATA + 16), ...m(0xdd, 3, DATA + 24)], (_cpu, d) => {
      const v = new DataView(d.buffer, d.byteOffset, 32);
      v.setBigInt64(0, -0x123456789abcdefn, true);
      v.setInt16(16, -300, true);
    });
    const bv = new DataView(data(big).buffer, data(big).byteOffset, 32);
    expect(bv.getBigInt64(8, true)).toBe(-0x123456789abcdefn);
    expect(bv.getFloat64(24, true)).toBe(-300);
  });

  it('FISTP of a value out of range stores the integer indefinite (masked IE)', () => {
    const r = run(m(0xdf, 3, DATA), (cpu) => push(cpu, f80(0, 0x3fff + 20, 0x80000000)));
    expect(Array.from(data(r).subarray(0, 2))).toEqual([0x00, 0x80]);
    expect(r.cpu.fpu.sw & 1).toBe(1);
  });

  it('FBLD and FBSTP round trip', () => {
    const bcd = [0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0x80]; // -123456789
    const r = run([...m(0xdf, 4, DATA), ...m(0xdf, 6, DATA + 16)], (_cpu, d) => d.set(bcd, 0));
    expect(Array.from(data(r).subarray(16, 26))).toEqual(bcd);
  });

  it('FLD m80 / FSTP m80 copy the bits (an SNaN too, without IE)', () => {
    const snan = [1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f];
    const r = run([...m(0xdb, 5, DATA), ...m(0xdb, 7, DATA + 16)], (_cpu, d) => d.set(snan, 0));
    expect(Array.from(data(r).subarray(16, 26))).toEqual(snan);
    expect(r.cpu.fpu.sw & 0x3f).toBe(0);
  });

  it('arithmetic with memory operands: FIADD m32, FDIVR m64, FICOM m16', () => {
    const r = run([...FLD1, ...m(0xda, 0, DATA) /* fiadd 3 -> 4 */, ...m(0xdc, 7, DATA + 8) /* 10 / 4 */, ...m(0xdd, 3, DATA + 16)], (_cpu, d) => {
      d.set(le(3), 0);
      writeF64(d, 8, 10);
    });
    expect(readF64(data(r), 16)).toBe(2.5);
    const cmp = run([...FLD1, ...m(0xde, 2, DATA)], (_cpu, d) => d.set([2, 0], 0));
    expect(cmp.cpu.fpu.sw & 0x4700).toBe(0x0100);
  });
});

describe('x87 arithmetic register forms', () => {
  /** ST(0) = 6, ST(1) = 3, then `insn`; returns ST(0) and ST(1) as numbers (via FSTP m64). */
  const two = (insn: number[]): number[] => {
    const r = run([...insn, ...m(0xdd, 3, DATA), ...m(0xdd, 3, DATA + 8)], (cpu) => push(cpu, f80(0, 0x4000, 0xc0000000), f80(0, 0x4001, 0xc0000000)));
    return [readF64(data(r), 0), readF64(data(r), 8)];
  };

  it('D8: ST(0) = ST(0) op ST(i); DC: ST(i) = ST(i) op ST(0), with FSUB/FSUBR and FDIV/FDIVR swapped', () => {
    expect(two([0xd8, 0xe1])).toEqual([3, 3]); // fsub st, st(1): 6-3
    expect(two([0xd8, 0xe9])).toEqual([-3, 3]); // fsubr st, st(1): 3-6
    expect(two([0xd8, 0xf1])).toEqual([2, 3]); // fdiv: 6/3
    expect(two([0xd8, 0xf9])).toEqual([0.5, 3]); // fdivr: 3/6
    expect(two([0xdc, 0xe1])).toEqual([6, 3]); // fsubr st(1), st: st1 = 6-3
    expect(two([0xdc, 0xe9])).toEqual([6, -3]); // fsub st(1), st: st1 = 3-6
    expect(two([0xdc, 0xf1])).toEqual([6, 2]); // fdivr st(1), st: st1 = 6/3
    expect(two([0xdc, 0xf9])).toEqual([6, 0.5]); // fdiv st(1), st: st1 = 3/6
    expect(two([0xdc, 0xc9])).toEqual([6, 18]); // fmul st(1), st
  });

  it('DE: the popping forms', () => {
    const r = run([0xde, 0xe9 /* fsubp st(1), st: 3 - 6 */, ...m(0xdd, 3, DATA)], (cpu) => push(cpu, f80(0, 0x4000, 0xc0000000), f80(0, 0x4001, 0xc0000000)));
    expect(readF64(data(r), 0)).toBe(-3);
    expect(r.cpu.fpu.top).toBe(0);
  });

  it('FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM, FCHS, FABS, FPTAN pushes 1', () => {
    const one = (insn: number[], x: number, y = 0): number[] => {
      const r = run([...m(0xdd, 0, DATA + 8), ...m(0xdd, 0, DATA), ...insn, ...m(0xdd, 3, DATA + 16), ...m(0xdd, 3, DATA + 24)], (_cpu, d) => {
        writeF64(d, 0, x);
        writeF64(d, 8, y);
      });
      return [readF64(data(r), 16), readF64(data(r), 24)];
    };
    expect(one([0xd9, 0xfa], 16)[0]).toBe(4);
    expect(one([0xd9, 0xfc], 2.5)[0]).toBe(2);
    expect(one([0xd9, 0xfd], 3, 2)).toEqual([12, 2]);
    expect(one([0xd9, 0xf4], 12)).toEqual([1.5, 3]);
    expect(one([0xd9, 0xf8], 7, 3)).toEqual([1, 3]);
    expect(one([0xd9, 0xe0], 7)[0]).toBe(-7);
    expect(one([0xd9, 0xe1], -7)[0]).toBe(7);
    expect(one([0xd9, 0xf2], 0)).toEqual([1, 0]);
  });
});

describe('x87 exception policy (as the host CPU has it)', () => {
  const DENORMAL = f80(0, 0, 0x00000006, 0x63278e62);
  const HUGE = f80(0, 0x73e6, 0xd1ba8323, 0xfe558c61);
  /** Control word with every exception unmasked; status word with C3 C2 C1 C0 set. */
  const unmasked = (...values: F80[]) => (cpu: Cpu): void => {
    cpu.fpu.setCw(0x340);
    cpu.fpu.flags = 0x4700;
    push(cpu, ...values);
  };

  it('an unmasked denormal operand suppresses the result, records DE only, clears C1', () => {
    const r = run([0xd9, 0xfe /* fsin */], unmasked(DENORMAL));
    expect(r.cpu.fpu.sw & 0x473f).toBe(0x4102); // C3 C0 kept, C2 = 0 (in range), C1 = 0, DE
    expect(plain(r.cpu.fpu.st(0))).toEqual(plain(DENORMAL));
    const p = run([0xd9, 0xf8 /* fprem */], unmasked(HUGE, DENORMAL));
    expect(p.cpu.fpu.sw & 0x473f).toBe(0x4102); // FPREM: C2 cleared too
  });

  it('FCOMI keeps C1 with an unmasked denormal operand, and sets EFLAGS', () => {
    const r = run([0xdb, 0xf1], unmasked(HUGE, DENORMAL));
    expect(r.cpu.fpu.sw & 0x473f).toBe(0x4702);
    expect(r.cpu.eflags() & (ZF | PF | CF)).toBe(CF);
  });

  it('FSIN of an operand out of range: C2 = 1, C1 = 0, the operand unchanged', () => {
    const r = run([0xd9, 0xfe], (cpu) => {
      cpu.fpu.flags = 0x4700;
      push(cpu, HUGE);
    });
    expect(r.cpu.fpu.sw & 0x473f).toBe(0x4500);
    expect(plain(r.cpu.fpu.st(0))).toEqual(plain(HUGE));
  });

  it('a denormal float32 operand raises DE, but not beside a QNaN; FLD m32 of it loads even with DE unmasked', () => {
    const den = (cpu: Cpu, d: Uint8Array): void => d.set(le(0x0015782c), 0);
    const add = run([...FLD1, ...m(0xd8, 0, DATA)], den);
    expect(add.cpu.fpu.sw & 0x3f).toBe(0x22); // DE, PE
    const nan = run(m(0xd8, 0, DATA), (cpu, d) => {
      den(cpu, d);
      cpu.fpu.setCw(0x37d); // DE unmasked
      push(cpu, f80(0, 0x7fff, 0xc0000000));
    });
    expect(nan.cpu.fpu.sw & 0x3f).toBe(0);
    const fld = run(m(0xd9, 0, DATA), (cpu, d) => {
      den(cpu, d);
      cpu.fpu.setCw(0x37d);
    });
    expect(fld.cpu.fpu.top).toBe(7);
    expect(fld.cpu.fpu.sw & 0x80ff).toBe(0x8082);
  });

  it('FPREM with a NaN operand: C2 C1 cleared, C3 C0 kept; FPTAN of a NaN pushes the NaN', () => {
    const qnan = f80(0, 0x7fff, 0xe0000000);
    const p = run([0xd9, 0xf8], (cpu) => {
      cpu.fpu.flags = 0x4700;
      push(cpu, qnan, ONE);
    });
    expect(p.cpu.fpu.sw & 0x4700).toBe(0x4100);
    const t = run([0xd9, 0xf2], (cpu) => push(cpu, qnan));
    expect(plain(t.cpu.fpu.st(0))).toEqual(plain(qnan));
    expect(plain(t.cpu.fpu.st(1))).toEqual(plain(qnan));
  });

  it('FST m32 with unmasked overflow stores nothing, records OE, clears C1; unmasked precision stores', () => {
    const oe = run(m(0xd9, 3, DATA), unmasked(HUGE));
    expect(Array.from(data(oe).subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(oe.cpu.fpu.sw & 0x473f).toBe(0x4508);
    expect(oe.cpu.fpu.top).toBe(7); // not popped
    const pe = run(m(0xd9, 3, DATA), (cpu) => {
      cpu.fpu.setCw(0x35f);
      push(cpu, f80(0, 0x3fff, 0x8ccccccc, 0xcccccccd)); // 1.1
    });
    expect(new DataView(data(pe).buffer, data(pe).byteOffset, 4).getUint32(0, true)).toBe(0x3f8ccccd);
    expect(pe.cpu.fpu.sw & 0x023f).toBe(0x0220); // PE, C1 = rounded up
    expect(pe.cpu.fpu.top).toBe(0); // popped
  });
});

describe('x87 decoding', () => {
  const form = (bytes: number[]): string => decode({ byte: (a) => bytes[a - CODE] ?? 0x90, hookEnter: -1, hookExit: -1 }, CODE).form;

  it('names memory forms by ModRM reg and register forms by their second byte', () => {
    expect(form([0xd9, 0xe8])).toBe('d9 e8');
    expect(form(m(0xdd, 3, DATA))).toBe('dd/3');
    expect(form([0x9b])).toBe('9b');
    expect(form([0xde, 0xf9])).toBe('de f9');
  });

  it('reserved encodings and undocumented aliases are Unimplemented', () => {
    for (const bytes of [[0xd9, 0xd8], [0xd9, 0xd1], [0xd9, 0xef], [0xdc, 0xd0], [0xde, 0xd8], [0xdf, 0xc8], m(0xd9, 1, DATA), m(0xdb, 4, DATA), [0x66, ...m(0xdd, 6, DATA)]]) {
      expect(() => form(bytes), bytes.map((b) => b.toString(16)).join(' ')).toThrow(Unimplemented);
    }
  });

  it('a LOCK prefix is #UD', () => {
    const r = run([0xf0, ...FLD1]);
    expect(r.cpu.fault.kind).toBe('ud');
  });
});
