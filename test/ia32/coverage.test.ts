import { describe, expect, it } from 'vitest';
import { committedGuests, loadCommittedGuest } from '../../src/guests/catalog.js';
import { decodeSections, instructionLength } from '../../src/ia32/coverage.js';
import { decode } from '../../src/ia32/decoder.js';
import { parseElf, ElfError } from '../../src/ia32/elf.js';

/**
 * Static glibc carries SSE2/SSSE3/SSE4/AVX2 variants of its string and memory functions, hardware
 * lock elision (XBEGIN/XEND/XABORT), an XGETBV probe and CET shadow-stack code in its unwinder. Its
 * IFUNC resolvers and feature checks pick them only when CPUID (or the kernel) says the CPU has
 * them; the simulated i686 says it has none, so they never run. For the glibc guests (built by
 * src/guests/build.mjs from programs/libc-*.c) the gate accepts exactly those extension forms.
 */
const CPUID_SELECTED_MNEMONIC = /\((SSE|MMX)\)$|^SSSE3\/SSE4 |^fxsave\/fxrstor\/ldmxcsr\/stmxcsr\/fences$/;
const CPUID_SELECTED_BYTES = ['0f 01 d0' /* xgetbv */, '0f 01 d5' /* xend */, 'c7 f8' /* xbegin */, 'c6 f8' /* xabort */];
const cpuidSelected = (u: { bytes: string; mnemonic: string }): boolean =>
  CPUID_SELECTED_MNEMONIC.test(u.mnemonic) || CPUID_SELECTED_BYTES.some((b) => u.bytes.startsWith(b));

describe('coverage gate', () => {
  for (const name of committedGuests()) {
    const glibc = name.startsWith('glibc-');
    it(`${name}: every instruction in .text decodes to an implemented form${glibc ? ' (or is one glibc selects by CPUID)' : ''}`, () => {
      const report = decodeSections(parseElf(loadCommittedGuest(name)));
      expect(report.instructions).toBeGreaterThan(100);
      const missing = glibc ? report.unimplemented.filter((u) => !cpuidSelected(u)) : report.unimplemented;
      expect(missing, JSON.stringify(missing.slice(0, 5))).toEqual([]);
    });
  }

  it('a deliberately unimplemented opcode fails the gate with its address and bytes', () => {
    const data = Uint8Array.from(loadCommittedGuest('hello'));
    const image = parseElf(data);
    const text = image.text.find((s) => s.name === '.text')!;
    // Overwrite the first instruction of main with an SSE instruction (xorps xmm0, xmm1: 0F 57 C1),
    // which the i686 model does not have.
    const main = image.symbols.get('main')!;
    const fileOff = text.offset + (main - text.start);
    data.set([0x0f, 0x57, 0xc1], fileOff);
    const report = decodeSections(parseElf(data));
    expect(report.unimplemented.length).toBeGreaterThan(0);
    const first = report.unimplemented[0]!;
    expect(first.addr).toBe(main);
    expect(first.bytes.startsWith('0f 57 c1')).toBe(true);
    expect(first.form).toBe('0f 57');
    expect(first.mnemonic).toBe('xorps (SSE)');
  });

  it('reports each unimplemented instruction once, skipping its whole length', () => {
    // xorps xmm3, xmm0 (0f 57 d8), nop, movaps xmm0, [0xd8d8d8d8] (0f 28 05 + disp32), nop, pxor
    // xmm1, xmm1 with its 66 prefix, ret: the ModRM, displacement and prefix bytes are not reported
    // as instructions.
    const code = [0x0f, 0x57, 0xd8, 0x90, 0x0f, 0x28, 0x05, 0xd8, 0xd8, 0xd8, 0xd8, 0x90, 0x66, 0x0f, 0xef, 0xc9, 0xc3];
    const image = parseElf(loadCommittedGuest('hello'));
    const fake = { ...image, data: Uint8Array.from(code), text: [{ name: '.text', start: 0x1000, end: 0x1000 + code.length, offset: 0 }] };
    const report = decodeSections(fake);
    expect(report.unimplemented.map((u) => [u.addr - 0x1000, u.form, u.mnemonic])).toEqual([
      [0, '0f 57', 'xorps (SSE)'],
      [4, '0f 28', 'movaps (SSE)'],
      [12, '66 0f ef', 'packed integer arithmetic (MMX)'],
    ]);
    expect(report.instructions).toBe(3); // nop, nop, ret
  });

  it('reserved x87 encodings are unimplemented forms too', () => {
    // The FSTP1 alias (d9 d8), nop, d9 /1 [0xd8d8d8d8] (d9 0d + disp32), nop, the 16-bit fnstenv [eax]
    // (66 d9 30), nop, ret.
    const code = [0xd9, 0xd8, 0x90, 0xd9, 0x0d, 0xd8, 0xd8, 0xd8, 0xd8, 0x90, 0x66, 0xd9, 0x30, 0x90, 0xc3];
    const image = parseElf(loadCommittedGuest('hello'));
    const fake = { ...image, data: Uint8Array.from(code), text: [{ name: '.text', start: 0x1000, end: 0x1000 + code.length, offset: 0 }] };
    const report = decodeSections(fake);
    expect(report.unimplemented.map((u) => [u.addr - 0x1000, u.form])).toEqual([
      [0, 'd9 d8'],
      [3, 'd9/1'],
      [10, '66 d9/6'],
    ]);
    expect(report.instructions).toBe(4); // nop, nop, nop, ret
  });

  it('knows the length of every form the interpreter decodes', () => {
    // For each committed guest, the length decoder agrees with the decoder on every instruction.
    let checked = 0;
    for (const name of committedGuests()) {
      const image = parseElf(loadCommittedGuest(name));
      for (const sec of image.text) {
        const byte = (a: number): number => {
          if (a < sec.start || a >= sec.end) throw new RangeError('outside');
          return image.data[sec.offset + (a - sec.start)]!;
        };
        for (let a = sec.start; a < sec.end; ) {
          let len: number;
          try {
            len = decode({ byte, hookEnter: -1, hookExit: -1 }, a).len;
          } catch {
            break;
          }
          if (instructionLength(byte, a) !== len) expect.fail(`${name} 0x${a.toString(16)}: length ${instructionLength(byte, a)}, decoder ${len}`);
          checked++;
          a += len;
        }
      }
    }
    expect(checked).toBeGreaterThan(50_000);
  });

  it('the ELF loader refuses what is not a static i386 executable', () => {
    expect(() => parseElf(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toThrow(ElfError);
    const data = Uint8Array.from(loadCommittedGuest('hello'));
    data[18] = 0x3e; // EM_X86_64
    expect(() => parseElf(data)).toThrow(/not an i386/);
    expect(() => parseElf(loadCommittedGuest('hello').subarray(0, 40))).toThrow(/too short/);
  });
});
