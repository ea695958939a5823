/**
 * The coverage gate: decode every instruction of an image's executable sections (linear sweep) and
 * report each form the interpreter does not implement, with its address and bytes. Tests run it over
 * every committed guest, so a program using a new instruction fails loudly instead of faulting later.
 * After an unimplemented instruction the sweep continues after its whole length (a generic IA-32
 * length decoder, `instructionLength`), so each bad instruction is reported once and its ModRM,
 * displacement and immediate bytes are not decoded as instructions of their own.
 */
import { decode, Unimplemented } from './decoder.js';
import type { ElfImage } from './elf.js';

export interface CoverageReport {
  instructions: number;
  /** Opcode forms seen, with counts. */
  forms: Map<string, number>;
  unimplemented: { addr: number; bytes: string; form: string; mnemonic: string; section: string }[];
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
          report.unimplemented.push({ addr: a, bytes: e.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '), form: e.form, mnemonic: e.mnemonic, section: sec.name });
          let len = 1;
          try {
            len = instructionLength(byte, a);
          } catch (err) {
            if (!(err instanceof RangeError)) throw err;
          }
          a += len;
        } else if (e instanceof RangeError) {
          break; // the last instruction runs past the section end (padding)
        } else throw e;
      }
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------
// Instruction lengths (32-bit code), for any opcode, implemented or not.

const bits = (list: number[]): Uint8Array => {
  const t = new Uint8Array(256);
  for (const x of list) t[x] = 1;
  return t;
};
const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

/** One-byte opcodes with a ModRM byte. */
const MODRM1 = bits([
  ...[0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38].flatMap((b) => range(b, b + 3)),
  0x62, 0x63, 0x69, 0x6b, ...range(0x80, 0x8f), 0xc0, 0xc1, ...range(0xc4, 0xc7), ...range(0xd0, 0xd3), ...range(0xd8, 0xdf), 0xf6, 0xf7, 0xfe, 0xff,
]);
/** One-byte opcodes with an 8-bit immediate (or rel8). */
const IMM8_1 = bits([0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x6a, 0x6b, ...range(0x70, 0x7f), 0x80, 0x82, 0x83, 0xa8, ...range(0xb0, 0xb7), 0xc0, 0xc1, 0xc6, 0xcd, 0xd4, 0xd5, ...range(0xe0, 0xe7), 0xeb]);
/** One-byte opcodes with a 16- or 32-bit immediate (by operand size). */
const IMMZ_1 = bits([0x05, 0x0d, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x68, 0x69, 0x81, 0xa9, ...range(0xb8, 0xbf), 0xc7, 0xe8, 0xe9]);
/** Two-byte (0F xx) opcodes without a ModRM byte. */
const NO_MODRM_2 = bits([0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0e, ...range(0x30, 0x37), 0x77, ...range(0x80, 0x8f), 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa, ...range(0xc8, 0xcf)]);
/** Two-byte opcodes with an 8-bit immediate after the ModRM byte. */
const IMM8_2 = bits([0x0f, 0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba, 0xc2, 0xc4, 0xc5, 0xc6]);

/** Length in bytes of the instruction at `a` (`byte` reads code; it throws RangeError past the end). */
export function instructionLength(byte: (a: number) => number, a: number): number {
  let p = a;
  let op16 = false;
  let addr16 = false;
  let b = byte(p++);
  for (let i = 0; i < 14 && [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(b); i++) {
    if (b === 0x66) op16 = true;
    if (b === 0x67) addr16 = true;
    b = byte(p++);
  }
  const immz = op16 ? 2 : 4;
  let modrm = false;
  let imm = 0;
  if (b === 0x0f) {
    const b2 = byte(p++);
    if (b2 === 0x38) {
      p++;
      modrm = true;
    } else if (b2 === 0x3a) {
      p++;
      modrm = true;
      imm = 1;
    } else {
      modrm = NO_MODRM_2[b2] === 0;
      if (IMM8_2[b2]) imm = 1;
      if (b2 >= 0x80 && b2 <= 0x8f) imm = immz;
    }
  } else {
    modrm = MODRM1[b] === 1;
    if (IMM8_1[b]) imm = 1;
    else if (IMMZ_1[b]) imm = immz;
    else if (b === 0xc2 || b === 0xca) imm = 2;
    else if (b === 0xc8) imm = 3;
    else if (b >= 0xa0 && b <= 0xa3) imm = addr16 ? 2 : 4;
    else if (b === 0x9a || b === 0xea) imm = immz + 2;
  }
  if (modrm) {
    const m = byte(p++);
    const mod = m >> 6;
    const rm = m & 7;
    if ((b === 0xf6 || b === 0xf7) && ((m >> 3) & 7) < 2) imm = b === 0xf6 ? 1 : immz; // TEST r/m, imm
    if (mod !== 3) {
      if (addr16) {
        if (mod === 1) p += 1;
        else if (mod === 2 || (mod === 0 && rm === 6)) p += 2;
      } else {
        if (rm === 4) {
          const sib = byte(p++);
          if (mod === 0 && (sib & 7) === 5) p += 4;
        }
        if (mod === 1) p += 1;
        else if (mod === 2 || (mod === 0 && rm === 5)) p += 4;
      }
    }
  }
  p += imm;
  byte(p - 1); // the whole instruction must lie in the section
  return p - a;
}
