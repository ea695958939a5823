/**
 * A minimal static i386 executable around raw machine code, for tests that need a guest doing one
 * precise thing (an instruction the CPU lacks) without a compiler: one PT_LOAD segment (R+X) holding
 * the headers and the code, entry at the code, no sections and no symbols.
 */
export const TINY_BASE = 0x08048000;
export const TINY_ENTRY = TINY_BASE + 52 + 32;

export function tinyElf(code: readonly number[]): Uint8Array {
  const size = 52 + 32 + code.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // ELF, 32-bit, little-endian, version 1
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(20, 1, true);
  dv.setUint32(24, TINY_ENTRY, true);
  dv.setUint32(28, 52, true); // program headers right after the ELF header
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  dv.setUint16(46, 40, true);
  const ph = 52;
  dv.setUint32(ph, 1, true); // PT_LOAD
  dv.setUint32(ph + 4, 0, true);
  dv.setUint32(ph + 8, TINY_BASE, true);
  dv.setUint32(ph + 12, TINY_BASE, true);
  dv.setUint32(ph + 16, size, true);
  dv.setUint32(ph + 20, size, true);
  dv.setUint32(ph + 24, 5, true); // R+X
  dv.setUint32(ph + 28, 0x1000, true);
  out.set(code, 84);
  return out;
}
