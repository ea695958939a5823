/**
 * The decoder's call-tracing forms (DecodeContext.calls): CALL rel32, CALL r/m32, RET, RET imm16, JMP
 * rel32 / rel8, JMP r/m32 and Jcc to a function report to the shadow stack, as generated templates inside
 * fused blocks (the interpreter) and as plain closures (one instruction at a time), with the same events
 * and the same machine state as without tracing.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/ia32/cpu.js';
import { decode } from '../../src/ia32/decoder.js';
import { Interpreter } from '../../src/ia32/interpreter.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';
import { ShadowStack } from '../../src/ia32/shadow-stack.js';

const STACK_TOP = 0x00500ff0;
const FUNCS: Record<number, string> = { 0x1100: 'f', 0x1200: 'g', 0x1300: 't', 0x1400: 'c', 0x1500: 'i', 0x1600: 'r2', 0x1700: 'j8' };

const rel32 = (from: number, to: number): number[] => {
  const v = (to - from) | 0;
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
};

/** main at 0x1000 and the functions above; ends with int3. */
function program(): Map<number, number[]> {
  const code = new Map<number, number[]>();
  const main: number[] = [];
  const at = (): number => 0x1000 + main.length;
  const call = (to: number): void => void main.push(0xe8, ...rel32(at() + 5, to));
  call(0x1100); // f calls g
  main.push(0xb8, 0x00, 0x12, 0x00, 0x00); // mov eax, g
  main.push(0xff, 0xd0); // call *%eax
  call(0x1300); // t: jmp g (tail call)
  main.push(0xb8, 0x01, 0x00, 0x00, 0x00); // mov eax, 1
  call(0x1400); // c: test eax, eax; jne g (a conditional tail call, taken)
  main.push(0x31, 0xc0); // xor eax, eax
  call(0x1400); // c again, not taken: its own ret
  main.push(0xb9, 0x00, 0x12, 0x00, 0x00); // mov ecx, g
  call(0x1500); // i: jmp *%ecx (an indirect tail call)
  main.push(0x50); // push eax
  call(0x1600); // r2: ret 4
  call(0x1700); // j8: a short jump inside itself (to no function start), then its ret
  main.push(0xcc); // int3
  code.set(0x1000, main);
  code.set(0x1100, [0xe8, ...rel32(0x1105, 0x1200), 0xc3]);
  code.set(0x1200, [0xc3]);
  code.set(0x1300, [0xe9, ...rel32(0x1305, 0x1200)]);
  code.set(0x1400, [0x85, 0xc0, 0x0f, 0x85, ...rel32(0x1408, 0x1200), 0xc3]);
  code.set(0x1500, [0xff, 0xe1]);
  code.set(0x1600, [0xc2, 0x04, 0x00]);
  // j8: a short jump to 0x1710, which is no function: stays in j8's frame, then returns
  code.set(0x1700, [0xeb, 0x0e]);
  code.set(0x1710, [0xc3]);
  return code;
}

function machine(): { cpu: Cpu; log: string[] } {
  const phys = new PhysicalMemory(4);
  const pt = new PageTable();
  pt.set(0x1, 0, R | X);
  pt.set(0x500, 1, R | W);
  for (const [a, bytes] of program()) phys.bytes.set(bytes, a - 0x1000);
  const cpu = new Cpu(phys, pt);
  cpu.eip = 0x1000;
  cpu.r[4] = STACK_TOP;
  const log: string[] = [];
  const id = (a: number): number => (FUNCS[a] !== undefined ? a : -1);
  cpu.shadow = new ShadowStack({
    idOf: id,
    jumpIdOf: id,
    enter: (_t, a) => void log.push(`+${FUNCS[a]}`),
    exit: (_t, a) => void log.push(`-${FUNCS[a]}`),
    onDrop: () => {},
  });
  return { cpu, log };
}

const EXPECTED = ['+f', '+g', '-g', '-f', '+g', '-g', '+t', '-t', '+g', '-g', '+c', '-c', '+g', '-g', '+c', '-c', '+i', '-i', '+g', '-g', '+r2', '-r2', '+j8', '-j8'];
const isFunctionStart = (a: number): boolean => FUNCS[a] !== undefined;

describe('call tracing in the decoder', () => {
  it('the interpreter (templates, fused blocks) reports every call, return and tail call', () => {
    const { cpu, log } = machine();
    const interp = new Interpreter(cpu, -1, -1, { isFunctionStart, key: 'test' });
    const stop = interp.run(10_000, 0);
    expect(stop.kind).toBe('trap');
    expect(log).toEqual(EXPECTED);
    expect(cpu.shadow!.depth).toBe(0);
    expect(cpu.r[4]).toBe(STACK_TOP); // push eax + ret 4
  });

  for (const templates of [true, false]) {
    it(`one instruction at a time (${templates ? 'templates' : 'closures'}): the same events, the same state as untraced`, () => {
      const step = (cpu: Cpu, calls: boolean): void => {
        for (let n = 0; n < 200 && cpu.trap < 0; n++) {
          const insn = decode({ byte: (a) => cpu.mem8[cpu.fetchPhys(a)]!, hookEnter: -1, hookExit: -1, templates, ...(calls ? { calls: { isFunctionStart } } : {}) }, cpu.eip);
          cpu.eip = (cpu.eip + insn.len) >>> 0;
          insn.op(cpu);
        }
      };
      const traced = machine();
      step(traced.cpu, true);
      expect(traced.log).toEqual(EXPECTED);
      const plain = machine();
      plain.cpu.shadow = null;
      step(plain.cpu, false);
      expect([traced.cpu.eip, ...traced.cpu.r, traced.cpu.eflags()]).toEqual([plain.cpu.eip, ...plain.cpu.r, plain.cpu.eflags()]);
    });
  }
});
