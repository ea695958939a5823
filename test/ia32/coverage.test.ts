import { describe, expect, it } from 'vitest';
import { committedGuests, loadCommittedGuest } from '../../src/guests/catalog.js';
import { decodeSections } from '../../src/ia32/coverage.js';
import { parseElf, ElfError } from '../../src/ia32/elf.js';

describe('coverage gate', () => {
  for (const name of committedGuests()) {
    it(`${name}: every instruction in .text decodes to an implemented form`, () => {
      const report = decodeSections(parseElf(loadCommittedGuest(name)));
      expect(report.instructions).toBeGreaterThan(100);
      expect(report.unimplemented, JSON.stringify(report.unimplemented.slice(0, 5))).toEqual([]);
    });
  }

  it('a deliberately unimplemented opcode fails the gate with its address and bytes', () => {
    const data = Uint8Array.from(loadCommittedGuest('hello'));
    const image = parseElf(data);
    const text = image.text.find((s) => s.name === '.text')!;
    // Overwrite the first instruction of main with an x87 instruction (fld st(1): D9 C1), which we do not implement.
    const main = image.symbols.get('main')!;
    const fileOff = text.offset + (main - text.start);
    data[fileOff] = 0xd9;
    data[fileOff + 1] = 0xc1;
    const report = decodeSections(parseElf(data));
    expect(report.unimplemented.length).toBeGreaterThan(0);
    const first = report.unimplemented[0]!;
    expect(first.addr).toBe(main);
    expect(first.bytes.startsWith('d9 c1')).toBe(true);
    expect(first.form).toBe('d9');
  });

  it('the ELF loader refuses what is not a static i386 executable', () => {
    expect(() => parseElf(new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toThrow(ElfError);
    const data = Uint8Array.from(loadCommittedGuest('hello'));
    data[18] = 0x3e; // EM_X86_64
    expect(() => parseElf(data)).toThrow(/not an i386/);
    expect(() => parseElf(loadCommittedGuest('hello').subarray(0, 40))).toThrow(/too short/);
  });
});
