/**
 * Instructions at the edge of user mode, as a Pentium Pro under Linux runs them (native results from
 * the host, see the sigfault guest for the signals):
 * - POPF sets AC and ID (user code detects CPUID by toggling ID); CPUID answers as a Pentium Pro.
 * - LOCK on anything but a lockable instruction with a memory destination is #UD.
 * - Privileged instructions (CLI, STI, IN, OUT, INS, OUTS, HLT), a memory access through FS or GS (null
 *   selectors) and INT n for a vector without a user gate are #GP; INTO traps (vector 4) only with OF set.
 * - 66-prefixed CALL, RET, JMP and Jcc work on 16-bit IP: EIP is truncated to 16 bits, CALL/RET push
 *   and pop 2 bytes.
 */
import { describe, expect, it } from 'vitest';
import { CODE, DATA, STACK, codeMachine } from '../support/cpu.js';
import { Cpu } from '../../src/ia32/cpu.js';
import { CPUID_FEATURES, CPUID_SIGNATURE, decode } from '../../src/ia32/decoder.js';


const machine = codeMachine;

/** Run to the first stop; returns the stop kind and, for a fault, its kind and error code. */
function run(bytes: number[], init?: (c: Cpu) => void): { kind: string; fault?: string; err?: number; trap?: number; cpu: Cpu } {
  const { cpu, interp } = machine(bytes);
  init?.(cpu);
  const stop = interp.run(1000, 0);
  if (stop.kind === 'fault') return { kind: 'fault', fault: cpu.fault.kind, err: cpu.fault.err, cpu };
  return { kind: stop.kind, trap: cpu.trap, cpu };
}

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

describe('POPF and CPUID', () => {
  it('POPF sets AC and ID, PUSHF shows them (native: 00040202, 00200202)', () => {
    for (const v of [0x40202, 0x200202, 0x240ad7]) {
      // push imm32 ; popf ; pushf ; pop eax ; int3
      const r = run([0x68, ...le(v), 0x9d, 0x9c, 0x58, 0xcc]);
      expect(r.kind).toBe('trap');
      expect((r.cpu.r[0]! >>> 0).toString(16)).toBe((v | 0x202).toString(16));
    }
  });

  it('16-bit POPF leaves AC and ID alone', () => {
    // push 0x240202 ; popf ; push word 0 ; popfw ; pushf ; pop eax
    const r = run([0x68, ...le(0x240202), 0x9d, 0x66, 0x6a, 0x00, 0x66, 0x9d, 0x9c, 0x58, 0xcc]);
    expect((r.cpu.r[0]! >>> 0).toString(16)).toBe('240202');
  });

  it('the CPUID detection sequence finds CPUID, which answers as a Pentium Pro', () => {
    // pushf; pop eax; mov ecx, eax; xor eax, 0x200000; push eax; popf; pushf; pop eax; xor eax, ecx (ID toggled?)
    const detect = [0x9c, 0x58, 0x89, 0xc1, 0x35, ...le(0x200000), 0x50, 0x9d, 0x9c, 0x58, 0x31, 0xc8, 0xcc];
    expect(run(detect).cpu.r[0]).toBe(0x200000);
    const leaf0 = run([0x31, 0xc0, 0x0f, 0xa2, 0xcc]).cpu; // xor eax, eax ; cpuid
    const vendor = Buffer.from([...le(leaf0.r[3]!), ...le(leaf0.r[2]!), ...le(leaf0.r[1]!)]).toString('latin1');
    expect(leaf0.r[0]).toBe(1);
    expect(vendor).toBe('GenuineIntel');
    const leaf1 = run([0xb8, 1, 0, 0, 0, 0x0f, 0xa2, 0xcc]).cpu;
    expect(leaf1.r[0]).toBe(CPUID_SIGNATURE);
    expect((leaf1.r[0]! >>> 8) & 0xf).toBe(6); // family 6
    expect(leaf1.r[2]).toBe(CPUID_FEATURES);
    expect(CPUID_FEATURES & (1 << 15)).not.toBe(0); // CMOV
  });
});

describe('LOCK', () => {
  const ud = (bytes: number[]) => run(bytes, (c) => (c.r[3] = DATA));
  it('is #UD on a register destination or a non-lockable instruction', () => {
    for (const bytes of [
      [0xf0, 0x89, 0xc0], // lock mov eax, eax
      [0xf0, 0x01, 0xc0], // lock add eax, eax
      [0xf0, 0x8b, 0x03], // lock mov eax, [ebx]
      [0xf0, 0x39, 0x03], // lock cmp [ebx], eax
      [0xf0, 0x85, 0x03], // lock test [ebx], eax
      [0xf0, 0x90], // lock nop
      [0xf0, 0x0f, 0xa3, 0x03], // lock bt [ebx], eax
      [0xf0, 0xff, 0xc0], // lock inc eax
    ]) {
      const r = ud(bytes);
      expect(r.fault, bytes.map((b) => b.toString(16)).join(' ')).toBe('ud');
      expect(r.cpu.eip).toBe(CODE);
    }
  });

  it('is accepted on lockable instructions with a memory destination', () => {
    for (const bytes of [
      [0xf0, 0x01, 0x03], // add
      [0xf0, 0x83, 0x33, 0x05], // xor imm8
      [0xf0, 0x11, 0x03], // adc
      [0xf0, 0xff, 0x03], // inc
      [0xf0, 0xfe, 0x0b], // dec byte
      [0xf0, 0xf7, 0x1b], // neg
      [0xf0, 0xf7, 0x13], // not
      [0xf0, 0x87, 0x03], // xchg
      [0xf0, 0x0f, 0xb1, 0x0b], // cmpxchg
      [0xf0, 0x0f, 0xc1, 0x03], // xadd
      [0xf0, 0x0f, 0xab, 0x03], // bts
      [0xf0, 0x0f, 0xba, 0x33, 0x01], // btr imm8
    ]) {
      const r = ud([...bytes, 0xcc]);
      expect(r.kind, bytes.map((b) => b.toString(16)).join(' ')).toBe('trap');
    }
  });
});

describe('user mode may not', () => {
  for (const [name, bytes, err] of [
    ['cli', [0xfa], 0],
    ['sti', [0xfb], 0],
    ['hlt', [0xf4], 0],
    ['in al, 0x60', [0xe4, 0x60], 0],
    ['out dx, eax', [0xef], 0],
    ['insb', [0x6c], 0],
    ['outsd', [0x6f], 0],
    ['mov eax, fs:[0]', [0x64, 0xa1, 0, 0, 0, 0], 0],
    ['mov eax, gs:[ebx]', [0x65, 0x8b, 0x03], 0],
    ['int 0x40', [0xcd, 0x40], 0x40 * 8 + 2],
    ['int 0x81', [0xcd, 0x81], 0x81 * 8 + 2],
  ] as const) {
    it(`${name}: #GP (error code ${err})`, () => {
      const r = run([...bytes, 0xcc], (c) => (c.r[3] = DATA));
      expect(r.fault).toBe('gp');
      expect(r.err).toBe(err);
      expect(r.cpu.eip).toBe(CODE);
    });
  }

  it('lea with an fs override computes an address only (no fault)', () => {
    const r = run([0x64, 0x8d, 0x43, 0x04, 0xcc], (c) => (c.r[3] = DATA));
    expect(r.kind).toBe('trap');
    expect(r.cpu.r[0]).toBe(DATA + 4);
  });

  it('into traps (vector 4) with OF set, and is a no-op without', () => {
    // mov al, 0x7f ; add al, 1 (OF) ; into
    expect(run([0xb0, 0x7f, 0x04, 0x01, 0xce, 0x90]).trap).toBe(4);
    // mov al, 1 ; add al, 1 ; into ; int3
    expect(run([0xb0, 0x01, 0x04, 0x01, 0xce, 0xcc]).trap).toBe(3);
    expect(run([0xcd, 0x80]).trap).toBe(0x80);
    expect(run([0xcd, 0x04]).trap).toBe(4);
  });
});

describe('66-prefixed control transfers work on 16-bit IP', () => {
  const at = (bytes: number[], init?: (c: Cpu) => void) => {
    const { cpu } = machine(bytes);
    init?.(cpu);
    const insn = decode({ byte: (a) => cpu.mem8[cpu.fetchPhys(a)]!, hookEnter: -1, hookExit: -1 }, CODE);
    cpu.eip = CODE + insn.len;
    insn.op(cpu);
    return cpu;
  };

  it('call rel16 pushes 2 bytes of IP and truncates EIP', () => {
    const c = at([0x66, 0xe8, 0x10, 0x00]);
    expect(c.eip).toBe((CODE + 4 + 0x10) & 0xffff);
    expect(c.r[4]).toBe(STACK - 2);
    expect(c.read16(STACK - 2)).toBe((CODE + 4) & 0xffff);
  });

  it('ret and ret imm16 pop 2 bytes', () => {
    const c = at([0x66, 0xc3], (cpu) => {
      cpu.r[4] = STACK - 8;
      cpu.write32(STACK - 8, 0x12345678);
    });
    expect(c.eip).toBe(0x5678);
    expect(c.r[4]).toBe(STACK - 6);
    const d = at([0x66, 0xc2, 0x04, 0x00], (cpu) => {
      cpu.r[4] = STACK - 8;
      cpu.write32(STACK - 8, 0x12345678);
    });
    expect(d.eip).toBe(0x5678);
    expect(d.r[4]).toBe(STACK - 2);
  });

  it('jmp rel16, jmp rel8, jcc and jmp/call r/m16 truncate EIP', () => {
    expect(at([0x66, 0xe9, 0x00, 0x01]).eip).toBe((CODE + 4 + 0x100) & 0xffff);
    expect(at([0x66, 0xeb, 0x02]).eip).toBe((CODE + 3 + 2) & 0xffff);
    const taken = at([0x66, 0x74, 0x02], (c) => c.setFlagBits(0x40, 0x40)); // je, ZF set
    expect(taken.eip).toBe((CODE + 3 + 2) & 0xffff);
    const notTaken = at([0x66, 0x74, 0x02], (c) => c.setFlagBits(0x40, 0));
    expect(notTaken.eip).toBe(CODE + 3);
    expect(at([0x66, 0x0f, 0x84, 0x10, 0x00], (c) => c.setFlagBits(0x40, 0x40)).eip).toBe((CODE + 5 + 0x10) & 0xffff);
    expect(at([0x66, 0xff, 0xe0], (c) => (c.r[0] = 0x12345678)).eip).toBe(0x5678);
    const call = at([0x66, 0xff, 0xd0], (c) => (c.r[0] = 0x12345678));
    expect(call.eip).toBe(0x5678);
    expect(call.r[4]).toBe(STACK - 2);
    expect(call.read16(STACK - 2)).toBe((CODE + 3) & 0xffff);
  });

  it('through the interpreter, the next fetch faults in the low 64 KiB (SIGSEGV under Linux)', () => {
    const { cpu, interp } = machine([0x66, 0xe8, 0x00, 0x00]);
    const stop = interp.run(1000, 0);
    expect(stop.kind).toBe('fault');
    expect(cpu.fault.kind).toBe('pf');
    expect(cpu.fault.fetch).toBe(true);
    expect(cpu.fault.addr).toBe((CODE + 4) & 0xffff);
  });
});

it('decoding never throws a host error on these forms', () => {
  const { cpu } = machine([]);
  for (const bytes of [[0xf0, 0x89, 0xc0], [0xce], [0x66, 0xc3], [0x0f, 0xa2]]) {
    cpu.mem8.set(bytes, 4096);
    expect(() => decode({ byte: (a) => cpu.mem8[cpu.fetchPhys(a)]!, hookEnter: -1, hookExit: -1 }, CODE)).not.toThrow();
  }
});
