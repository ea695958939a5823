/**
 * Self-modifying code: writing to a frame that holds decoded code drops its blocks, whatever the CPU
 * cached before the frame became code, for blocks whose last instruction runs into the next page, and
 * for the block that is running (it stops after the writing instruction and the rest is decoded anew).
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/ia32/cpu.js';
import { Interpreter } from '../../src/ia32/interpreter.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';

const A = 0x00400000;
const B = 0x00401000;
const C = 0x00402000;
const STACK = 0x00600000;

function machine(code: [number, number[]][]): { cpu: Cpu; interp: Interpreter } {
  const phys = new PhysicalMemory(8);
  const pt = new PageTable();
  pt.set(A >>> 12, 1, R | W | X);
  pt.set(B >>> 12, 2, R | W | X);
  pt.set(C >>> 12, 3, R | W | X);
  pt.set((STACK >>> 12) - 1, 4, R | W);
  phys.bytes.fill(0xcc, 4096, 4 * 4096);
  for (const [at, bytes] of code) phys.bytes.set(bytes, 4096 + (at - A));
  const cpu = new Cpu(phys, pt);
  cpu.r[4] = STACK;
  return { cpu, interp: new Interpreter(cpu) };
}

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const call = (from: number, to: number): number[] => [0xe8, ...le(to - (from + 5))];
/** mov byte [addr], v */
const storeByte = (addr: number, v: number): number[] => [0xc6, 0x05, ...le(addr), v];

describe('self-modifying code', () => {
  it('a write to a page the CPU wrote before it held code still drops the decoded code (write TLB)', () => {
    // In C: store into B (the write TLB caches B), call B, save EAX, patch B, call B again.
    const prog: number[] = [];
    const at = (): number => C + prog.length;
    prog.push(...storeByte(B + 1, 0x11));
    prog.push(...call(at(), B));
    prog.push(0x89, 0xc3); // mov ebx, eax
    prog.push(...storeByte(B + 1, 0x22));
    prog.push(...call(at(), B));
    prog.push(0xcc);
    const { cpu, interp } = machine([
      [C, prog],
      [B, [0xb8, 0, 0, 0, 0, 0xc3]], // mov eax, imm32 ; ret
    ]);
    cpu.eip = C;
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.r[3]).toBe(0x11);
    expect(cpu.r[0]).toBe(0x22);
  });

  it('the same, when another CPU (thread) patches the code the first one decoded', () => {
    const { cpu, interp } = machine([
      [C, [...storeByte(B + 1, 0x11), ...call(C + 7, B), 0xcc]],
      [B, [0xb8, 0, 0, 0, 0, 0xc3]],
      [C + 0x100, [...storeByte(B + 1, 0x33), 0xcc]],
    ]);
    // The second CPU writes B first (caching the translation), then the first one runs B.
    const other = new Cpu(cpu.phys, cpu.pages);
    const otherInterp = new Interpreter(other);
    other.r[4] = STACK - 0x100;
    other.eip = C + 0x100;
    expect(otherInterp.run(1000, 0).kind).toBe('trap');
    cpu.eip = C;
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.r[0]).toBe(0x11);
    other.eip = C + 0x100; // writes 0x33 through its write TLB
    expect(otherInterp.run(1000, 0).kind).toBe('trap');
    cpu.eip = C + 7;
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.r[0]).toBe(0x33);
  });

  it('a block whose last instruction runs into the next page is dropped by writes to that page', () => {
    // At A + 0xff8: four nops, then mov eax, imm32 (0x400ffd .. 0x401001), then ret in B.
    const { cpu, interp } = machine([
      [A + 0xff8, [0x90, 0x90, 0x90, 0x90, 0x90, 0xb8, 0x11, 0x11, 0x11]],
      [B, [0x11, 0x11, 0xc3]],
      [C, [...call(C, A + 0xff8), 0x89, 0xc3, ...storeByte(B + 1, 0x22), ...call(C + 14, A + 0xff8), 0xcc]],
    ]);
    cpu.eip = C;
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.r[3] >>> 0).toBe(0x11111111);
    expect(cpu.r[0] >>> 0).toBe(0x22111111); // B + 1 is the immediate's top byte
  });

  it('a store into the running block takes effect at the next instruction', () => {
    // mov byte [A + 9], 0x42 ; nop ; mov eax, 0x41 (its immediate at A + 9) ; int3
    const { cpu, interp } = machine([[A, [...storeByte(A + 9, 0x42), 0x90, 0xb8, 0x41, 0, 0, 0, 0xcc]]]);
    cpu.eip = A;
    const stop = interp.run(1000, 0);
    expect(stop.kind).toBe('trap');
    expect(cpu.r[0]).toBe(0x42);
    expect(stop.cycles).toBe(4); // store, nop, mov, int3: each once
  });

  it('also right after the store, where code in a read-only page would be fused with it', () => {
    // mov byte [A + 8], 0x42 ; mov eax, 0x41 (its immediate at A + 8) ; int3 -- two fusable movs in a
    // writable page: code there runs one operation per instruction.
    const { cpu, interp } = machine([[A, [...storeByte(A + 8, 0x42), 0xb8, 0x41, 0, 0, 0, 0xcc]]]);
    cpu.eip = A;
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.r[0]).toBe(0x42);
  });

  it('a REP STOS that overwrites the instructions after it runs what it wrote', () => {
    // mov edi, A + 9 ; mov cl, 5 ; rep stosb (5 NOPs over the next instruction) ; mov eax, 0x41 ; int3
    const { cpu, interp } = machine([[A, [0xbf, ...le(A + 9), 0xb1, 5, 0xf3, 0xaa, 0xb8, 0x41, 0, 0, 0, 0xcc]]]);
    cpu.r[0] = 0x90; // AL = NOP
    cpu.r[1] = 0;
    cpu.eip = A;
    expect(interp.run(1000, 0).kind).toBe('trap');
    expect(cpu.r[0]).toBe(0x90);
    expect(cpu.eip).toBe(A + 15);
  });
});
