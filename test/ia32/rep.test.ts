/**
 * REP string instructions cost one cycle per iteration and are interruptible: a run whose budget ends
 * in the middle stops between iterations with EIP on the instruction and ECX/ESI/EDI saying how far it
 * got; the next run continues, and the result and the total cycles are those of one uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/ia32/cpu.js';
import { Interpreter } from '../../src/ia32/interpreter.js';
import { PageTable, PhysicalMemory, R, W, X } from '../../src/ia32/memory.js';

const CODE = 0x00400000;
const SRC = 0x00500000;
const DST = 0x00510000;

function machine(code: number[]): { cpu: Cpu; interp: Interpreter; phys: PhysicalMemory } {
  const phys = new PhysicalMemory(40);
  const pt = new PageTable();
  pt.set(CODE >>> 12, 1, R | X);
  for (let i = 0; i < 16; i++) pt.set((SRC >>> 12) + i, 2 + i, R | W);
  for (let i = 0; i < 16; i++) pt.set((DST >>> 12) + i, 20 + i, R | W);
  phys.bytes.fill(0xcc, 4096, 8192);
  phys.bytes.set(code, 4096);
  for (let i = 0; i < 16 * 4096; i++) phys.bytes[2 * 4096 + i] = (i * 7 + 3) & 0xff;
  const cpu = new Cpu(phys, pt);
  cpu.eip = CODE;
  return { cpu, interp: new Interpreter(cpu), phys };
}

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
/** Where the strings start: forwards at the first byte, backwards (DF) in the middle. */
const BACK = 0x8000;
/** mov esi, SRC ; mov edi, DST ; mov ecx, n ; <insn> ; int3 */
const program = (n: number, insn: number[]): number[] => {
  const at = insn[0] === 0xfd ? BACK : 0;
  return [0xbe, ...le(SRC + at), 0xbf, ...le(DST + at), 0xb9, ...le(n), ...insn, 0xcc];
};

describe('REP string instructions', () => {
  for (const [name, insn, n] of [
    ['rep movsd', [0xf3, 0xa5], 10000],
    ['rep stosb', [0xf3, 0xaa], 30000],
    ['rep movsb (backwards, DF set)', [0xfd, 0xf3, 0xa4], 5000],
    ['repe cmpsd', [0xf3, 0xa7], 10000],
  ] as const) {
    it(`${name}: one cycle per iteration, preempted mid-way, completes as one run does`, () => {
      // One run with a budget large enough for everything.
      const whole = machine(program(n, [...insn]));
      if (name.includes('cmpsd')) whole.phys.bytes.copyWithin(20 * 4096, 2 * 4096, 18 * 4096); // equal strings
      const all = whole.interp.run(10_000_000, 0);
      expect(all.kind).toBe('trap');
      const setup = 3 + (insn[0] === 0xfd ? 1 : 0);
      expect(all.cycles).toBe(setup + n + 1); // the movs, one per iteration, int3

      // The same in slices of 997 cycles.
      const sliced = machine(program(n, [...insn]));
      if (name.includes('cmpsd')) sliced.phys.bytes.copyWithin(20 * 4096, 2 * 4096, 18 * 4096);
      let total = 0;
      let runs = 0;
      let sawMidway = false;
      for (;;) {
        const stop = sliced.interp.run(997, total);
        total += stop.cycles;
        runs++;
        expect(stop.cycles).toBeLessThanOrEqual(997 + 1);
        if (stop.kind === 'trap') break;
        expect(stop.kind).toBe('budget');
        const left = sliced.cpu.r[1]! >>> 0;
        if (left > 0 && left < n) {
          // Mid-way: EIP on the REP instruction, ECX/EDI reflect the iterations done.
          sawMidway = true;
          expect(sliced.cpu.eip).toBe(CODE + 15 + insn.length - 2);
          const step = name.includes('d') && !name.includes('movsb') ? 4 : 1;
          const dir = insn[0] === 0xfd ? -1 : 1;
          expect(sliced.cpu.r[7]! >>> 0).toBe((DST + (dir < 0 ? BACK : 0) + dir * step * (n - left)) >>> 0);
        }
      }
      expect(sawMidway).toBe(true);
      expect(runs).toBeGreaterThan(n / 1000);
      expect(total).toBe(all.cycles);
      expect(Array.from(sliced.cpu.r)).toEqual(Array.from(whole.cpu.r));
      expect(Buffer.compare(Buffer.from(sliced.phys.bytes), Buffer.from(whole.phys.bytes))).toBe(0);
    });
  }

  it('a REP with ECX = 0 costs one cycle; repne scasb stops at the match, charging the iterations done', () => {
    const zero = machine(program(0, [0xf3, 0xa5]));
    expect(zero.interp.run(1000, 0).cycles).toBe(3 + 1 + 1);
    // al = byte at SRC + 41: repne scasb over DST... scan the source copy instead: edi = SRC
    const scan = machine([0xbf, ...le(SRC), 0xb9, ...le(1000), 0xb0, (41 * 7 + 3) & 0xff, 0xf2, 0xae, 0xcc]);
    const stop = scan.interp.run(100_000, 0);
    expect(stop.kind).toBe('trap');
    expect(stop.cycles).toBe(3 + 42 + 1); // found at index 41: 42 iterations
    expect(scan.cpu.r[1]).toBe(1000 - 42);
  });
});
