/** Small CPUs for instruction tests: a code page, a data page and a stack page, no kernel. */
import { Cpu } from '../../src/ia32/cpu.js';
import { Interpreter } from '../../src/ia32/interpreter.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';

export const CODE = 0x00400000;
export const DATA = 0x00500000;
export const STACK = 0x00600000;

/** `bytes` at CODE (the rest of the page is int3), EIP there, ESP at the top of a one-page stack. */
export function codeMachine(bytes: number[]): { cpu: Cpu; interp: Interpreter } {
  const phys = new PhysicalMemory(4);
  const pt = new PageTable();
  pt.set(CODE >>> 12, 1, R | X);
  pt.set(DATA >>> 12, 2, R | W);
  pt.set((STACK >>> 12) - 1, 3, R | W);
  phys.bytes.fill(0xcc, 4096, 8192);
  phys.bytes.set(bytes, 4096);
  const cpu = new Cpu(phys, pt);
  cpu.r[4] = STACK;
  cpu.eip = CODE;
  return { cpu, interp: new Interpreter(cpu) };
}
