/**
 * Running one host-CPU vector (test/vectors/README.md) on the interpreter: the oracle's memory layout
 * (code page at 0x400000, scratch at 0x500000), the case's registers and flags, one instruction.
 * Shared by the integer and the x87 vector tests.
 */
import { Cpu, FAULT } from '../../src/ia32/cpu.js';
import { decode } from '../../src/ia32/decoder.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';

export const VECTOR_CODE = 0x00400000;
export const VECTOR_SCRATCH = 0x00500000;
/** The flags the vectors record (CF PF AF ZF SF DF OF). */
export const VECTOR_FLAGS = 0xcd5;
const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

export function vectorMachine(): { phys: PhysicalMemory; cpu: Cpu } {
  const phys = new PhysicalMemory(4);
  const pt = new PageTable();
  pt.set(VECTOR_CODE >>> 12, 1, R | X);
  pt.set(VECTOR_SCRATCH >>> 12, 2, R | W);
  return { phys, cpu: new Cpu(phys, pt) };
}

/** Code page = the case's bytes padded with int3, scratch = `scratch`, registers and flags from the case. */
export function loadCase(cpu: Cpu, phys: PhysicalMemory, c: { b: string; r: number[]; f: number }, scratch: Uint8Array): void {
  phys.bytes.fill(0xcc, 4096, 8192);
  phys.bytes.set(Buffer.from(c.b, 'hex'), 4096);
  phys.bytes.set(scratch, 8192);
  cpu.flushTlb();
  for (let i = 0; i < 8; i++) cpu.r[i] = c.r[i]!;
  cpu.lmask = 0;
  cpu.flags = c.f & VECTOR_FLAGS;
  cpu.trap = -1;
}

/**
 * Decode and execute the instruction at the code page. Returns the fault as the oracle names it
 * ('DE', 'UD', 'GP', 'MF'; #BR reaches a Linux process as SIGSEGV with SI_KERNEL, which the oracle
 * records as GP), or null; EIP is left where the oracle leaves it. Host errors are thrown.
 */
export function executeCase(cpu: Cpu, phys: PhysicalMemory, templates: boolean): string | null {
  try {
    const insn = decode({ byte: (a) => phys.bytes[4096 + (a - VECTOR_CODE)]!, hookEnter: -1, hookExit: -1, templates }, VECTOR_CODE);
    cpu.eip = VECTOR_CODE + insn.len;
    insn.op(cpu);
    return null;
  } catch (e) {
    if (e !== FAULT) throw e;
    cpu.eip = VECTOR_CODE;
    return cpu.fault.kind === 'br' ? 'GP' : cpu.fault.kind.toUpperCase();
  }
}

/** The first register or EIP that differs from the case's expectation, or null. */
export function registerDifference(cpu: Cpu, c: { R: number[]; e: number }, fault: string | null): string | null {
  for (let i = 0; i < 8; i++) if (cpu.r[i]! >>> 0 !== c.R[i]! >>> 0) return `${REG_NAMES[i]} 0x${(cpu.r[i]! >>> 0).toString(16)} expected 0x${(c.R[i]! >>> 0).toString(16)}`;
  if (!fault && cpu.eip >>> 0 !== c.e >>> 0) return `eip 0x${(cpu.eip >>> 0).toString(16)} expected 0x${c.e.toString(16)}`;
  return null;
}
