/**
 * A faulting instruction leaves no partial state: when the store of an instruction that writes memory
 * faults (a write-protected page, as after fork's copy-on-write, or an absent stack page), registers,
 * flags, EIP and memory are exactly as before the instruction, so that executing it again once the page
 * is writable gives the result of a single execution. Checked for every read-modify-write family, for
 * stores that come with register changes (PUSH, CALL, POP m, XCHG, CMPXCHG, XADD), through the
 * interpreter (generated templates, fused sequences) and through the plain closures; REP string
 * instructions fault with the completed iterations done and continue from there.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Cpu, FAULT } from '../../src/ia32/cpu.js';
import { decode } from '../../src/ia32/decoder.js';
import { Interpreter } from '../../src/ia32/interpreter.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';

const CODE = 0x00400000;
/** Writable data page, then a read-only one right after it (the store target). */
const RW = 0x00500000;
const RO = 0x00501000;
/** Stack page; the page below it is not mapped. */
const STACK = 0x00600000;
const FLAGS_IN = 0x1 | 0x40 | 0x800 | 0x10; // CF ZF OF AF: ADC/SBB/RCL/RCR read CF

interface Machine {
  cpu: Cpu;
  pt: PageTable;
  phys: PhysicalMemory;
}

function machine(roWritable: boolean): Machine {
  const phys = new PhysicalMemory(8);
  const pt = new PageTable();
  pt.set(CODE >>> 12, 1, R | X);
  pt.set(RW >>> 12, 2, R | W);
  pt.set(RO >>> 12, 3, roWritable ? R | W : R);
  pt.set(STACK >>> 12, 4, R | W);
  const cpu = new Cpu(phys, pt);
  return { cpu, pt, phys };
}

interface Setup {
  regs?: Partial<Record<'eax' | 'ecx' | 'edx' | 'ebx' | 'esp' | 'ebp' | 'esi' | 'edi', number>>;
  /** Extra flags (e.g. DF). */
  flags?: number;
}

const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

function init(m: Machine, s: Setup): void {
  const c = m.cpu;
  const defaults = { eax: 0x80000001, ecx: 3, edx: 0x0000ff7f, ebx: RO + 0x40, esp: STACK + 0x800, ebp: RW + 0x100, esi: RW + 0x200, edi: RO + 0x200 };
  const regs = { ...defaults, ...s.regs };
  NAMES.forEach((n, i) => (c.r[i] = regs[n] | 0));
  for (let i = 0; i < 4096; i += 4) {
    m.phys.bytes.set([0x01, 0x00, 0x00, 0x80], 2 * 4096 + i); // RW: 0x80000001 everywhere
    m.phys.bytes.set([(i * 7) & 0xff, 0x55, i & 0xff, 0x7f], 3 * 4096 + i); // RO: varied
  }
  m.phys.bytes.set([0x00, 0x08, 0x40, 0x00], 2 * 4096 + 0x300); // a code address (int3s there), for CALL [m]
  m.phys.bytes.set([0x00, 0x00, 0x40, 0x00], 3 * 4096 + 0x40); // the same in the read-only page
  c.lmask = 0;
  c.flags = FLAGS_IN | (s.flags ?? 0);
  c.flushTlb();
}

function snapshot(m: Machine): { regs: number[]; eflags: number; eip: number; mem: string } {
  const c = m.cpu;
  return { regs: Array.from(c.r, (v) => v >>> 0), eflags: c.eflags(), eip: c.eip >>> 0, mem: createHash('sha1').update(m.phys.bytes.subarray(2 * 4096, 6 * 4096)).digest('hex') /* data, read-only, stack pages */ };
}

const hex = (s: string): number[] => (s.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16));

/** Through the interpreter: `prefix` (instructions that run first, e.g. to form a fused sequence), then `insn`, then int3. */
function runInterp(m: Machine, prefix: string, insn: string): ReturnType<Interpreter['run']> {
  const code = [...hex(prefix), ...hex(insn), 0xcc];
  m.phys.bytes.fill(0xcc, 4096, 8192);
  m.phys.bytes.set(code, 4096);
  const interp = new Interpreter(m.cpu);
  m.cpu.eip = CODE;
  return interp.run(1000, 0);
}

interface Case {
  name: string;
  bytes: string;
  setup?: Setup;
  /** The fault's address (default: where EBX points). */
  addr?: number;
}

const ALU: Case[] = [
  ['add m32, r32', '0103'],
  ['or m32, r32', '0903'],
  ['adc m32, r32', '1103'],
  ['sbb m32, r32', '1903'],
  ['and m32, r32', '2103'],
  ['sub m32, r32', '2903'],
  ['xor m32, r32', '3103'],
  ['add m8, r8', '0003'],
  ['adc m8, r8', '1003'],
  ['sbb m8, r8', '1803'],
  ['add m16, r16', '660103'],
  ['sbb m16, r16', '661903'],
  ['add m32, imm8', '830305'],
  ['adc m32, 0', '831300'],
  ['sbb m32, 0', '831b00'],
  ['xor m32, imm32', '813378563412'],
  ['add m8, imm8', '800305'],
  ['adc m8, imm8', '801305'],
  ['sub m16, imm16', '66812b3412'],
  ['lock add m32, r32', 'f00103'],
  ['lock adc m32, imm8', 'f0831301'],
].map(([name, bytes]) => ({ name: name!, bytes: bytes! }));

const SHIFTS: Case[] = [
  ['shl m32, 1', 'd123'],
  ['shr m32, imm8', 'c12b03'],
  ['sar m32, cl', 'd33b'],
  ['rol m32, 1', 'd103'],
  ['ror m32, imm8', 'c10b07'],
  ['rcl m32, 1', 'd113'],
  ['rcr m32, 1', 'd11b'],
  ['rcl m32, imm8', 'c11305'],
  ['rcr m32, cl', 'd31b'],
  ['rcl m8, 1', 'd013'],
  ['rcr m16, 1', '66d11b'],
  ['shl m8, imm8', 'c02305'],
  ['shld m32, r32, imm8', '0fa40304'],
  ['shrd m32, r32, cl', '0fad03'],
].map(([name, bytes]) => ({ name: name!, bytes: bytes! }));

const UNARY: Case[] = [
  ['inc m32', 'ff03'],
  ['dec m32', 'ff0b'],
  ['inc m8', 'fe03'],
  ['dec m8', 'fe0b'],
  ['inc m16', '66ff03'],
  ['neg m32', 'f71b'],
  ['not m32', 'f713'],
  ['neg m8', 'f61b'],
  ['not m8', 'f613'],
  ['lock inc m32', 'f0ff03'],
].map(([name, bytes]) => ({ name: name!, bytes: bytes! }));

const EXCHANGE: Case[] = [
  { name: 'xchg m32, r32', bytes: '8703' },
  { name: 'xchg m8, r8', bytes: '8603' },
  { name: 'xchg m16, r16', bytes: '668703' },
  { name: 'cmpxchg m32, r32 (not equal)', bytes: '0fb113' },
  { name: 'cmpxchg m32, r32 (equal)', bytes: '0fb113', setup: { regs: { eax: 0x00400000 } } },
  { name: 'lock cmpxchg m32, r32 (equal)', bytes: 'f00fb113', setup: { regs: { eax: 0x00400000 } } },
  { name: 'cmpxchg m8, r8', bytes: '0fb013' },
  { name: 'xadd m32, r32', bytes: '0fc103' },
  { name: 'lock xadd m32, r32', bytes: 'f00fc103' },
  { name: 'xadd m8, r8', bytes: '0fc003' },
  { name: 'bts m32, r32', bytes: '0fab03', setup: { regs: { eax: 37 } }, addr: RO + 0x44 },
  { name: 'btr m32, r32', bytes: '0fb303', setup: { regs: { eax: -3 } }, addr: RO + 0x3c },
  { name: 'btc m32, imm8', bytes: '0fba3b03' },
  { name: 'setz m8', bytes: '0f9403' },
  { name: 'mov m32, r32', bytes: '8903' },
];

const STACK_CASES: Case[] = [
  { name: 'push r32', bytes: '50', setup: { regs: { esp: STACK } }, addr: STACK - 4 },
  { name: 'push r16', bytes: '6650', setup: { regs: { esp: STACK } }, addr: STACK - 2 },
  { name: 'push imm8', bytes: '6a05', setup: { regs: { esp: STACK } }, addr: STACK - 4 },
  { name: 'push imm32', bytes: '6878563412', setup: { regs: { esp: STACK } }, addr: STACK - 4 },
  { name: 'push m32', bytes: 'ff33', setup: { regs: { esp: STACK } }, addr: STACK - 4 },
  { name: 'pushf', bytes: '9c', setup: { regs: { esp: STACK } }, addr: STACK - 4 },
  { name: 'push at a page boundary (2 bytes below)', bytes: '50', setup: { regs: { esp: STACK + 2 } }, addr: STACK - 2 },
  { name: 'call rel32', bytes: 'e800000000', setup: { regs: { esp: STACK } }, addr: STACK - 4 },
  { name: 'call r32', bytes: 'ffd6', setup: { regs: { esp: STACK, esi: CODE + 0x800 } }, addr: STACK - 4 },
  { name: 'call m32', bytes: 'ff13', setup: { regs: { esp: STACK, ebx: RW + 0x300 } }, addr: STACK - 4 },
  { name: 'pop m32 (read-only destination)', bytes: '8f03', setup: { regs: { esp: STACK + 0x800 } } },
];

const CROSSING: Case[] = [
  { name: 'add m32 across into a read-only page', bytes: '0103', setup: { regs: { ebx: RO - 2 } }, addr: RO },
  { name: 'adc m16 across into a read-only page', bytes: '661103', setup: { regs: { ebx: RO - 1 } }, addr: RO },
  { name: 'xchg m32 across into a read-only page', bytes: '8703', setup: { regs: { ebx: RO - 3 } }, addr: RO },
  { name: 'rcl m32 across into a read-only page', bytes: 'd113', setup: { regs: { ebx: RO - 1 } }, addr: RO },
];

const ALL = [...ALU, ...SHIFTS, ...UNARY, ...EXCHANGE, ...STACK_CASES, ...CROSSING];

/** Make the faulting page writable, as the pager's answer to the write fault does. */
function answer(m: Machine, addr: number): void {
  const vpn = addr >>> 12;
  if (vpn === RO >>> 12) m.pt.set(vpn, 3, R | W);
  else m.pt.set(vpn, 5, R | W); // the stack page below
}

describe('a faulting store leaves no partial state (interpreter: templates and fused sequences)', () => {
  for (const prefix of ['', 'b903000000' /* mov ecx, 3: forms a fused sequence with fusable forms */]) {
    for (const c of ALL) {
      it(`${c.name}${prefix ? ' (after a mov)' : ''}`, () => {
        const m = machine(false);
        init(m, c.setup ?? {});
        const before = snapshot(m);
        const stop = runInterp(m, prefix, c.bytes);
        expect(stop.kind).toBe('fault');
        expect(m.cpu.fault.kind).toBe('pf');
        expect(m.cpu.fault.write).toBe(true);
        expect(m.cpu.fault.addr).toBe((c.addr ?? before.regs[3]!) >>> 0);
        const at = snapshot(m);
        const insnAt = CODE + hex(prefix).length;
        expect(at.eip).toBe(insnAt);
        expect(stop.cycles).toBe(prefix ? 1 : 0);
        expect(at.regs).toEqual(before.regs);
        expect(at.eflags.toString(16)).toBe(before.eflags.toString(16));
        expect(at.mem).toBe(before.mem);
        // Retried after the fault is resolved: the state of one execution on a writable page.
        answer(m, m.cpu.fault.addr);
        const again = new Interpreter(m.cpu).run(1000, 0);
        expect(again.kind).toBe('trap');
        const ref = machine(true);
        init(ref, c.setup ?? {});
        ref.pt.set((STACK >>> 12) - 1, 5, R | W);
        expect(runInterp(ref, prefix, c.bytes).kind).toBe('trap');
        expect(snapshot(m)).toEqual(snapshot(ref));
      });
    }
  }
});

describe('a faulting store leaves no partial state (closures)', () => {
  for (const c of ALL) {
    it(c.name, () => {
      const m = machine(false);
      init(m, c.setup ?? {});
      const code = hex(c.bytes);
      m.phys.bytes.set(code, 4096);
      const insn = decode({ byte: (a) => m.phys.bytes[4096 + (a - CODE)]!, hookEnter: -1, hookExit: -1, templates: false }, CODE);
      const before = snapshot(m);
      m.cpu.eip = CODE + insn.len;
      let faulted = false;
      try {
        insn.op(m.cpu);
      } catch (e) {
        if (e !== FAULT) throw e;
        faulted = true;
      }
      expect(faulted).toBe(true);
      expect(m.cpu.fault.addr).toBe((c.addr ?? before.regs[3]!) >>> 0);
      m.cpu.eip = CODE;
      const at = snapshot(m);
      expect(at.regs).toEqual(before.regs);
      expect(at.eflags.toString(16)).toBe(before.eflags.toString(16));
      expect(at.mem).toBe(before.mem);
    });
  }
});

describe('REP string instructions fault between iterations', () => {
  for (const [name, bytes, srcReg] of [
    ['rep stosd', 'f3ab', false],
    ['rep movsd', 'f3a5', true],
    ['rep stosb', 'f3aa', false],
    ['rep movsw', 'f366a5', true],
  ] as const) {
    it(`${name}: the iterations before the read-only page are done, ECX/ESI/EDI say so, EIP stays`, () => {
      const sz = name.endsWith('d') ? 4 : name.endsWith('w') ? 2 : 1;
      const m = machine(false);
      init(m, { regs: { ecx: 7, edi: RO - 3 * sz, esi: RW + 0x100, eax: 0x11223344 } });
      const stop = runInterp(m, '', bytes);
      expect(stop.kind).toBe('fault');
      expect(stop.cycles).toBe(3); // the three completed iterations
      expect(m.cpu.fault.addr).toBe(RO);
      expect(m.cpu.eip).toBe(CODE);
      expect(m.cpu.r[1]).toBe(4); // ECX: 3 done
      expect(m.cpu.r[7]).toBe(RO); // EDI
      if (srcReg) expect(m.cpu.r[6]).toBe(RW + 0x100 + 3 * sz);
      answer(m, RO);
      expect(new Interpreter(m.cpu).run(1000, 0).kind).toBe('trap');
      const ref = machine(true);
      init(ref, { regs: { ecx: 7, edi: RO - 3 * sz, esi: RW + 0x100, eax: 0x11223344 } });
      expect(runInterp(ref, '', bytes).kind).toBe('trap');
      expect(snapshot(m)).toEqual(snapshot(ref));
      expect(m.cpu.r[1]).toBe(0);
    });
  }
});
