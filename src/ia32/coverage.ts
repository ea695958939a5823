/**
 * The coverage gate: decode every instruction of an image's executable sections (linear sweep) and
 * report each form the interpreter does not implement, with its address and bytes. Tests run it over
 * every committed guest, so a program using a new instruction fails loudly instead of faulting later.
 */
import { decode, Unimplemented } from './decoder.js';
import type { ElfImage } from './elf.js';

export interface CoverageReport {
  instructions: number;
  /** Opcode forms seen, with counts. */
  forms: Map<string, number>;
  unimplemented: { addr: number; bytes: string; form: string; section: string }[];
}

export function decodeSections(image: ElfImage): CoverageReport {
  const report: CoverageReport = { instructions: 0, forms: new Map(), unimplemented: [] };
  for (const sec of image.text) {
    const byte = (a: number): number => {
      if (a < sec.start || a >= sec.end) throw new RangeError('outside the section');
      return image.data[sec.offset + (a - sec.start)]!;
    };
    const ctx = { byte, hookEnter: -1, hookExit: -1 };
    let a = sec.start;
    while (a < sec.end) {
      try {
        const insn = decode(ctx, a);
        report.instructions++;
        report.forms.set(insn.form, (report.forms.get(insn.form) ?? 0) + 1);
        a += insn.len;
      } catch (e) {
        if (e instanceof Unimplemented) {
          report.unimplemented.push({ addr: a, bytes: e.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '), form: e.form, section: sec.name });
          a += 1;
        } else if (e instanceof RangeError) {
          break; // the last instruction runs past the section end (padding)
        } else throw e;
      }
    }
  }
  return report;
}
